"""Shared fixtures for the 法人番号 tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "corporate"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
