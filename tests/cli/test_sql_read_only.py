"""``kiban sql`` cannot write files, read outside the lake or change its configuration, in both modes.

Each escape below worked before (COPY TO overwrote a live Parquet file; ``--as-of`` read /etc/hostname and wrote
outside the home; the DuckLake catalog's maintenance functions delete files). After each attempt every file of
the home is byte-for-byte unchanged and nothing was created outside it.
"""

from __future__ import annotations

import duckdb
import pytest

from kiban import query
from kiban.duck import extension_path

NOW, PAST = "now", "past"


@pytest.fixture(params=[NOW, PAST])
def mode(request, first_time):
    return None if request.param == NOW else first_time


def _live_parquet(home) -> str:
    return str(next((home.lake_data).rglob("*.parquet")))


def _escapes(home, outside) -> dict[str, str]:
    live = _live_parquet(home)
    return {
        "copy onto a live lake file": f"COPY (SELECT 'x' AS id, 1 AS n) TO '{live}' (FORMAT parquet)",
        "copy onto a live lake file without a temporary file":
            f"COPY (SELECT 'x' AS id) TO '{live}' (FORMAT csv, USE_TMP_FILE false)",
        "copy into lake/data": f"COPY (SELECT 1) TO '{home.lake_data / 'new.parquet'}' (FORMAT parquet)",
        "copy outside the home": f"COPY (SELECT 1) TO '{outside / 'out.csv'}'",
        "export database": f"EXPORT DATABASE '{outside / 'export'}'",
        "attach a database": f"ATTACH '{outside / 'x.duckdb'}' AS x",
        "attach the catalog writable": f"ATTACH 'ducklake:{home.catalog}' AS w",
        "create a table": "CREATE TABLE t AS SELECT 1",
        "insert": "INSERT INTO things VALUES ('z', 9)",
        "set external access back on": "SET enable_external_access = true",
        "widen allowed paths": "SET allowed_directories = ['/']",
        "unlock configuration": "RESET lock_configuration",
        "install an extension": "INSTALL spatial",
        "load an extension from a file": f"LOAD '{extension_path('ducklake')}'",
        "checkpoint": "CHECKPOINT",
        "a write hidden after a read": f"SELECT 1; COPY (SELECT 1) TO '{outside / 'late.csv'}'",
    }


ESCAPES = ["copy onto a live lake file", "copy onto a live lake file without a temporary file", "copy into lake/data",
           "copy outside the home", "export database", "attach a database", "attach the catalog writable",
           "create a table", "insert", "set external access back on", "widen allowed paths", "unlock configuration",
           "install an extension", "load an extension from a file", "checkpoint", "a write hidden after a read"]


@pytest.mark.parametrize("name", ESCAPES)
def test_a_statement_that_writes_or_reconfigures_is_refused_and_changes_nothing(lake_home, mode, tmp_path, name,
                                                                                 fingerprint):
    before = fingerprint(lake_home.home)
    sql = _escapes(lake_home, tmp_path)[name]
    with pytest.raises(query.ReadOnlyError, match="kiban sql is read-only"):
        query.run(lake_home, sql, as_of=mode)
    assert fingerprint(lake_home.home) == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/hostname')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT count(*) FROM glob('/etc/*')",
    "SELECT * FROM read_blob('{catalog}')",
    "SELECT * FROM read_parquet('{data}/../catalog.ducklake')",
    "SELECT * FROM read_csv('{home}/landing/../../../../etc/hostname')",
])
def test_files_outside_the_lake_data_cannot_be_read(lake_home, mode, sql):
    sql = sql.format(catalog=lake_home.catalog, data=lake_home.lake_data, home=lake_home.home)
    with pytest.raises(duckdb.PermissionException, match="file system operations are disabled"):
        query.run(lake_home, sql, as_of=mode)


def test_the_ducklake_maintenance_functions_are_not_reachable_in_time_travel(lake_home, first_time, fingerprint):
    before = fingerprint(lake_home.home)
    for sql in ("SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)",
                "SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())",
                "SELECT * FROM lake.snapshots()"):
        with pytest.raises(duckdb.Error):
            query.run(lake_home, sql, as_of=first_time)
    assert fingerprint(lake_home.home) == before


def test_the_connection_itself_refuses_new_files_and_setting_changes(lake_home, mode, tmp_path, fingerprint):
    """The second layer alone (statements not checked): DuckDB refuses what the first layer would stop."""
    before = fingerprint(lake_home.home)
    with query.read_connection(lake_home, mode) as con:
        for sql in (f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                    f"COPY (SELECT 1) TO '{lake_home.lake_data / 'new.parquet'}' (FORMAT parquet)",
                    f"ATTACH '{tmp_path / 'y.duckdb'}' AS y"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(sql)
        for sql in ("SET enable_external_access = true", "SET allowed_directories = ['/']",
                    "SET lock_configuration = false"):
            with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
                con.execute(sql)
        assert con.execute("SELECT count(*) FROM things").fetchone()[0] in (1, 47)
    assert fingerprint(lake_home.home) == before
    assert list(tmp_path.iterdir()) == []


def test_reading_statements_still_answer_in_both_modes(lake_home, first_time):
    assert query.run(lake_home, "SELECT count(*) AS n FROM things", fmt="csv") == "n\n47\n"
    assert query.run(lake_home, "SELECT count(*) AS n FROM things", fmt="csv", as_of=first_time) == "n\n1\n"
    assert "things" in query.run(lake_home, "SHOW TABLES")
    assert "things" in query.run(lake_home, "SHOW TABLES", as_of=first_time)
    assert "column_name" in query.run(lake_home, "DESCRIBE things")
    plan = query.run(lake_home, "EXPLAIN SELECT * FROM things")
    assert "READ_PARQUET" in plan and "row" not in plan.splitlines()[-1]
    assert query.run(lake_home, "SELECT ST_AsText(ST_Point(1, 2)) AS p", fmt="csv") == "p\nPOINT (1 2)\n"


def test_after_a_killed_writer_sql_reads_the_catalog_through_the_same_sandbox(lake_home, tmp_path, fingerprint):
    """A stale views file (a writer killed between commit and views) makes kiban sql read the catalog's snapshot:
    through views and a detached catalog, like --as-of."""
    marker = lake_home.lake / ".views-stale"
    marker.touch()
    try:
        before = fingerprint(lake_home.home)
        assert query.run(lake_home, "SELECT count(*) AS n FROM things", fmt="csv") == "n\n47\n"
        for sql in ("SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)",
                    f"SELECT * FROM read_csv('{tmp_path}/x.csv')"):
            with pytest.raises(duckdb.Error):
                query.run(lake_home, sql)
        with pytest.raises(query.ReadOnlyError):
            query.run(lake_home, f"COPY things TO '{tmp_path / 'x.csv'}'")
        assert fingerprint(lake_home.home) == before
    finally:
        marker.unlink()
