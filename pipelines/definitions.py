"""The Dagster code location: every domain's assets, checks, jobs, schedules and sensors, policies applied once.

``dagster dev -m pipelines.definitions`` (or ``kiban dagster dev``) loads ``defs``. Sources default to the
official URLs; ``KIBAN_SAMPLES_DIR`` (or ``build_definitions(samples_dir=...)``) points every source at the bundled
sample data instead, which is what ``kiban demo`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.abr import assets as address
from pipelines.addresses import assets as addresses
from pipelines.common import KibanHome
from pipelines.corporate import assets as corporate
from pipelines.indicators import assets as indicators
from pipelines.moj_map import assets as real_estate
from pipelines.releases import assets as publish
from pipelines.reports import assets as reports

DOMAINS = [corporate, address, real_estate, reports, indicators, publish, addresses]


def build_definitions(home: str = "", samples_dir: str = "") -> dg.Definitions:
    samples_dir = samples_dir or os.environ.get("KIBAN_SAMPLES_DIR", "")
    resources: dict[str, object] = {"kiban": KibanHome(home=home)}
    for domain in DOMAINS:
        resources.update(domain.resources(Path(samples_dir) if samples_dir else None))
    return dg.Definitions(
        assets=[a for d in DOMAINS for a in d.assets],
        jobs=[j for d in DOMAINS for j in d.jobs],
        schedules=[s for d in DOMAINS for s in d.schedules],
        sensors=[s for d in DOMAINS for s in d.sensors],
        resources=resources,
        executor=dg.in_process_executor,
    )


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    """Partition keys for which the bundled samples hold data, per partitioned asset."""
    out: dict[str, list[str]] = {}
    for domain in DOMAINS:
        out.update(domain.sample_partitions(samples_dir))
    return out


defs = build_definitions()
