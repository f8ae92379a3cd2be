"""Loads ``testkit.py`` as the uniquely named module ``reports_testkit`` (tests use --import-mode=importlib)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("reports_testkit", Path(__file__).with_name("testkit.py"))
assert _spec and _spec.loader
testkit = importlib.util.module_from_spec(_spec)
sys.modules["reports_testkit"] = testkit
_spec.loader.exec_module(testkit)


@pytest.fixture
def master() -> dict:
    return testkit.make_master()
