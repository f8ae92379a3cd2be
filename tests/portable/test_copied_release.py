"""A release folder copied to another path, with the original deleted, answers from DuckDB (its views file),
Polars, PyArrow and Spark as it is; a views file never reads another release's files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import copy_tree, run_client

KEYS = {"corporations": ["corporate_number", "prefecture_code", "kind", "update_date", "close_date"],
        "municipalities": ["lg_code", "name", "valid_to"],
        "parcels": ["lg_code", "oaza_code", "chiban", "geometry"]}

REPO = Path(__file__).resolve().parents[2]
SPARK_PYTHON = Path(os.environ.get("KIBAN_SPARK_PYTHON", REPO / ".venv-spark" / "bin" / "python"))

# what the clean client runs against a views file: row count and key checksum of each dataset, plus the join
VIEWS_CLIENT = """
    import json, sys
    import duckdb
    sys.path.insert(0, {repo!r})
    from kiban.releases.interop import key_checksum  # standard library only
    con = duckdb.connect({views!r}, read_only=True{config})
    out = {{}}
    for name, keys in {keys!r}.items():
        rows = con.execute("SELECT " + ", ".join(keys) + " FROM " + name).fetchall()
        out[name] = [len(rows), key_checksum(rows)]
    out["with_lg_code"] = con.execute("SELECT count(*), count(lg_code) FROM corporations_with_lg_code").fetchone()
    out["version"] = con.execute("SELECT version FROM _release").fetchone()[0]
    print(json.dumps(out))
"""


def _views_client(views: str, config: str = "") -> str:
    return VIEWS_CLIENT.format(repo=str(REPO), views=views, config=config, keys=KEYS)


def _reference(release: Path) -> dict:
    """Row counts and checksums read straight from the Parquet files (DuckDB read_parquet, no views file)."""
    from kiban.releases.interop import duckdb_reference

    return {name: list(duckdb_reference(release / name, keys)) for name, keys in KEYS.items()}


@pytest.fixture
def copied(published, tmp_path) -> tuple[Path, dict, dict]:
    """The latest release copied (under another folder name) to a fresh place; the home it came from deleted."""
    scratch = copy_tree(published.home.home, tmp_path / "scratch-home")
    original = scratch / "releases" / published.second
    manifest = json.loads((original / "manifest.json").read_text(encoding="utf-8"))
    expected = _reference(original)
    copy = copy_tree(original, tmp_path / "another machine" / "kiban-release")
    shutil.rmtree(scratch)
    return copy, manifest, expected


def test_a_copied_release_answers_from_its_views_file_once_the_original_is_deleted(copied, tmp_path):
    copy, manifest, expected = copied
    for name in KEYS:
        assert expected[name][0] == manifest["datasets"][name]["rows"] > 0
    # cd into the copy, open release.duckdb: a plain DuckDB client, no Kiban, no extension
    out = run_client(_views_client("release.duckdb"), cwd=copy)
    assert {n: out[n] for n in KEYS} == expected
    assert out["version"] == manifest["version"]
    corporations = manifest["datasets"]["corporations"]["rows"]
    assert out["with_lg_code"][0] == corporations and 0 < out["with_lg_code"][1] <= corporations
    # from any other directory, with file_search_path naming the copy (the documented Python one-liner)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run_client(_views_client(str(copy / "release.duckdb"), f", config={{'file_search_path': {str(copy)!r}}}"),
                     cwd=elsewhere)
    assert {n: out[n] for n in KEYS} == expected


def test_polars_and_pyarrow_read_the_copied_release_like_its_views(copied):
    copy, _, expected = copied
    out = run_client(f"""
        import json, sys
        import polars as pl, pyarrow.dataset as ds
        sys.path.insert(0, {str(REPO)!r})
        from kiban.releases.interop import key_checksum
        keys = {KEYS!r}
        out = {{}}
        for name, cols in keys.items():
            df = pl.scan_parquet(name + "/**/*.parquet", hive_partitioning=False).select(cols).collect()
            t = ds.dataset(name, format="parquet").to_table(columns=cols)
            out[name] = {{"polars": [df.height, key_checksum(df.iter_rows())],
                         "pyarrow": [t.num_rows, key_checksum(zip(*[t.column(c).to_pylist() for c in cols]))]}}
        print(json.dumps(out))
    """, cwd=copy)
    for name in KEYS:
        assert out[name] == {"polars": expected[name], "pyarrow": expected[name]}


def test_a_views_file_opened_from_another_release_folder_fails_instead_of_reading_it(published, tmp_path):
    releases = copy_tree(published.releases, tmp_path / "releases")
    first, second = releases / published.first, releases / published.second
    # release 2's views file, opened from release 1's folder: same layout, different rows -> refused
    failed = run_client(_views_client(str(second / "release.duckdb")), cwd=first, check=False)
    assert failed["returncode"] != 0
    assert f"belongs to Kiban release {published.second}" in failed["stderr"]
    assert f"holds release {published.first}" in failed["stderr"]
    # ... and its macro pointed at release 1's folder too
    failed = run_client(f"""
        import duckdb
        con = duckdb.connect({str(second / 'release.duckdb')!r}, read_only=True)
        print(con.execute("SELECT count(*) FROM corporations_at({str(first)!r})").fetchall())
    """, cwd=tmp_path, check=False)
    assert failed["returncode"] != 0 and f"holds release {published.first}" in failed["stderr"]
    # from a folder that holds no release: DuckDB cannot find the listed files
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = run_client(_views_client(str(second / "release.duckdb")), cwd=empty, check=False)
    assert failed["returncode"] != 0 and "No files found" in failed["stderr"]


def test_latest_duckdb_travels_with_the_releases_folder(published, tmp_path):
    copy = copy_tree(published.releases, tmp_path / "mirror" / "releases")
    expected = _reference(copy / published.second)
    out = run_client(_views_client("latest.duckdb"), cwd=copy)
    assert out["version"] == published.second
    assert {n: out[n] for n in KEYS} == expected
    # the copy's latest link is relative: it still names the copy's own folder
    assert os.readlink(copy / "latest") == published.second


@pytest.mark.slow
def test_spark_reads_the_copied_release_like_duckdb(copied):
    assert SPARK_PYTHON.exists(), f"{SPARK_PYTHON} missing: run `make spark-env` (make test-slow does)"
    copy, _, expected = copied
    keys = {k: v for k, v in KEYS.items() if k != "parcels"} | {"parcels": ["lg_code", "oaza_code", "chiban"]}
    proc = subprocess.run([str(SPARK_PYTHON), str(REPO / "tests" / "releases" / "spark_reader.py"), str(copy),
                           json.dumps(keys)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    spark = json.loads(proc.stdout.strip().splitlines()[-1])
    from kiban.releases.interop import duckdb_reference

    for name, cols in keys.items():
        n, checksum = duckdb_reference(copy / name, cols)
        assert spark[name] == {"rows": n, "checksum": checksum} and n == expected[name][0]


def test_a_file_missing_from_a_partial_copy_is_never_read_from_the_working_directory(published, tmp_path):
    releases = copy_tree(published.releases, tmp_path / "releases")
    first, second = releases / published.first, releases / published.second
    partial = copy_tree(second, tmp_path / "partial copy")
    missing = next(f for f in published.manifest(published.second)["datasets"]["corporations"]["files"]
                   if "part_prefecture_code=13" in f)
    (partial / missing).unlink()
    assert (first / missing).exists()  # the working directory holds a file of that name (release 1's)
    failed = run_client(_views_client(str(partial / "release.duckdb"),
                                      f", config={{'file_search_path': {str(partial)!r}}}"), cwd=first, check=False)
    assert failed["returncode"] != 0
    assert "No files found" in failed["stderr"] and "part_prefecture_code=13" in failed["stderr"]
