"""A KIBAN_HOME moved (copied, original deleted) keeps answering SQL and takes writes: the catalog is attached
with the new data path, which the first write records after checking that every lake file came along."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from kiban.config import paths as make_paths
from kiban.duck import connect, quote_literal
from kiban.lake import Lake, LakeMoved

from .conftest import SAMPLES, copy_tree, kiban, run_client


def _stored_data_path(home) -> str:
    con = connect()
    try:
        con.execute(f"ATTACH {quote_literal(str(home / 'lake' / 'catalog.ducklake'))} AS meta (READ_ONLY)")
        return con.execute("SELECT value FROM meta.ducklake_metadata WHERE key = 'data_path'").fetchone()[0]
    finally:
        con.close()


def _count(home, sql: str, *extra: str) -> int:
    out = json.loads(kiban(home, "sql", sql, "--format", "json", *extra))
    return next(iter(out[0].values()))


@pytest.fixture
def moved(published, tmp_path):
    """The published home copied to another path under another name; the original (a scratch copy) deleted."""
    original = copy_tree(published.home.home, tmp_path / "server-a" / "kiban")
    moved = copy_tree(original, tmp_path / "restored from backup" / "home")
    shutil.rmtree(original)
    return original, moved


def test_a_moved_home_answers_sql_and_takes_an_ingest_and_a_publish(published, moved, tmp_path, caplog):
    original, home = moved
    second = published.manifest(published.second)
    first = published.manifest(published.first)
    corporations = second["datasets"]["corporations"]["rows"]
    # reads: the views file (kiban sql) and the catalog (time travel), before anything is written
    assert _count(home, "select count(*) from corporations") == corporations
    assert _count(home, "select count(*) from corporations_with_lg_code where lg_code is not null") > 0
    assert _count(home, "select count(*) from corporations", "--as-of",
                  first["lake"]["snapshot_time"]) == first["datasets"]["corporations"]["rows"]
    assert _stored_data_path(home) == f"{published.home.lake_data}/"  # where the home was first written
    # a plain DuckDB client opens kiban.duckdb from the home folder
    out = run_client("""
        import json, duckdb
        con = duckdb.connect("kiban.duckdb", read_only=True)
        print(json.dumps(con.execute("SELECT count(*) FROM corporations").fetchone()))
    """, cwd=home)
    assert out == [corporations]
    # and so do Kiban's own readers, cursors included (the API serves each request on a cursor)
    con = Lake(make_paths(home)).reader(spatial=False)
    try:
        cur = con.cursor()
        cur.execute("USE views")
        assert cur.execute("SELECT count(*) FROM corporations").fetchone()[0] == corporations
    finally:
        con.close()

    # a write: an ingest records the new data path, then succeeds
    with caplog.at_level(logging.WARNING, logger="kiban.lake"):
        output = kiban(home, "ingest", "corporate", str(SAMPLES / "corporate" / "diff_20261104.zip"))
    assert output.startswith("loaded diff_20261104.zip"), output
    assert _stored_data_path(home) == f"{home}/lake/data/"
    assert any("KIBAN_HOME moved" in r.getMessage() and str(home) in r.getMessage() for r in caplog.records)
    changed = _count(home, "select count(*) from corporate_events where source_file = 'diff_20261104.zip'")
    assert changed > 0
    assert _count(home, "select count(*) from loads where source_file = 'diff_20261104.zip' "
                        "and status = 'loaded'") == 1
    # and a publish in the moved home yields a release its views file reads
    kiban(home, "publish")
    latest = json.loads((home / "releases" / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert latest["version"] not in (published.first, published.second)
    out = run_client("""
        import json, duckdb
        con = duckdb.connect("release.duckdb", read_only=True)
        print(json.dumps(con.execute("SELECT count(*) FROM corporate_events").fetchone()))
    """, cwd=home / "releases" / "latest")
    assert out == [latest["datasets"]["corporate_events"]["rows"]]
    assert not original.exists()


def test_a_home_copied_without_all_its_lake_files_says_what_to_copy(published, tmp_path):
    home = copy_tree(published.home.home, tmp_path / "partial")
    lost = sorted((home / "lake" / "data" / "main" / "corporations").glob("*.parquet"))[0]
    lost.unlink()
    with pytest.raises(LakeMoved) as err, Lake(make_paths(home)).writer():
        pass
    message = str(err.value)
    assert f"written for {published.home.lake_data}/" in message
    assert f"first: {lost.relative_to(home)}" in message and "rsync -a" in message
    assert _stored_data_path(home) == f"{published.home.lake_data}/"  # nothing recorded
