"""Hypothesis settings of the property tests: reproducible (``derandomize``: the same examples on every run, no
example database written to disk) and modest, so the default suite stays fast.

Profile ``kiban`` (default): 100 examples per property; a property whose example is expensive (an XLSX file, a
DuckDB query) takes a fraction of ``settings.default.max_examples``. ``HYPOTHESIS_PROFILE=deep`` runs 20 times
as many, still derandomized: ``HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/properties -q``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=False,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("kiban", max_examples=100, **_COMMON)
settings.register_profile("deep", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kiban"))
