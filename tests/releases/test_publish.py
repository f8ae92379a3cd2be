"""Publishing: manifest content, verification, blocking checks, retention, SQL views, time travel."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kiban.cli import main
from kiban.duck import connect
from kiban.lake import Lake
from kiban.releases.checks import PublishBlocked
from kiban.releases.manifest import sha256_file
from kiban.releases.publish import publish
from kiban.releases.retention import RetentionPolicy, expired, retained
from kiban.releases.store import ReleaseStore
from kiban.releases.views import open_views
from schemas.moj_map import MOJ_ATTRIBUTION

from .conftest import CORP_ROWS, PREFS, contracts, corporations_select


def test_manifest_lists_every_file_with_checksums_schema_snapshot_lineage_quality(shared_release):
    store = ReleaseStore.of(shared_release)
    version = store.latest()
    assert store.versions() == [version]
    m = store.manifest(version)
    root = store.root / version
    for f in m["files"]:
        assert sha256_file(root / f["path"]) == f["sha256"]
        assert (root / f["path"]).stat().st_size == f["bytes"]
    corp = m["datasets"]["corporations"]
    assert corp["rows"] == CORP_ROWS == sum(f["rows"] for f in m["files"] if f.get("dataset") == "corporations")
    assert corp["schema_hash"] == contracts()["corporations"].schema_hash()
    assert corp["partition_dirs"] == ["part_prefecture_code"]
    assert sorted(p.split("/")[1] for p in corp["files"]) == [f"part_prefecture_code={p}" for p in PREFS]
    assert corp["quality"]["success"] and corp["quality"]["checks"] > 10 and not corp["quality"]["blocking_failures"]
    assert corp["lineage"][0]["sha256"] == "a" * 64 and corp["lineage"][0]["fetched_at"].startswith("2026-11-01")
    assert m["lake"]["snapshot_id"] == Lake(shared_release).snapshot_id()
    assert "loads" not in m["datasets"]  # platform bookkeeping is not open data
    parcels = m["datasets"]["parcels"]
    assert parcels["format"] == "geoparquet" and parcels["attribution"] == MOJ_ATTRIBUTION and "加工" in MOJ_ATTRIBUTION
    assert m["retention"]["keep_last"] >= 1 and "statement" in m["retention"]
    assert {"datapackage.json", "catalog.jsonld", "dictionary/corporations.html"} <= {f["path"] for f in m["files"]}


def test_geoparquet_metadata_and_zero_padded_codes_stay_strings(shared_release):
    store = ReleaseStore.of(shared_release)
    root = store.root / store.latest()
    con = connect(extensions=("spatial",))
    geo = con.execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = 'geo'",
                      [str(root / "parcels" / "data_0.parquet")]).fetchone()[0]
    assert json.loads(geo)["primary_column"] == "geometry"
    codes = con.execute("SELECT DISTINCT prefecture_code FROM read_parquet(?, hive_partitioning = false) ORDER BY 1",
                        [str(root / "corporations" / "**" / "*.parquet")]).fetchall()
    assert [c[0] for c in codes] == list(PREFS)


def test_release_views_answer_queries(shared_release):
    store = ReleaseStore.of(shared_release)
    con = open_views(store.root / store.latest() / "release.duckdb", extensions=("spatial",))
    try:
        by_pref = con.execute("SELECT prefecture_code, count(*) FROM corporations GROUP BY 1 ORDER BY 1").fetchall()
        assert by_pref == [(p, CORP_ROWS // 3) for p in PREFS]
        near = con.execute("SELECT count(*) FROM parcels WHERE ST_DWithin(geometry, ST_Point(139.75, 35.68), 0.0015)"
                           ).fetchone()[0]
        assert near == 2
    finally:
        con.close()
    latest = open_views(store.root / "latest.duckdb")
    assert latest.execute("SELECT version FROM _release").fetchone()[0] == store.latest()
    assert latest.execute("SELECT count(*) FROM corporations").fetchone()[0] == CORP_ROWS


def test_verify_detects_a_flipped_byte(shared_release):
    store = ReleaseStore.of(shared_release)
    runner = CliRunner()
    ok = runner.invoke(main, ["--home", str(shared_release.home), "releases", "verify", "latest"])
    assert ok.exit_code == 0, ok.output
    m = store.manifest("latest")
    target = store.root / m["version"] / m["datasets"]["corporations"]["files"][0]
    original = target.read_bytes()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    try:
        target.write_bytes(bytes(flipped))
        bad = runner.invoke(main, ["--home", str(shared_release.home), "releases", "verify", m["version"]])
    finally:
        target.write_bytes(original)
    assert bad.exit_code == 1
    assert "sha256" in bad.output and "corporations/" in bad.output


def test_blocking_failure_prevents_publish(lake_home):
    cs = contracts()
    with Lake(lake_home).writer() as w:  # a corporate number breaking the contract pattern
        w.append(cs["corporations"], corporations_select(1).replace("1000000000000 + i * 7", "'0123'"))
    with pytest.raises(PublishBlocked) as e:
        publish(lake_home, contracts=cs, datasets=["corporations"])
    assert "corporate_number__pattern" in e.value.failures["corporations"]
    store = ReleaseStore.of(lake_home)
    assert store.versions() == [] and store.latest() is None
    assert [p.name for p in store.root.iterdir() if not p.name.startswith(".publish")] == []


def test_a_corporate_number_in_two_partition_files_stops_the_publish(lake_home):
    cs = contracts()
    with Lake(lake_home).writer() as w:  # row 0 again (prefecture 01), now in prefecture 47's file
        w.append(cs["corporations"], corporations_select(1).replace(f"['{PREFS[0]}', '{PREFS[1]}', '{PREFS[2]}'][i % 3 + 1]",
                                                                    f"'{PREFS[2]}'"))
    with pytest.raises(PublishBlocked) as e:
        publish(lake_home, contracts=cs, datasets=["corporations"])
    assert e.value.failures == {"corporations": ["pk__unique"]}
    assert ReleaseStore.of(lake_home).versions() == []


def test_a_duplicated_compound_key_stops_the_publish_of_a_spatial_dataset(lake_home):
    from .conftest import _spatial, parcels_select

    cs = contracts()
    with Lake(lake_home).writer() as w:  # one parcel again: the same 7-column key
        w.con.execute(f"LOAD '{_spatial()}'")
        w.append(cs["parcels"], parcels_select().replace("FROM range(5)", "FROM range(1)"))
    with pytest.raises(PublishBlocked) as e:
        publish(lake_home, contracts=cs, datasets=["parcels"])
    assert e.value.failures == {"parcels": ["pk__unique"]}
    assert ReleaseStore.of(lake_home).versions() == []


def test_second_publish_moves_latest_keeps_the_first_and_applies_retention(lake_home):
    store = ReleaseStore.of(lake_home)
    cs = contracts()
    first = publish(lake_home, contracts=cs, datasets=["corporations"]).version
    with Lake(lake_home).writer() as w:
        w.replace(cs["corporations"], corporations_select(CORP_ROWS + 3))
    result = publish(lake_home, contracts=cs, datasets=["corporations"])
    assert store.versions() == [first, result.version] and store.latest() == result.version
    assert store.manifest(first)["datasets"]["corporations"]["rows"] == CORP_ROWS
    assert result.manifest["datasets"]["corporations"]["rows"] == CORP_ROWS + 3
    # time travel to the first release's snapshot, by version and by time
    snap = store.manifest(first)["lake"]["snapshot_id"]
    with Lake(lake_home).catalog_reader() as con:
        n = con.execute(f"SELECT count(*) FROM corporations AT (VERSION => {snap})").fetchone()[0]
    assert n == CORP_ROWS
    with Lake(lake_home).catalog_reader(as_of=store.manifest(first)["lake"]["snapshot_time"]) as con:
        assert con.execute("SELECT count(*) FROM corporations").fetchone()[0] == CORP_ROWS
    # retention: keep only the last one
    third = publish(lake_home, contracts=cs, datasets=["corporations"], policy=RetentionPolicy(1, 0))
    assert third.removed == [first, result.version] and store.versions() == [third.version]


def test_retention_keeps_last_n_monthly_firsts_and_latest():
    versions = ["2026-01-01.1", "2026-01-15.1", "2026-02-03.1", "2026-02-03.2", "2026-03-01.1", "2026-03-02.1"]
    policy = RetentionPolicy(keep_last=2, keep_monthly=2)
    assert retained(versions, policy) == ["2026-02-03.1", "2026-03-01.1", "2026-03-02.1"]
    assert expired(versions, policy, latest="2026-01-15.1") == ["2026-01-01.1", "2026-02-03.2"]
    assert expired(versions, RetentionPolicy(keep_last=1, keep_monthly=-1)) == ["2026-01-15.1", "2026-02-03.2"]


def test_release_checks_read_the_files_in_place_and_number_rows_across_them(tmp_path):
    """The checks run on exactly the written files (no staged copy); a failing row is named by its position
    across the files in order, as the staged copy named it."""
    from kiban.duck import connect
    from kiban.releases.checks import check_dataset, release_view_sql

    cs = contracts()
    contract = cs["corporations"]
    con = connect()
    files = []
    for i, rows in enumerate((7, 5)):
        select = corporations_select(rows)
        if i == 1:  # the third row of the second file breaks the corporate number pattern
            select = select.replace("1000000000000 + i * 7", "CASE WHEN i = 2 THEN 7 ELSE 1000000000000 + i * 7 END")
        path = tmp_path / f"part_{i}" / "data_0.parquet"
        path.parent.mkdir()
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
        files.append(path)
    rows = con.execute(f"SELECT _source_row, corporate_number FROM ({release_view_sql(contract, files)}) "
                       "ORDER BY _source_row").fetchall()
    assert [r[0] for r in rows] == list(range(1, 13))
    report = check_dataset(con, contract, files, (), tmp_path / "work")
    assert not report.success
    failed = report.result("corporate_number__pattern")
    assert failed.unexpected_count == 1
    assert [(s["row"], s["value"]) for s in failed.samples] == [(7 + 3, "7")]
    assert not (tmp_path / "work").exists()  # nothing staged
