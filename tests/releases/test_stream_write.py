"""The split-then-sort partition writer (pyarrow): the same types, rows, order and folders as DuckDB's own writer
would give, NULLs and several partition and sort columns included; nothing left behind when it fails."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kiban.duck import connect
from kiban.releases import stream_write
from kiban.releases.write import write_dataset
from schemas.contract import Column, Contract

ROWS = 20_000

COLUMNS = (
    Column("area", "string", "地域", "area"),
    Column("year", "int32", "年", "year"),
    Column("key", "string", "キー", "key"),
    Column("n", "int64", "数", "count"),
    Column("x", "double", "値", "value"),
    Column("flag", "bool", "真偽", "flag"),
    Column("day", "date", "日", "day"),
    Column("at", "timestamp", "時刻", "time"),
    Column("doc", "json", "文書", "document"),
    Column("wkb", "geometry", "形状", "shape (WKB, not a GeoParquet dataset)"),
    Column("note", "string", "備考", "note (absent from the source: typed NULLs)"),
)


def _contract(partition_by=("area", "year"), sort_by=("key", "n")) -> Contract:
    return Contract("t", "1.0.0", "試験", "test", "test dataset", COLUMNS, partition_by=partition_by,
                    sort_by=sort_by)


def _source(con) -> None:
    """Shuffled rows of every contract type; NULL partition values, NULL and tied sort keys."""
    con.execute("SET threads = 2")
    con.execute(f"""CREATE TABLE src AS SELECT
            CASE WHEN i % 11 = 0 THEN NULL ELSE ['北', '南 東', 'a/b=c%'][i % 3 + 1] END AS area,
            CAST(2020 + i % 4 AS INTEGER) AS year,
            CASE WHEN i % 13 = 0 THEN NULL ELSE 'k' || lpad(CAST(hash(i) % 5000 AS VARCHAR), 5, '0') END AS key,
            CASE WHEN i % 17 = 0 THEN NULL ELSE CAST(hash(i * 3) % 7 AS BIGINT) END AS n,
            i / 7.0 AS x, i % 2 = 0 AS flag, DATE '2020-01-01' + CAST(i % 900 AS INTEGER) AS day,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS at, '{{"i": ' || i || '}}' AS doc,
            CAST('\\x01\\x02' || CAST(i % 5 AS VARCHAR) AS BLOB) AS wkb
        FROM range({ROWS}) r(i) ORDER BY hash(i * 31)""")


def _duckdb_copy(con, contract: Contract, target: Path) -> None:
    """What DuckDB itself writes: the contract columns, sorted, one folder per partition."""
    select = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' if c.name == "note" else f'"{c.name}"'
                       for c in contract.columns)
    parts = ", ".join(f'"{c}" AS "part_{c}"' for c in contract.partition_by)
    order = ", ".join(f'"{c}"' for c in (*contract.partition_by, *contract.sort_by))
    names = ", ".join(f'"part_{c}"' for c in contract.partition_by)
    con.execute(f"""COPY (SELECT {select}, {parts} FROM src ORDER BY {order}) TO '{target}'
                    (FORMAT parquet, PARTITION_BY ({names}), FILENAME_PATTERN 'data_{{i}}',
                     WRITE_PARTITION_COLUMNS false)""")


def _view(con, name: str, root: Path) -> None:
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT *, parse_path(filename)[-3] || '/' || "
                f"parse_path(filename)[-2] AS folder FROM read_parquet('{root}/**/*.parquet', filename = true, "
                "file_row_number = true, hive_partitioning = false)")


def test_every_contract_type_folder_and_row_equals_duckdbs_own_partitioned_copy(tmp_path: Path):
    con = connect()
    _source(con)
    contract = _contract()
    files = write_dataset(con, contract, "src", tmp_path / "new")
    assert sum(f.rows for f in files) == ROWS
    _duckdb_copy(con, contract, tmp_path / "old")
    old = sorted(p.relative_to(tmp_path / "old") for p in (tmp_path / "old").rglob("*.parquet"))
    assert sorted(f.path.relative_to(tmp_path / "new") for f in files) == old
    assert any("__HIVE_DEFAULT_PARTITION__" in str(p) for p in old)  # NULL partition values are covered
    _view(con, "n", tmp_path / "new")
    _view(con, "o", tmp_path / "old")
    cols = ", ".join(f'"{c.name}"' for c in contract.columns)
    for a, b in (("n", "o"), ("o", "n")):
        assert con.execute(f"SELECT count(*) FROM (SELECT {cols}, folder FROM {a} EXCEPT ALL "
                           f"SELECT {cols}, folder FROM {b})").fetchone()[0] == 0
    types = "SELECT column_name, column_type FROM (DESCRIBE SELECT {} FROM {})"
    assert con.execute(types.format(cols, "n")).fetchall() == con.execute(types.format(cols, "o")).fetchall()
    typed = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in COLUMNS)  # the contract's types
    assert con.execute(types.format(cols, "n")).fetchall() == con.execute(types.format(cols, f"(SELECT {typed})")).fetchall()


def test_every_partition_is_in_duckdbs_order_by_order_nulls_last_over_two_sort_columns(tmp_path: Path):
    con = connect()
    _source(con)
    contract = _contract()
    write_dataset(con, contract, "src", tmp_path / "new")
    _view(con, "n", tmp_path / "new")
    # each file read in its own row order must equal DuckDB's ORDER BY key, n (NULLS LAST) of the same rows
    got = con.execute("SELECT folder, list([key, CAST(n AS VARCHAR)] ORDER BY file_row_number) FROM n "
                      "GROUP BY folder ORDER BY folder").fetchall()
    want = con.execute("SELECT folder, list([key, CAST(n AS VARCHAR)] ORDER BY key ASC NULLS LAST, "
                       "n ASC NULLS LAST) FROM n GROUP BY folder ORDER BY folder").fetchall()
    assert len(got) == 3 * 4 + 4 and got == want  # 3 areas and NULL, 4 years each
    nulls = con.execute("SELECT count(*) FILTER (WHERE key IS NULL), count(*) FILTER (WHERE n IS NULL) FROM n")
    assert all(v > 0 for v in nulls.fetchone())


def test_row_groups_are_bounded_and_keys_unique_in_value_compress_without_a_dictionary(tmp_path: Path):
    con = connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE src AS SELECT 'p' || (i % 2) AS area, 2020 AS year, 'k' || lpad(CAST(i AS VARCHAR), "
                "9, '0') AS key, i % 3 AS n FROM range(300000) r(i) ORDER BY hash(i)")
    files = write_dataset(con, _contract(), "src", tmp_path / "new")
    assert len(files) == 2
    for f in files:
        meta = pq.read_metadata(f.path)
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [122880, 27120]
        columns = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i)
                   for i in range(meta.num_columns)}
        assert "RLE_DICTIONARY" not in columns["key"].encodings  # unique values: plain
        assert "RLE_DICTIONARY" in columns["n"].encodings  # three values: a dictionary
        assert columns["key"].statistics.has_min_max and columns["key"].compression == "ZSTD"


def test_a_failed_partition_write_raises_and_leaves_no_spill_files(tmp_path: Path, monkeypatch):
    con = connect()
    _source(con)

    def broken(table, where, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(stream_write.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(con, _contract(), "src", tmp_path / "new")
    assert [p.name for p in tmp_path.iterdir()] == ["new"]
    assert not list((tmp_path / "new").rglob("*.parquet"))


def test_a_partitioned_spatial_dataset_is_geoparquet_in_order_through_duckdbs_writer(tmp_path: Path):
    con = connect(extensions=("spatial",))
    con.execute("SET threads = 2")
    con.execute("""CREATE TABLE src AS SELECT ['01', '13'][i % 2 + 1] AS area, 'k' || lpad(CAST(hash(i) % 100000
                   AS VARCHAR), 6, '0') AS key, ST_AsWKB(ST_Point(135 + i / 1e5, 35)) AS geometry
                   FROM range(30000) r(i) ORDER BY hash(i * 7)""")
    contract = Contract("s", "1.0.0", "試験", "test", "spatial test dataset",
                        (Column("area", "string", "地域", "area"), Column("key", "string", "キー", "key"),
                         Column("geometry", "geometry", "形状", "shape")),
                        partition_by=("area",), sort_by=("key",), spatial=True)
    files = write_dataset(con, contract, "src", tmp_path / "s")
    assert [f.path.parent.name for f in files] == ["part_area=01", "part_area=13"]
    for f in files:
        assert b"geo" in pq.read_metadata(f.path).metadata  # GeoParquet metadata from DuckDB's spatial writer
        keys = con.execute("SELECT list(key ORDER BY file_row_number) FROM read_parquet(?, file_row_number = true)",
                           [str(f.path)]).fetchone()[0]
        assert keys == sorted(keys) and len(keys) == 15000
    assert not [p for p in tmp_path.iterdir() if p.name != "s"]  # no scratch file left


def _first_data_page_values(path: Path, offset: int) -> int:
    """``num_values`` of the Parquet data page whose header starts at ``offset`` (Thrift compact protocol:
    PageHeader fields 1-4 are i32; field 5 or 8 is the data page header, whose field 1 is num_values)."""
    def varint(f) -> int:
        shift = value = 0
        while True:
            byte = f.read(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    with open(path, "rb") as f:
        f.seek(offset)
        field = 0
        while True:
            head = f.read(1)[0]
            assert head and head >> 4, "unexpected page header layout"
            field, kind = field + (head >> 4), head & 0x0F
            if kind == 5:  # i32
                varint(f)
            elif kind == 12 and field in (5, 8):  # DataPageHeader / DataPageHeaderV2
                inner = f.read(1)[0]
                assert inner == 0x15  # field 1, i32
                raw = varint(f)
                return (raw >> 1) ^ -(raw & 1)
            else:
                raise AssertionError(f"page header field {field} of type {kind}: not a data page")


def test_each_column_chunk_is_one_data_page_as_duckdb_writes_it_so_full_scans_keep_dictionaries(tmp_path: Path):
    con = connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE src AS SELECT 'p' || (i % 2) AS area, 2020 AS year, 'k' || lpad(CAST(i AS VARCHAR), "
                "9, '0') AS key, CASE WHEN i % 5 > 0 THEN i % 3 END AS n FROM range(300000) r(i) ORDER BY hash(i)")
    files = write_dataset(con, _contract(), "src", tmp_path / "new")
    con.execute(f"COPY (SELECT * FROM src ORDER BY area, year, key, n) TO '{tmp_path / 'old'}' "
                "(FORMAT parquet, PARTITION_BY (area, year))")  # DuckDB's own pages, for comparison
    duckdb_files = sorted((tmp_path / "old").rglob("*.parquet"))
    for path in [f.path for f in files] + duckdb_files:
        meta = pq.read_metadata(path)
        assert meta.num_rows == 150000 and meta.num_row_groups >= 2
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):  # the first data page holds every value of the chunk
                assert _first_data_page_values(path, group.column(c).data_page_offset) == group.num_rows, (path, g, c)


def test_a_small_last_row_group_is_shared_out_among_the_full_ones_as_duckdb_writes_a_partition():
    r = stream_write.ROW_GROUP_ROWS
    assert stream_write.row_group_rows(1000) == r
    assert stream_write.row_group_rows(123714) == 123714  # one group, as DuckDB wrote this partition
    assert stream_write.row_group_rows(2 * r + 500) == r + 250
    assert stream_write.row_group_rows(r + 27120) == r  # a large enough tail stays its own group
    assert stream_write.row_group_rows(3 * r) == r


def test_a_partition_a_few_rows_over_a_row_group_is_written_as_one_row_group_of_one_page(tmp_path: Path):
    con = connect()
    con.execute("CREATE TABLE src AS SELECT 'p' AS area, 2020 AS year, 'k' || lpad(CAST(i AS VARCHAR), 9, '0') "
                "AS key, i % 3 AS n FROM range(123714) r(i) ORDER BY hash(i)")
    [f] = write_dataset(con, _contract(), "src", tmp_path / "new")
    meta = pq.read_metadata(f.path)
    assert meta.num_row_groups == 1 and meta.row_group(0).num_rows == 123714
    for c in range(meta.num_columns):
        assert _first_data_page_values(f.path, meta.row_group(0).column(c).data_page_offset) == 123714
