"""Benchmark: validate an N-row staged Parquet with the generated GE suite on DuckDB (pushdown).

    .venv/bin/python bench/bench_quality.py --rows 1000000

Generates a staged table (text columns as a parser stages them, plus ``_source_row``) with DuckDB, then times
``quality.runner.validate`` on it: 12 checks (column order, not-null, pattern, code set, castability incl. a
strict ISO date, ranges, compound key uniqueness and one hand-written rule).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from quality.rules import Rule
from quality.runner import validate
from schemas.contract import CodeTable, Column, Contract

PROCESS = CodeTable("process", "処理区分", "process type", {"01": "新規", "11": "商号変更", "12": "所在地変更",
                                                             "21": "登記閉鎖", "99": "削除"})
CONTRACT = Contract(
    name="bench_corporate",
    version="1",
    title_ja="ベンチマーク用法人",
    title_en="benchmark corporations",
    description="benchmark",
    columns=(
        Column("corporate_number", "string", "法人番号", "corporate number", nullable=False, pattern=r"[1-9][0-9]{12}"),
        Column("seq", "int64", "連番", "sequence", nullable=False, min_value=1),
        Column("process", "string", "処理区分", "process", codes=PROCESS),
        Column("update_date", "date", "更新年月日", "update date", min_value="2015-10-05"),
        Column("name", "string", "商号又は名称", "name", nullable=False),
        Column("post_code", "string", "郵便番号", "post code", pattern=r"[0-9]{7}"),
    ),
    primary_key=("corporate_number", "seq"),
)
RULE = Rule("closed_has_date", "登記閉鎖には更新年月日がある",
            "SELECT * FROM staged WHERE process = '21' AND update_date IS NULL", column="update_date")


def generate(path: Path, rows: int) -> None:
    duckdb.sql(f"""
        COPY (
          SELECT CAST(1000000000000 + i // 2 AS VARCHAR) AS corporate_number,
                 CAST(i % 2 + 1 AS VARCHAR) AS seq,
                 ['01', '11', '12', '21', '99'][1 + i % 5] AS process,
                 strftime(DATE '2016-01-01' + CAST(i % 3000 AS INTEGER), '%Y-%m-%d') AS update_date,
                 '株式会社' || i AS name,
                 lpad(CAST(i % 10000000 AS VARCHAR), 7, '0') AS post_code,
                 i + 1 AS _source_row
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs; the first one reads a cold file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "staged.parquet"
        generate(path, args.rows)
        for run in range(1, args.repeat + 1):
            start = time.perf_counter()
            report = validate(CONTRACT, path, [RULE], source_file="bench.csv")
            seconds = time.perf_counter() - start
            failed = [r.name for r in report.results if not r.success]
            print(f"run {run}: {report.row_count} rows, {len(report.results)} checks, engine {report.engine}: "
                  f"{seconds:.2f} s (failed: {failed or 'none'})")


if __name__ == "__main__":
    main()
