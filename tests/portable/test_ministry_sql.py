"""The SQL of docs/releases.md ("Ministries' SQL") runs as printed on a published release, in a plain DuckDB
client: the corporations-to-municipalities join agrees with the same join done in Polars, the extension-free
distance query agrees with DuckDB spatial, and spatial installs offline from its pip package as documented."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from .conftest import copy_tree, run_client

DOC = Path(__file__).resolve().parents[2] / "docs" / "releases.md"


def doc_block(marker: str) -> str:
    """The fenced block that follows ``<!-- tested: marker -->`` in docs/releases.md."""
    m = re.search(rf"<!-- tested: {re.escape(marker)} -->\n```\w*\n(.*?)\n```", DOC.read_text(encoding="utf-8"),
                  re.S)
    assert m, f"no block marked {marker!r} in {DOC}"
    return m.group(1)


def statements(sql: str) -> list[str]:
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", sql) if s.strip()]


RUN_STATEMENTS = """
    import json, duckdb
    con = duckdb.connect("release.duckdb", read_only=True)
    out = []
    for sql in {sqls!r}:
        rel = con.sql(sql)
        out.append(None if rel is None else [[str(v) if v is not None else None for v in r] for r in rel.fetchall()])
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def release(published, tmp_path_factory) -> Path:
    return copy_tree(published.releases / published.second, tmp_path_factory.mktemp("ministry") / "release")


def _polars_join(release: Path) -> dict[str, int]:
    """Corporations per lg_code, joined in Polars as the docs tell Polars users to (code5 -> lg_code)."""
    def scan(name: str) -> pl.LazyFrame:
        return pl.scan_parquet(str(release / name / "**" / "*.parquet"), hive_partitioning=False)

    codes = scan("municipality_codes").filter(pl.col("form") == "code5").select("code", "lg_code")
    joined = (scan("corporations").with_columns(code=pl.col("prefecture_code") + pl.col("city_code"))
              .join(codes, on="code", how="inner").group_by("lg_code").len().collect())
    return dict(joined.iter_rows())


def test_the_documented_ministry_queries_answer_on_a_published_release(release, published):
    sqls = statements(doc_block("ministry-sql"))
    assert len(sqls) == 6
    results = run_client(RUN_STATEMENTS.format(sqls=sqls), cwd=release)
    for sql, rows in zip(sqls, results, strict=True):
        assert rows, f"no rows from: {sql}"
    by_kind, closures, per_municipality, tokyo, near, release_row = results
    manifest = published.manifest(published.second)
    assert sum(int(r[2]) for r in by_kind) == manifest["datasets"]["corporations"]["rows"]
    assert all(int(r[1]) > 0 for r in closures)
    # the view and the spelled-out join agree with Polars doing the same join on the Parquet files
    expected = _polars_join(release)
    top = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    assert [(r[0], int(r[2])) for r in per_municipality] == top
    assert all(re.fullmatch(r"[0-9]{6}", r[0]) and r[1] for r in per_municipality)
    assert {r[0]: int(r[2]) for r in tokyo} == {k: v for k, v in expected.items() if k.startswith("13")}
    assert any(r[1] == "千代田区" for r in tokyo)
    assert all(float(r[2]) <= 500 for r in near)
    assert release_row == [[published.second, str(manifest["lake"]["snapshot_id"])]]


def test_duckdb_spatial_installs_offline_from_its_pip_package_as_documented(release, tmp_path):
    pip_line, install_line = doc_block("spatial-install").splitlines()
    # the documented pins are the versions Kiban runs
    assert f"duckdb=={duckdb.__version__}" in pip_line
    assert f"duckdb-extension-spatial=={importlib.metadata.version('duckdb-extension-spatial')}" in pip_line
    user = tmp_path / "analyst"  # a clean user: nothing in ~/.duckdb
    user.mkdir()
    spatial_sql = statements(doc_block("spatial-sql"))
    before = run_client(RUN_STATEMENTS.format(sqls=spatial_sql), cwd=release, home=user, check=False)
    assert before["returncode"] != 0 and "INSTALL spatial" in before["stderr"]
    argv = shlex.split(install_line)
    assert argv[0] == "python"
    env = {"HOME": str(user), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=user, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert list((user / ".duckdb" / "extensions").glob(f"v{duckdb.__version__}/*/spatial.duckdb_extension"))
    load, near = run_client(RUN_STATEMENTS.format(sqls=spatial_sql), cwd=release, home=user)
    assert load is None or load == []
    # the extension-free haversine query of the docs finds the same parcels at the same distances
    plain = run_client(RUN_STATEMENTS.format(sqls=[statements(doc_block("ministry-sql"))[4]]), cwd=release)[0]
    assert [r[:2] for r in near] == [r[:2] for r in plain] and near
    assert all(abs(float(a[2]) - float(b[2])) < 1.0 for a, b in zip(near, plain, strict=True))


def test_the_views_file_needs_no_extension_to_read_geoparquet(release):
    out = run_client("""
        import json, duckdb
        con = duckdb.connect("release.duckdb", read_only=True)
        print(json.dumps([con.execute("SELECT typeof(geometry), count(*) FROM parcels GROUP BY 1").fetchall(),
                          con.execute("SELECT count(*) FROM duckdb_extensions() WHERE loaded AND extension_name = 'spatial'").fetchone()[0]]))
    """, cwd=release)
    (types, loaded) = out
    assert [t[0] for t in types] == ["GEOMETRY('OGC:CRS84')"] and types[0][1] > 0 and loaded == 0
