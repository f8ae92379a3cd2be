from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from registries.corporate.site import (
    TOKEN_FIELD,
    NtaDownloadSite,
    SiteError,
    era_date,
    fetch_diff_files,
    fetch_full_files,
    parse_download_page,
)


def test_parse_zenken_page(fixtures: Path) -> None:
    page = parse_download_page((fixtures / "zenken.html").read_text(encoding="utf-8"))
    assert page.token == "tok-zenken-1a2b3c"
    assert page.action == "/download/zenken/index.html"
    assert len(page.files) == 7
    f = page.find(format="csv_unicode", prefecture_code="00")
    assert (f.file_no, f.label, f.file_name) == ("15101", "全国", "00_zenkoku_all_20261030.zip")
    assert page.find(format="csv_sjis", prefecture_code="00").file_no == "15001"
    assert page.find(format="xml_unicode").file_no == "15201"
    assert page.find(prefecture_code="31").file_no == "15132"
    assert page.find(prefecture_code="99").label == "国外"
    with pytest.raises(LookupError):
        page.find(format="xml_unicode", prefecture_code="31")


def test_parse_sabun_page(fixtures: Path) -> None:
    page = parse_download_page((fixtures / "sabun.html").read_text(encoding="utf-8"))
    unicode_files = [f for f in page.files if f.format == "csv_unicode"]
    assert [f.day for f in unicode_files] == [date(2026, 11, 5), date(2026, 11, 4), date(2026, 11, 2)]
    assert page.latest_diff().file_no == "16103"
    assert page.find(day=date(2026, 11, 2)).file_no == "16101"
    assert page.find(format="csv_sjis", day=date(2026, 11, 5)).file_no == "16003"


def test_era_dates() -> None:
    assert era_date("令和8年2月20日") == date(2026, 2, 20)
    assert era_date("令和元年5月1日") == date(2019, 5, 1)
    assert era_date("平成30年4月2日") == date(2018, 4, 2)
    assert era_date("2026-02-20") is None


def test_page_without_token_or_links() -> None:
    with pytest.raises(SiteError, match="token"):
        parse_download_page("<html><body><a onclick='doDownload(1234)'>x</a></body></html>")
    with pytest.raises(SiteError, match="download links"):
        parse_download_page(f"<html><body><input type='hidden' name='{TOKEN_FIELD}' value='t'></body></html>")


def test_download_posts_token_and_file_number(fixtures: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    posts: list[dict[str, list[str]]] = []
    zenken = (fixtures / "zenken.html").read_text(encoding="utf-8")
    sabun = (fixtures / "sabun.html").read_text(encoding="utf-8")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "nta.local"
        if request.method == "GET":
            return httpx.Response(200, text=zenken if "zenken" in request.url.path else sabun)
        posts.append(parse_qs(request.content.decode()))
        return httpx.Response(200, content=b"PK\x03\x04zip", headers={
            "Content-Disposition": 'attachment; filename="00_zenkoku_all_20261030.zip"'})

    monkeypatch.setenv("KIBAN_NTA_DOWNLOAD_URL", "http://nta.local/download")
    site = NtaDownloadSite(client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert site.page_url("zenken") == "http://nta.local/download/zenken/index.html"
    page = site.page("zenken")
    got = site.download("zenken", page.find(prefecture_code="00"), tmp_path)
    assert got.path == tmp_path / "00_zenkoku_all_20261030.zip" and got.path.read_bytes() == b"PK\x03\x04zip"
    assert posts[-1] == {TOKEN_FIELD: ["tok-zenken-1a2b3c"], "event": ["download"], "selDlFileNo": ["15101"]}
    diff = site.download("sabun", site.page("sabun").latest_diff(), tmp_path)
    assert diff.path.name == "diff_20261105.zip"
    assert posts[-1]["selDlFileNo"] == ["16103"] and posts[-1][TOKEN_FIELD] == ["tok-sabun-9z8y"]


def test_fetch_helpers(fixtures: Path, tmp_path: Path) -> None:
    zenken = (fixtures / "zenken.html").read_text(encoding="utf-8")
    sabun = (fixtures / "sabun.html").read_text(encoding="utf-8")
    posted: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, text=zenken if "zenken" in request.url.path else sabun)
        posted.append(parse_qs(request.content.decode())["selDlFileNo"][0])
        return httpx.Response(200, content=b"PK\x03\x04", headers={"Content-Disposition": "attachment; filename=f.zip"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    full = fetch_full_files(tmp_path, base_url="http://nta.local/download/", variant="sjis", client=client)
    assert [d.name for d in full] == ["f.zip"] and posted == ["15001"]
    diffs = fetch_diff_files(tmp_path, date(2026, 11, 4), base_url="http://nta.local/download/", client=client)
    assert [d.name for d in diffs] == ["diff_20261104.zip"] and posted[-1] == "16102"
    assert fetch_diff_files(tmp_path, date(2026, 11, 3), base_url="http://nta.local/download/", client=client) == []
