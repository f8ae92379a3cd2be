"""Report fixtures: ``testkit.py`` / ``intake_testkit.py`` loaded under unique names (--import-mode=importlib);
a KIBAN_HOME with tokens and an HTTP client for the intake."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("reports_testkit", Path(__file__).with_name("testkit.py"))
assert _spec and _spec.loader
testkit = importlib.util.module_from_spec(_spec)
sys.modules["reports_testkit"] = testkit
_spec.loader.exec_module(testkit)

_kit_spec = importlib.util.spec_from_file_location("intake_testkit", Path(__file__).with_name("intake_testkit.py"))
assert _kit_spec and _kit_spec.loader
kit = importlib.util.module_from_spec(_kit_spec)
sys.modules["intake_testkit"] = kit
_kit_spec.loader.exec_module(kit)



@pytest.fixture
def master() -> dict:
    return testkit.make_master()


KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO, FUKUOKA_CITY = kit.KUMAMOTO_CITY, kit.KUMAMOTO_PREF, kit.YATSUSHIRO, kit.FUKUOKA_CITY


@pytest.fixture
def tokens(home):
    from kiban.intake.tokens import TokenStore

    store = TokenStore(home)
    return {lg: store.add(lg)[1] for lg in (KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO, FUKUOKA_CITY)}


@pytest.fixture
def client(home):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    with TestClient(create_app(home)) as c:
        yield c


@pytest.fixture
def post(client, tokens):
    """post(lg_of_token, body_dict | bytes, filename=None, wait=True) -> response."""

    def _post(token_lg: str, body, filename: str | None = None, wait: bool = True):
        headers = {"Authorization": f"Bearer {tokens[token_lg]}"}
        url = "/v1/reports" + ("?wait=true" if wait else "")
        if filename is not None:
            return client.post(url, headers=headers, files={"file": (filename, body)})
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        return client.post(url, headers={**headers, "Content-Type": "application/json"}, content=data)

    return _post
