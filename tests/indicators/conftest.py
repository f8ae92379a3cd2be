"""Crafted report versions landed in a lake (module-scoped); helper modules loaded under unique names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(file))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


reportkit = _load("indicators_reportkit", "reportkit.py")
crafted = _load("indicators_crafted", "crafted.py")


@pytest.fixture(scope="module")
def lake_home(tmp_path_factory):
    from kiban.config import paths

    p = paths(tmp_path_factory.mktemp("ind") / "home").ensure()
    crafted.land_crafted(p)
    return p
