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


def test_the_downloaded_master_is_archived_as_received_and_the_download_removed(home):
    from pipelines.municipalities.resources import MunicipalityMasterDownload, MunicipalityMasterFile
    from registries.municipalities.fetch import archive_master

    client = httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=BUNDLED_MASTER.read_bytes())))
    raw = archive_master(home, "http://127.0.0.1/main_content/000925835.xls", client=client)
    assert raw.original_name == "000925835.xls" and raw.path.read_bytes() == BUNDLED_MASTER.read_bytes()
    assert list(home.staging.iterdir()) == []
    sample = MunicipalityMasterFile(path=str(BUNDLED_MASTER)).fetch(home)
    assert sample.sha256 == raw.sha256  # the same bytes are one archived object
    assert MunicipalityMasterDownload().url == ""  # empty: the R6.1.1 file on soumu.go.jp
