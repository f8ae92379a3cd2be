"""Progress: downloads report bytes through a callback (resumes continue from what is on disk); the command
line's bars are drawn on a terminal only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
from rich.console import Console

from kiban.progress import bar
from registries.http import download

BODY = bytes(range(256)) * 2048  # 512 KiB
URL = "http://127.0.0.1:9/files/mt_city_all.csv.zip"


class CutStream(httpx.SyncByteStream):
    def __init__(self, data: bytes, cut: int) -> None:
        self.data, self.cut = data, cut

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: self.cut]
        raise httpx.ReadError("connection reset by peer")


def test_a_download_reports_its_bytes_up_to_the_total_and_a_resume_continues_from_disk(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        rng = request.headers.get("range")
        if rng is None:
            return httpx.Response(200, headers={"ETag": '"v1"', "Content-Length": str(len(BODY))},
                                  stream=CutStream(BODY, 100_000))
        start = int(rng.removeprefix("bytes=").rstrip("-"))
        return httpx.Response(206, content=BODY[start:], headers={
            "ETag": '"v1"', "Content-Range": f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"})

    seen: list[tuple[int, int | None]] = []
    res = download(URL, tmp_path, client=httpx.Client(transport=httpx.MockTransport(handler)),
                   sleep=lambda s: None, progress=lambda done, total: seen.append((done, total)))
    assert res.path.read_bytes() == BODY
    assert seen[0] == (100_000, len(BODY))  # the first attempt, cut after 100,000 bytes
    assert seen[1][0] > 100_000 and seen[-1] == (len(BODY), len(BODY))  # the resume counts from what is on disk
    assert all(t == len(BODY) for _, t in seen)


def test_a_download_with_an_unknown_length_reports_no_total(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(BODY))

    seen: list[tuple[int, int | None]] = []
    download(URL, tmp_path, client=httpx.Client(transport=httpx.MockTransport(handler)),
             progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(BODY), None)


def test_bars_draw_on_a_terminal_and_stay_silent_otherwise() -> None:
    piped = io.StringIO()
    with bar("publish", con=Console(file=piped, force_terminal=False)) as update:
        update(1, 3, "publish: incoming")
    assert piped.getvalue() == ""
    tty = io.StringIO()
    with bar("publish", con=Console(file=tty, force_terminal=True, width=100)) as update:
        update(2, 3, "publish: catalog")
    assert "publish: catalog" in tty.getvalue() and "2/3" in tty.getvalue()
