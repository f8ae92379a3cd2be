"""Benchmark: what the portable views file costs a ministry analyst's queries.

    .venv/bin/python bench/bench_release_views.py --rows 1000000      # default 5,800,000

Publishes synthetic ``corporations`` rows (as ``bench_publish.py``) and times the same first queries, median of 5
runs each, on three ways to the same files:
  - ``portable``: ``release.duckdb`` as published (paths relative to the folder, release identity check);
  - ``absolute``: views over the same listed files by absolute path without the check (the layout before);
  - ``macro``: ``corporations_at('<release folder>')``, the form used for mirrors.
Prints one JSON document.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_publish import QUERIES, synthetic_select  # noqa: E402

from kiban.config import paths as make_paths  # noqa: E402
from kiban.duck import connect, quote_ident, quote_literal  # noqa: E402
from kiban.lake import Lake  # noqa: E402
from kiban.releases.views import open_views  # noqa: E402
from schemas import all_contracts  # noqa: E402


def _median_ms(con, sql: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_800_000)
    args = ap.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    tmp = Path(tempfile.mkdtemp(prefix="kiban-bench-views-"))
    out: dict = {"rows": args.rows, "cpus": os.cpu_count(), "load_average_before": os.getloadavg()[0]}
    try:
        home = make_paths(tmp / "home").ensure()
        contracts = all_contracts()
        contracts["corporations"] = dataclasses.replace(contracts["corporations"], partition_by=("prefecture_code",))
        with Lake(home).writer() as w:
            w.append(contracts["corporations"], synthetic_select(args.rows))
        from kiban.releases.publish import publish

        result = publish(home, contracts=contracts, datasets=["corporations"])
        ds = result.manifest["datasets"]["corporations"]
        files = ", ".join(quote_literal(str(result.path / f)) for f in ds["files"])
        cols = ", ".join(quote_ident(c["name"]) for c in ds["schema"])
        absolute = connect()
        absolute.execute(f"CREATE VIEW corporations AS SELECT {cols} FROM read_parquet([{files}], "
                         f"hive_partitioning = false)")
        portable = open_views(result.path / "release.duckdb")
        macro = open_views(result.path / "release.duckdb")
        root = quote_literal(str(result.path))
        out["query_ms"] = {
            name: {"portable": _median_ms(portable, sql), "absolute": _median_ms(absolute, sql),
                   "macro": _median_ms(macro, sql.replace("FROM corporations", f"FROM corporations_at({root})"))}
            for name, sql in QUERIES.items()}
        for con in (absolute, portable, macro):
            con.close()
        out["load_average_after"] = os.getloadavg()[0]
        print(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
