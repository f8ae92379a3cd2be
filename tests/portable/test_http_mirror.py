"""A release mirrored on a plain web server (range requests, no directory listing), served on 127.0.0.1, is read
by DuckDB's httpfs through the views file's ``<dataset>_at(root)`` macros, and by Polars and PyArrow from the
manifest's file list: the one-liners of docs/releases.md."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from kiban.duck import connect, quote_literal
from kiban.releases.interop import duckdb_reference, key_checksum

from .conftest import copy_tree

KEYS = ["corporate_number", "prefecture_code", "kind", "update_date", "close_date"]


@pytest.fixture(scope="module")
def mirror(published, tmp_path_factory) -> Iterator[str]:
    """The releases folder copied under a web root and served by a static file server; yields its base URL."""
    root = tmp_path_factory.mktemp("web")
    copy_tree(published.releases, root / "kiban" / "releases")
    app = Starlette()
    app.mount("/", StaticFiles(directory=root))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "static server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/kiban/releases"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _expected(published, version: str) -> tuple[int, str]:
    return duckdb_reference(published.releases / version / "corporations", KEYS)


def test_the_mirror_answers_range_requests_and_lists_no_directory(mirror, published):
    base = f"{mirror}/{published.second}"
    part = httpx.get(f"{base}/release.duckdb", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert httpx.get(f"{base}/corporations/").status_code == 404  # no listing: globs cannot work over HTTP


def test_duckdb_httpfs_queries_a_release_over_http_through_its_views_file(mirror, published):
    base = f"{mirror}/{published.second}"
    con = connect(extensions=("httpfs",))
    try:
        con.execute(f"ATTACH {quote_literal(base + '/release.duckdb')} AS r (READ_ONLY)")
        rows = con.execute(f"SELECT {', '.join(KEYS)} FROM r.corporations_at(?)", [base]).fetchall()
        assert (len(rows), key_checksum(rows)) == _expected(published, published.second)
        n, with_lg = con.execute("SELECT count(*), count(lg_code) FROM r.corporations_with_lg_code_at(?)",
                                 [base]).fetchone()
        assert n == len(rows) and 0 < with_lg <= n
        assert con.execute("SELECT version FROM r._release").fetchone()[0] == published.second
        # one file by URL, no views file
        one = published.manifest(published.second)["datasets"]["corporations"]["files"][12]
        assert "part_prefecture_code=13" in one
        n13 = con.execute(f"SELECT count(*) FROM {quote_literal(base + '/' + one)}").fetchone()[0]
        assert n13 == sum(1 for r in rows if r[1] == "13") > 0
        # the macro pointed at another release's URL refuses to answer
        other = f"{mirror}/{published.first}"
        with pytest.raises(Exception, match=f"holds release {published.first}"):
            con.execute("SELECT count(*) FROM r.corporations_at(?)", [other]).fetchall()
    finally:
        con.close()


def test_polars_and_pyarrow_read_a_release_over_http_from_its_manifest(mirror, published):
    base = f"{mirror}/{published.second}"
    files = httpx.get(f"{base}/manifest.json").json()["datasets"]["corporations"]["files"]
    expected = _expected(published, published.second)
    df = pl.scan_parquet([f"{base}/{f}" for f in files], hive_partitioning=False).select(KEYS).collect()
    assert (df.height, key_checksum(df.iter_rows())) == expected
    table = pa.concat_tables([pq.read_table(pa.BufferReader(httpx.get(f"{base}/{f}").content)) for f in files])
    cols = [table.column(k).to_pylist() for k in KEYS]
    assert (table.num_rows, key_checksum(zip(*cols, strict=True))) == expected
