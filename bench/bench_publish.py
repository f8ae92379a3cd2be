"""Benchmark: publish the full-country corporate registry as a release, next to a plain DuckDB COPY.

    .venv/bin/python bench/bench_publish.py --rows 1000000      # default 5,800,000 (全国 法人番号 current state)

Generates synthetic ``corporations`` rows (real contract, 47 prefectures, realistic kinds/dates/closures) straight
into a lake in a temporary KIBAN_HOME (no NTA parser), then times:
  - ``kiban.releases.publish.publish`` (sorted, partitioned by prefecture, zstd, blocking GE checks, sha256,
    catalog, views), and its check step alone;
  - a plain ``COPY corporations TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`` of the same view;
  - a ministry analyst's first queries on the release's ``release.duckdb`` (median of 3 runs each).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kiban.config import paths as make_paths
from kiban.lake import Lake, contract_select
from kiban.releases.views import open_views
from schemas import all_contracts

QUERIES = {
    "count_by_prefecture_and_kind":
        "SELECT prefecture_code, kind, count(*) AS n FROM corporations GROUP BY ALL ORDER BY n DESC",
    "closures_per_month":
        "SELECT date_trunc('month', close_date) AS month, count(*) FROM corporations WHERE is_closed "
        "GROUP BY 1 ORDER BY 1",
    "one_prefecture_stock_companies":
        "SELECT count(*) FROM corporations WHERE prefecture_code = '13' AND kind = '301'",
    "lookup_one_corporate_number":
        "SELECT name, city_name FROM corporations WHERE corporate_number = '1000000350007'",
}


def synthetic_select(rows: int, order: str = "random") -> str:
    c = all_contracts()["corporations"]
    src = f"""
        SELECT CAST(1000000000000 + i * 7 AS VARCHAR) AS corporate_number,
               CASE WHEN i % 10 < 7 THEN '01' ELSE '12' END AS process, '0' AS correct,
               DATE '2015-10-05' + CAST(i % 4000 AS INTEGER) AS update_date,
               DATE '2015-10-05' + CAST(i % 3900 AS INTEGER) AS change_date,
               '株式会社サンプル' || i AS name, ['301', '302', '305', '399', '201', '101'][i % 6 + 1] AS kind,
               '東京都' AS prefecture_name, '千代田区' AS city_name, '丸の内一丁目' || (i % 9) || '番' AS street_number,
               lpad(CAST((hash(i) % 47) + 1 AS VARCHAR), 2, '0') AS prefecture_code,
               lpad(CAST(i % 200 AS VARCHAR), 3, '0') AS city_code, lpad(CAST(i % 10000000 AS VARCHAR), 7, '0') AS post_code,
               CASE WHEN i % 9 = 0 THEN DATE '2016-01-01' + CAST(i % 3600 AS INTEGER) END AS close_date,
               CASE WHEN i % 9 = 0 THEN '01' END AS close_cause,
               DATE '2015-10-05' AS assignment_date, '1' AS latest, 'Sample ' || i AS en_name,
               'サンプル' AS furigana, '0' AS hihyoji, i % 9 = 0 AS is_closed,
               '00_zenkoku_all_synthetic.zip' AS source_file, 'bench-load' AS load_id
        FROM range({rows}) r(i)"""
    cols = ["corporate_number", "process", "correct", "update_date", "change_date", "name", "kind",
            "prefecture_name", "city_name", "street_number", "prefecture_code", "city_code", "post_code",
            "close_date", "close_cause", "assignment_date", "latest", "en_name", "furigana", "hihyoji", "is_closed",
            "source_file", "load_id"]
    # the lake's row order: shuffled (the default: publish must sort) or already by corporate number
    return f"SELECT {contract_select(c, cols)} FROM ({src}) s ORDER BY {'random()' if order == 'random' else 's.corporate_number'}"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_800_000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary KIBAN_HOME")
    ap.add_argument("--lake-order", choices=("random", "corporate_number"), default="random",
                    help="row order of the synthetic lake (default shuffled)")
    args = ap.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    tmp = Path(tempfile.mkdtemp(prefix="kiban-bench-publish-"))
    out: dict = {"rows": args.rows, "lake_order": args.lake_order, "cpus": os.cpu_count(), "load_average_before": os.getloadavg()}
    try:
        home = make_paths(tmp / "home").ensure()
        contracts = all_contracts()
        contracts["corporations"] = dataclasses.replace(contracts["corporations"], partition_by=("prefecture_code",))
        t = time.perf_counter()
        with Lake(home).writer() as w:
            w.append(contracts["corporations"], synthetic_select(args.rows, args.lake_order))
        out["lake_load_s"] = round(time.perf_counter() - t, 2)

        con = Lake(home).reader()
        target = tmp / "plain.parquet"
        t, cpu = time.perf_counter(), time.process_time()
        con.execute(f"COPY corporations TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        out["plain_copy_s"] = round(time.perf_counter() - t, 2)
        out["plain_copy_cpu_s"] = round(time.process_time() - cpu, 2)
        out["plain_copy_bytes"] = target.stat().st_size
        con.close()

        from kiban.releases import checks
        from kiban.releases import publish as publish_module
        from kiban.releases.publish import publish

        timings: dict[str, float] = {}

        def timed(name, original):
            def run(*a, **k):
                s, c = time.perf_counter(), time.process_time()
                try:
                    return original(*a, **k)
                finally:
                    timings[f"{name}_s"] = round(time.perf_counter() - s, 2)
                    timings[f"{name}_cpu_s"] = round(time.process_time() - c, 2)
            return run

        # measure the write and the blocking-check steps inside publish (wall s and CPU s of all threads)
        checks.check_dataset = timed("checks", checks.check_dataset)
        publish_module.write_dataset = timed("write", publish_module.write_dataset)
        t, cpu = time.perf_counter(), time.process_time()
        result = publish(home, contracts=contracts, datasets=["corporations"])
        out["publish_s"] = round(time.perf_counter() - t, 2)
        out["publish_cpu_s"] = round(time.process_time() - cpu, 2)
        out.update(timings)
        out["publish_to_plain_copy"] = round(out["publish_s"] / out["plain_copy_s"], 2)  # target <= 2.5
        data_dir = result.path / "corporations"
        out["release_parquet_bytes"] = dir_bytes(data_dir)
        out["release_files"] = len(list(data_dir.rglob("*.parquet")))
        out["release_total_bytes"] = dir_bytes(result.path)

        from kiban.releases.manifest import verify

        t = time.perf_counter()
        assert verify(result.path, result.manifest) == []
        out["verify_s"] = round(time.perf_counter() - t, 2)

        rel = open_views(result.path / "release.duckdb")
        latencies = {}
        for name, sql in QUERIES.items():
            runs = []
            for _ in range(3):
                s = time.perf_counter()
                rel.execute(sql).fetchall()
                runs.append(time.perf_counter() - s)
            latencies[name] = round(statistics.median(runs) * 1000, 1)
        rel.close()
        out["query_ms"] = latencies
        out["load_average_after"] = os.getloadavg()
        print(json.dumps(out, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
