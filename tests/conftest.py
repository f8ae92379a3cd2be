"""Shared fixtures: a fresh KIBAN_HOME per test; the repo's sample folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


@pytest.fixture
def home(tmp_path, monkeypatch):
    from kiban.config import paths

    monkeypatch.setenv("KIBAN_HOME", str(tmp_path / "home"))
    return paths(tmp_path / "home").ensure()


@pytest.fixture
def samples() -> Path:
    return SAMPLES
