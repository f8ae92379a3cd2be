"""``kiban demo`` end to end on the cluster profile: Dagster's storage in PostgreSQL, the lake's catalog in
PostgreSQL and its data on S3, the release uploaded to S3; no views file, no local lake."""

from __future__ import annotations

import pytest

from kiban.lakeconfig import S3Settings
from kiban.releases.objectstore import ObjectReleaseStore

pytestmark = pytest.mark.cluster


def test_the_demo_runs_on_postgresql_and_s3(cluster):
    dagster_db = cluster.pg.create_database()
    run = cluster.kiban("demo", timeout=3000, KIBAN_PROFILE="server", KIBAN_DAGSTER_PG_URL=cluster.pg.url(dagster_db))
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-5000:])

    home = cluster.home("home")
    assert not (home / "kiban.duckdb").exists() and not (home / "lake" / "catalog.ducklake").exists()
    lake_objects = cluster.s3.keys(cluster.bucket, "lake/main/")
    for table in ("corporations", "parcels", "abr_towns", "report_versions", "municipalities", "loads"):
        assert any(k.startswith(f"lake/main/{table}/") for k in lake_objects), table
        assert cluster.query(f'SELECT count(*) FROM "{table}"')[0][0] > 0, table
    assert cluster.catalog("SELECT count(*) FROM ducklake_snapshot")[0][0] > 10

    # Dagster's runs and events are in PostgreSQL
    con = cluster.pg.connect(dagster_db)
    try:
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
        assert cur.fetchone()[0] >= 2
    finally:
        con.close()

    store = ObjectReleaseStore.from_url(cluster.env["KIBAN_RELEASES"], S3Settings.from_env(cluster.env))
    version = store.latest()
    assert version is not None and store.manifest(version)["datasets"]["parcels"]["rows"] > 0
    verified = cluster.kiban("releases", "verify")
    assert verified.returncode == 0 and "files verified" in verified.stdout, verified.stderr
    sql = cluster.kiban("sql", "SELECT count(*) AS n FROM parcels", "--format", "csv")
    assert sql.returncode == 0 and int(sql.stdout.splitlines()[1]) > 0, sql.stderr
