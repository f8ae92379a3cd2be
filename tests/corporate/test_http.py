from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from registries.http import (
    Backoff,
    Download,
    DownloadError,
    NotModified,
    download,
    redact,
    retry_after_seconds,
)

BODY = bytes(range(256)) * 4096  # 1 MiB
URL = "http://127.0.0.1:9/files/00_zenkoku_all_20261030.zip?id=SECRET123&x=1"


class CutStream(httpx.SyncByteStream):
    """A body that stops with a connection error after ``cut`` bytes."""

    def __init__(self, data: bytes, cut: int) -> None:
        self.data, self.cut = data, cut

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: self.cut]
        raise httpx.ReadError("connection reset by peer")


def _client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _ok(data: bytes = BODY, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=data, headers={"ETag": '"v1"', **headers})


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_retries_503_then_succeeds(tmp_path: Path) -> None:
    calls, sleeps = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503) if len(calls) < 3 else _ok()

    res = download(URL, tmp_path, client=_client(handler), sleep=sleeps.append, backoff=Backoff(base=0.5, cap=4))
    assert isinstance(res, Download)
    assert len(calls) == 3 and len(sleeps) == 2 and all(0 < s <= 4 for s in sleeps)
    assert res.path == tmp_path / "00_zenkoku_all_20261030.zip"
    assert res.path.read_bytes() == BODY and res.bytes == len(BODY)
    assert res.sha256 == hashlib.sha256(BODY).hexdigest()
    assert res.etag == '"v1"' and "SECRET123" not in res.url
    assert _files(tmp_path) == ["00_zenkoku_all_20261030.zip"]


def test_429_honours_retry_after(tmp_path: Path) -> None:
    sleeps: list[float] = []
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        return httpx.Response(429, headers={"Retry-After": "7"}) if state["n"] == 1 else _ok()

    download(URL, tmp_path, client=_client(handler), sleep=sleeps.append)
    assert sleeps == [7.0]


def test_resume_after_cut_connection(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        rng = request.headers.get("range")
        if rng is None:
            return httpx.Response(200, headers={"ETag": '"v1"', "Content-Length": str(len(BODY))},
                                  stream=CutStream(BODY, 300_000))
        start = int(rng.removeprefix("bytes=").rstrip("-"))
        assert request.headers["if-range"] == '"v1"'
        return httpx.Response(206, content=BODY[start:], headers={
            "ETag": '"v1"', "Content-Range": f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"})

    res = download(URL, tmp_path, client=_client(handler), sleep=lambda s: None)
    assert seen[1]["range"] == "bytes=300000-"
    assert res.path.read_bytes() == BODY
    assert res.sha256 == hashlib.sha256(BODY).hexdigest()
    assert _files(tmp_path) == ["00_zenkoku_all_20261030.zip"]


def test_restart_cleanly_when_server_ignores_range(tmp_path: Path) -> None:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            return httpx.Response(200, headers={"ETag": '"v1"'}, stream=CutStream(BODY, 1000))
        assert "range" in request.headers
        return _ok()  # full body again

    res = download(URL, tmp_path, client=_client(handler), sleep=lambda s: None)
    assert res.path.read_bytes() == BODY and res.sha256 == hashlib.sha256(BODY).hexdigest()


def test_failure_leaves_no_file_at_the_target(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"ETag": '"v1"'}, stream=CutStream(BODY, 5000))

    with caplog.at_level(logging.WARNING), pytest.raises(DownloadError) as ei:
        download(URL, tmp_path, client=_client(handler), max_retries=2, sleep=lambda s: None)
    assert not (tmp_path / "00_zenkoku_all_20261030.zip").exists()
    assert all(name.startswith(".partial-") for name in _files(tmp_path))  # kept only for a later resume
    assert "SECRET123" not in str(ei.value) and "SECRET123" not in caplog.text
    assert "id=***" in str(ei.value)
    assert ei.value.__cause__ is None and ei.value.__suppress_context__


def test_non_retryable_status(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    with pytest.raises(DownloadError) as ei:
        download(URL, tmp_path, client=_client(handler), sleep=lambda s: None)
    assert ei.value.status == 404 and len(calls) == 1
    assert _files(tmp_path) == []


def test_conditional_get_not_modified(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["if-none-match"] == '"v1"'
        assert request.headers["if-modified-since"] == "Fri, 30 Oct 2026 00:00:00 GMT"
        return httpx.Response(304, headers={"ETag": '"v1"'})

    res = download(URL, tmp_path, client=_client(handler), etag='"v1"',
                   last_modified="Fri, 30 Oct 2026 00:00:00 GMT")
    assert isinstance(res, NotModified) and res.etag == '"v1"'
    assert _files(tmp_path) == []


def test_post_with_content_disposition(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and b"selDlFileNo=15101" in request.content
        return _ok(b"PK\x03\x04data", **{"Content-Disposition": 'attachment; filename="00_zenkoku_all_20261030.zip"'})

    res = download("http://127.0.0.1:9/download/zenken/index.html", tmp_path, client=_client(handler),
                   method="POST", data={"selDlFileNo": "15101"})
    assert res.path.name == "00_zenkoku_all_20261030.zip"
    assert res.content_type is None or isinstance(res.content_type, str)


def test_redact() -> None:
    assert redact("https://api.test/4/num?id=ABC&number=1&type=12") == "https://api.test/4/num?id=***&number=1&type=12"
    assert "s3cr3t" not in redact("https://x.test/a?token=s3cr3t&Key=s3cr3t")
    assert redact("https://x.test/a/b.zip") == "https://x.test/a/b.zip"


def test_retry_after_parsing() -> None:
    now = datetime(2026, 10, 30, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Fri, 30 Oct 2026 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("garbage") is None and retry_after_seconds(None) is None
