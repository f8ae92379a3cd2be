"""Release files: every partition in ``sort_by`` order, folders named as DuckDB names them, the same rows as a
DuckDB ``PARTITION_BY`` copy of the same relation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiban.duck import connect, quote_literal
from kiban.releases.write import partition_folder, write_dataset

from .conftest import contracts

ROWS = 100_000


def _source(con, rows: int = ROWS) -> None:
    """A shuffled synthetic ``corporations`` relation over 47 prefectures, spread over many row groups."""
    con.execute("SET threads = 2")
    con.execute(f"""CREATE TABLE corp AS SELECT CAST(1000000000000 + i * 7 AS VARCHAR) AS corporate_number,
               '株式会社' || i AS name, DATE '2015-10-05' + CAST(i % 4000 AS INTEGER) AS update_date,
               lpad(CAST((hash(i) % 47) + 1 AS VARCHAR), 2, '0') AS prefecture_code, i % 9 = 0 AS is_closed
        FROM range({rows}) r(i) ORDER BY hash(i * 31)""")


def _contract():
    return dataclasses.replace(contracts()["corporations"], partition_by=("prefecture_code",))


def test_every_partition_file_is_in_corporate_number_order(tmp_path: Path):
    con = connect()
    _source(con)
    files = write_dataset(con, _contract(), "corp", tmp_path / "corporations")
    assert len(files) == 47 and sum(f.rows for f in files) == ROWS
    seams = con.execute("""
        SELECT count(*) FROM (
            SELECT corporate_number < lag(corporate_number) OVER (PARTITION BY filename ORDER BY file_row_number) AS back
            FROM read_parquet(?, filename = true, file_row_number = true, hive_partitioning = false))
        WHERE back""", [[str(f.path) for f in files]]).fetchone()[0]
    assert seams == 0
    folders = {f.path.parent.name for f in files}
    assert folders == {f"part_prefecture_code={i:02d}" for i in range(1, 48)}
    assert {f.path.name for f in files} == {"data_0.parquet"}


def test_release_rows_and_types_equal_a_duckdb_partition_by_copy_of_the_same_relation(tmp_path: Path):
    """Before/after: the previous writer was DuckDB's own ``COPY ... PARTITION_BY`` of the sorted relation."""
    con = connect()
    _source(con)
    contract = _contract()
    files = write_dataset(con, contract, "corp", tmp_path / "new")
    cols = ", ".join(f'"{c.name}"' for c in contract.columns)
    missing = {c.name for c in contract.columns} - {r[0] for r in con.execute("DESCRIBE corp").fetchall()}
    select = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' if c.name in missing else f'"{c.name}"'
                       for c in contract.columns)
    con.execute(f"""COPY (SELECT {select}, prefecture_code AS part_prefecture_code FROM corp
                          ORDER BY prefecture_code, corporate_number)
                    TO '{tmp_path / "old"}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (part_prefecture_code),
                                           FILENAME_PATTERN 'data_{{i}}', WRITE_PARTITION_COLUMNS false)""")
    old = sorted(p.relative_to(tmp_path / "old") for p in (tmp_path / "old").rglob("*.parquet"))
    assert sorted(f.path.relative_to(tmp_path / "new") for f in files) == old
    for name in (str(tmp_path / "new" / "**" / "*.parquet"), str(tmp_path / "old" / "**" / "*.parquet")):
        con.execute(f"CREATE OR REPLACE VIEW {'n' if '/new/' in name else 'o'} AS SELECT {cols}, "
                    f"parse_path(filename)[-2] AS folder FROM read_parquet('{name}', filename = true, "
                    "hive_partitioning = false)")
    assert con.execute("SELECT count(*) FROM (SELECT * FROM n EXCEPT ALL SELECT * FROM o)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM (SELECT * FROM o EXCEPT ALL SELECT * FROM n)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM n").fetchone()[0] == ROWS
    assert con.execute("DESCRIBE n").fetchall() == con.execute("DESCRIBE o").fetchall()


@pytest.mark.parametrize("value", ["a b", "x/y", "é=%", "", None, "-_.~", "a:b?c#d&e+f", "東京"])
def test_partition_folders_are_named_as_duckdb_partition_by_names_them(tmp_path: Path, value):
    con = connect()
    con.execute("CREATE TABLE t AS SELECT ?::VARCHAR AS k, 1 AS v", [value])
    con.execute(f"COPY t TO {quote_literal(str(tmp_path))} (FORMAT parquet, PARTITION_BY (k))")
    written = next(tmp_path.rglob("*.parquet")).parent.relative_to(tmp_path).as_posix()
    assert partition_folder(("k",), (value,)) == written.replace("k=", "part_k=", 1)
