"""Helpers of the hardening suites, loaded under unique names (``--import-mode=importlib``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _load(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_load("hardening_lakestate", HERE / "lakestate.py")
_load("hardening_corpus", HERE / "corpus.py")
_load("hardening_crash", HERE / "crash" / "harness.py")
