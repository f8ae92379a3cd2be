"""The lake: atomic multi-table writes, views file swapped atomically, time travel, read-only SQL."""

from __future__ import annotations

import duckdb
import pytest

from kiban import query
from kiban.lake import Lake, contract_select
from schemas.contract import Column, Contract

T = Contract(
    name="things", version="1", title_ja="物", title_en="things", description="test table",
    columns=(Column("id", "string", "ID", "id", nullable=False), Column("n", "int64", "数", "count"),
             Column("d", "date", "日付", "date")),
)


def _rows(lake: Lake, sql: str):
    con = lake.reader()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_append_casts_staged_text_to_contract_types(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT " + contract_select(T, ["id", "n", "d"]) +
                 " FROM (VALUES ('a', '1', '2024-01-02'), ('b', '', '')) v(id, n, d)")
    assert _rows(lake, "SELECT id, n, CAST(d AS VARCHAR) FROM things ORDER BY id") == [
        ("a", 1, "2024-01-02"), ("b", None, None)]


def test_failed_write_leaves_previous_state_and_views(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'a', 1, DATE '2024-01-01'")
    before = home.views_db.read_bytes()
    with pytest.raises(duckdb.Error), lake.writer() as w:
        w.replace(T, "SELECT 'b', 2, DATE '2024-01-01'")
        w.con.execute("SELECT CAST('x' AS INTEGER)")  # fails mid-transaction
    assert _rows(lake, "SELECT id FROM things") == [("a",)]
    assert home.views_db.read_bytes() == before


def test_reader_opened_before_a_write_keeps_a_consistent_snapshot(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'a', 1, DATE '2024-01-01'")
    old = lake.reader()
    try:
        with lake.writer() as w:
            w.replace(T, "SELECT 'b', 2, DATE '2024-01-01' UNION ALL SELECT 'c', 3, NULL")
        assert old.execute("SELECT count(*) FROM things").fetchone()[0] == 1
    finally:
        old.close()
    assert _rows(lake, "SELECT count(*) FROM things") == [(2,)]


def test_time_travel_and_read_only_sql(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'a', 1, DATE '2024-01-01'")
    con = lake.reader()
    first_time = str(con.execute("SELECT refreshed_at FROM _kiban_snapshot").fetchone()[0])
    con.close()
    with lake.writer() as w:
        w.append(T, "SELECT 'b', 2, DATE '2024-01-01'")
    assert query.run(home, "SELECT count(*) AS n FROM things", fmt="csv") == "n\n2\n"
    assert query.run(home, "SELECT count(*) AS n FROM things", fmt="csv", as_of=first_time) == "n\n1\n"
    with pytest.raises(duckdb.Error):
        query.run(home, "CREATE TABLE x AS SELECT 1")
    with pytest.raises(duckdb.Error):
        query.run(home, "COPY (SELECT 1) TO '/tmp/kiban-should-not-exist.csv'")
    with pytest.raises(duckdb.Error):
        query.run(home, "SELECT * FROM read_csv('/etc/hostname')")


def test_csv_output_has_header_and_json_records(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'a,b', 1, DATE '2024-01-01'")
    assert query.run(home, "SELECT id, n, d FROM things", fmt="csv") == 'id,n,d\n"a,b",1,2024-01-01\n'
    assert '"d": "2024-01-01"' in query.run(home, "SELECT d FROM things", fmt="json")


def test_a_new_reader_sees_the_new_views_file_while_an_old_reader_is_open(home):
    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'a', 1, DATE '2024-01-01'")
    old = lake.reader()
    try:
        with lake.writer() as w:
            w.append(T, "SELECT 'b', 2, DATE '2024-01-01'")
        new = lake.reader()
        try:
            assert new.execute("SELECT count(*) FROM things").fetchone()[0] == 2
            assert old.execute("SELECT count(*) FROM things").fetchone()[0] == 1
        finally:
            new.close()
    finally:
        old.close()


def test_views_leave_out_rows_removed_by_delete_files(home):
    """Partial deletes (DuckLake delete files) are applied by the views exactly as DuckLake applies them."""
    from kiban.lake import LAKE

    lake = Lake(home)
    with lake.writer() as w:
        w.append(T, "SELECT 'k' || i, i, DATE '2024-01-01' + CAST(i AS INTEGER) FROM range(1000) t(i)")
    with lake.writer() as w:
        w.append(T, "SELECT 'x' || i, 1000 + i, NULL FROM range(10) t(i)")
    with lake.writer() as w:
        w.con.execute(f"DELETE FROM {LAKE}.things WHERE n % 7 = 0 OR n = 1003")
    with lake.writer() as w:
        w.con.execute(f"DELETE FROM {LAKE}.things WHERE n IN (1, 2, 1004)")  # a second delete on the same files
        files = w.con.execute(f"SELECT count(delete_file) FROM ducklake_list_files('{LAKE}', 'things')").fetchone()
    assert files[0] == 2  # both data files carry deletes
    expected = [r for r in range(1010) if not (r % 7 == 0 or r in (1003, 1, 2, 1004))]
    assert [r[0] for r in _rows(lake, "SELECT n FROM things ORDER BY n")] == expected
    with lake.catalog_reader() as con:
        assert [r[0] for r in con.execute("SELECT n FROM things ORDER BY n").fetchall()] == expected
