"""The address tests share one synthetic ABR (built once per session) and helper module ``addresses_kit``."""

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


kit = _load("addresses_kit", "kit.py")


@pytest.fixture(scope="session")
def abr_con():
    """A synthetic ABR (all municipalities, ~13,000 町字 with 街区, 住居 and 地番) and the master, in memory."""
    con = kit.abr_connection()
    yield con
    con.close()


real_abr = _load("addresses_real_abr", "real_abr.py")
