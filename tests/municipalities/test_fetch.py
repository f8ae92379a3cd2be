"""Fetching the master through registries.http (MockTransport) and parsing what arrived."""

from __future__ import annotations

import httpx

from registries.municipalities.fetch import fetch_master
from registries.municipalities.parse import load_master
from registries.municipalities.resolve import BUNDLED_MASTER


def test_fetch_master_from_configured_url(tmp_path, monkeypatch):
    monkeypatch.setenv("KIBAN_MUNICIPALITIES_URL", "http://127.0.0.1/main_content/000925835.xls")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=BUNDLED_MASTER.read_bytes(), headers={"etag": '"r6"'})

    result = fetch_master(tmp_path, client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert seen == ["http://127.0.0.1/main_content/000925835.xls"]
    assert result.path.read_bytes() == BUNDLED_MASTER.read_bytes()
    assert len(load_master(result.path)) == 1971
