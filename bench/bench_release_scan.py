"""Benchmark: the analyst queries of ``bench_publish.py`` on the same partitioned release files written three ways.

    .venv/bin/python bench/bench_release_scan.py --rows 5800000 --runs 15

Builds the synthetic ``corporations`` lake of ``bench_publish.py`` (partitioned by prefecture) and writes it:
  - ``duckdb``: DuckDB's own writer (a sort, then one ``COPY`` per partition; what main published);
  - ``pyarrow``: the release writer (:mod:`kiban.releases.stream_write`), one data page per column chunk;
  - ``pyarrow_default_pages``: the same writer with pyarrow's default data pages (1 MiB, 20,000 rows), as the
    first ``publish3`` commit wrote them.
Then runs each query ``--runs`` times per layout, the layouts interleaved, on one DuckDB connection reading the
files with ``read_parquet`` (as ``release.duckdb``'s views do). Prints the median ms per query and layout, the
file bytes and the load average before and after, as one JSON document.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_publish import QUERIES, synthetic_select  # noqa: E402

from kiban.config import paths as make_paths  # noqa: E402
from kiban.lake import Lake  # noqa: E402
from kiban.releases import stream_write, write  # noqa: E402
from schemas import all_contracts  # noqa: E402


def default_pages(original):
    """``pq.write_table`` without the page options: pyarrow's default data pages."""
    def call(*a, **k):
        k.pop("data_page_size", None)
        k.pop("max_rows_per_page", None)
        return original(*a, **k)
    return call


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_800_000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kiban-bench-scan-"))
    out: dict = {"rows": args.rows, "runs": args.runs, "load_average_before": os.getloadavg()}
    try:
        home = make_paths(tmp / "home").ensure()
        contract = dataclasses.replace(all_contracts()["corporations"], partition_by=("prefecture_code",))
        with Lake(home).writer() as w:
            w.append(contract, synthetic_select(args.rows))
        con = Lake(home).reader()
        available = {r[0] for r in con.execute("DESCRIBE corporations").fetchall()}
        write._write_partitions(con, contract, "corporations", available, tmp / "duckdb")
        write._write_partitions_arrow(con, contract, "corporations", available, tmp / "pyarrow")
        original = stream_write.pq.write_table
        stream_write.pq.write_table = default_pages(original)
        try:
            write._write_partitions_arrow(con, contract, "corporations", available, tmp / "pyarrow_default_pages")
        finally:
            stream_write.pq.write_table = original
        con.close()
        layouts = ("duckdb", "pyarrow", "pyarrow_default_pages")
        scans = {}
        for name in layouts:
            files = sorted(str(p) for p in (tmp / name).rglob("*.parquet"))
            scans[name] = f"(SELECT * FROM read_parquet({files!r}, hive_partitioning = false))"
            out[f"{name}_bytes"] = sum(Path(f).stat().st_size for f in files)
        reader = duckdb.connect()
        runs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for name in layouts:
                for query, sql in QUERIES.items():
                    start = time.perf_counter()
                    reader.execute(sql.replace("FROM corporations", f"FROM {scans[name]}")).fetchall()
                    runs.setdefault((query, name), []).append(time.perf_counter() - start)
        out["query_ms_median"] = {query: {name: round(statistics.median(runs[query, name]) * 1000, 1)
                                          for name in layouts} for query in QUERIES}
        out["load_average_after"] = os.getloadavg()
        print(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
