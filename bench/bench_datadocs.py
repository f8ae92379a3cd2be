"""Benchmark: what GE Data Docs add to a load (``quality.datadocs.build_for_load``) next to the validation itself.

    .venv/bin/python bench/bench_datadocs.py --contract corporations --rows 100000 --loads 30

Stages N rows in the contract's text layout (values that pass some checks and fail others, so the failed checks
carry GE's detailed results, as in a quarantined load), validates them with the contract's suite, then builds the
Data Docs of ``--loads`` successive loads into one home. Prints the validation time, the first build (Jinja
templates compiled and cached), the following builds (a page each) and the index, which ``kiban serve`` draws
when it is asked for (it reads every listed result).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from kiban.duck import quote_literal
from quality import datadocs
from quality.runner import validate
from schemas import get

_TEXT = {"int32": "CAST(i % 1000 AS VARCHAR)", "int64": "CAST(i AS VARCHAR)", "double": "CAST(i / 10 AS VARCHAR)",
         "bool": "'true'", "date": "'2024-01-' || lpad(CAST(i % 28 + 1 AS VARCHAR), 2, '0')",
         "timestamp": "'2024-01-01T00:00:00Z'", "json": "'{}'", "geometry": "NULL", "string": "'x' || i"}


def stage(contract, rows: int, target: Path) -> Path:
    cols = ", ".join(f"{_TEXT[c.type]} AS \"{c.name}\"" for c in contract.columns)
    duckdb.sql(f"COPY (SELECT {cols}, i + 1 AS _source_row FROM range({int(rows)}) r(i)) "
               f"TO {quote_literal(str(target))} (FORMAT parquet)")
    return target


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contract", default="corporations")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--loads", type=int, default=30)
    args = ap.parse_args()
    contract = get(args.contract)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = stage(contract, args.rows, Path(tmp) / "staged.parquet")
        t0 = time.perf_counter()
        report = validate(contract, parquet, source_file="bench.csv")
        validate_s = time.perf_counter() - t0
        failed = sum(not r.success for r in report.results)
        home = Path(tmp) / "home"
        times = []
        for i in range(args.loads):
            t = time.perf_counter()
            pages = datadocs.build_for_load(home, f"bench-load-{i:04d}", [report], "quarantined")
            times.append(time.perf_counter() - t)
            assert pages, "no page built"
        t = time.perf_counter()
        assert datadocs.ensure_index(datadocs.home_location(home)) is not None
        index_s = time.perf_counter() - t
        site = home / "quality" / "docs"
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"contract {args.contract}: {len(report.results)} checks ({failed} failing), {args.rows:,} rows")
        print(f"validate:            {validate_s:6.2f} s")
        print(f"data docs, 1st load: {times[0]:6.2f} s")
        if len(times) > 1:
            rest = times[1:]
            print(f"data docs, loads 2-{args.loads}: median {statistics.median(rest):.2f} s, max {max(rest):.2f} s, "
                  f"last {rest[-1]:.2f} s")
        print(f"index of {args.loads} loads, drawn when served: {index_s:.2f} s")
        print(f"site: {size / 1e6:.1f} MB for {args.loads} loads")


if __name__ == "__main__":
    main()
