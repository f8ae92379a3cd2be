"""A served home for API tests: report versions arriving at three times, a release folder, a reporter token."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("api_kit", Path(__file__).with_name("apikit.py"))
assert _spec and _spec.loader
kit = importlib.util.module_from_spec(_spec)
sys.modules["api_kit"] = kit
_spec.loader.exec_module(kit)


@pytest.fixture(scope="module")
def served_home(tmp_path_factory):
    from kiban.config import paths

    home = paths(tmp_path_factory.mktemp("api") / "home").ensure()
    kit.land_reports(home)
    kit.plant_release(home)
    return home


@pytest.fixture(scope="module")
def token(served_home):
    from kiban.intake.tokens import TokenStore

    return TokenStore(served_home).add(kit.KUMAMOTO_CITY)[1]


@pytest.fixture(scope="module")
def app(served_home):
    from kiban.serve.app import create_app

    return create_app(served_home, limits=kit.generous())


@pytest.fixture(scope="module")
def client(app):
    """A client on ``app`` whose lifespan (the intake service) runs for the module; other clients of the same app
    (schemathesis) are used inside it."""
    from starlette.testclient import TestClient

    with TestClient(app) as c:
        yield c
