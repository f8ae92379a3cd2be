"""Benchmark: the full-country 法人番号 全件 through fetch, parse, validate and store.

Generates a synthetic 全件 file in the official 30-column layout (default 5.8 million rows, valid check digits,
all 47 prefectures), zips it as published, serves it from 127.0.0.1 and runs the same code as
``kiban ingest corporate URL``. Prints seconds per stage, rows per second, peak RSS, and the ratio to the floor
measured in the same run: DuckDB reading the same UTF-8 CSV into Parquet (zstd).

    .venv/bin/python bench/bench_corporate.py --rows 5800000 [--next-month]

``--next-month`` then loads the following month's 全件 (the same numbers, 1 in 100 renamed) onto the loaded lake:
the path a monthly schedule takes (reconciliation against the state, then the state update).
"""

from __future__ import annotations

import argparse
import http.server
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiban.duck import connect  # noqa: E402


def generate_csv(path: Path, rows: int, changed_every: int = 0, addresses: Path | None = None) -> None:
    """A synthetic 全件 CSV written by DuckDB: 30 columns, quoted text, valid check digits.

    ``changed_every`` > 0 gives every n-th corporation a new name (商号変更, 処理区分 11) updated 2026-11-01: the
    next month's 全件. ``addresses``: a Parquet file of (i, prefecture_name, city_name, street_number, prefecture_code, city_code) for
    i = 1..rows (``bench/bench_address.py`` draws them from a synthetic ABR); otherwise every address is 霞が関.
    """
    changed = f"i % {changed_every} = 0" if changed_every else "false"
    con = connect()
    pref, city, street = "'東京都'", "'千代田区'", "'霞が関１丁目' || (i % 50)"
    pref_code, city_code = "lpad(CAST(pref AS VARCHAR), 2, '0')", "lpad(CAST(100 + i % 20 AS VARCHAR), 3, '0')"
    join = ""
    if addresses is not None:
        pref, city, street = "a.prefecture_name", "a.city_name", "a.street_number"
        pref_code, city_code = "a.prefecture_code", "a.city_code"
        join = f"JOIN read_parquet('{addresses}') a USING (i)"
    base = "lpad(CAST(i * 7 AS VARCHAR), 12, '0')"
    digits = " + ".join(
        f"{1 if p % 2 else 2} * CAST(substr(b, {p - 1}, 1) AS INTEGER)" for p in range(2, 14)
    )

    con.execute(f"""
        COPY (
          WITH g AS (SELECT i, {base} AS b, (i % 47) + 1 AS pref FROM range(1, {rows} + 1) t(i)),
          n AS (SELECT *, CAST(9 - (({digits.replace('substr(b, ', 'substr(b, ')}) % 9) AS VARCHAR) || b AS num
                FROM g)
          SELECT i AS seq, num, CASE WHEN {changed} THEN '11' ELSE '01' END,
                 '0', CASE WHEN {changed} THEN '2026-11-01' ELSE '2024-04-01' END,
                 CASE WHEN {changed} THEN '2026-10-28' ELSE '2015-10-05' END,
                 CASE WHEN {changed} THEN '株式会社変更後' ELSE '株式会社サンプル' END || i AS name, NULL, '301', {pref} AS p,
                 {city} AS c, {street} AS s,
                 NULL, {pref_code}, {city_code},
                 lpad(CAST(1000000 + i % 8999999 AS VARCHAR), 7, '0'), NULL, NULL, NULL, NULL, NULL, NULL,
                 '2015-10-05', '1', 'Sample Co., Ltd. ' || i, 'Tokyo', '1-1, Kasumigaseki, Chiyoda ku', NULL,
                 'サンプル', '0'
          FROM n {join} ORDER BY i
        ) TO '{path}' (FORMAT csv, HEADER false, QUOTE '"', FORCE_QUOTE (name, p, c))
    """)
    con.close()


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


FLOOR = """
import sys, time, resource
sys.path.insert(0, {root!r})
from kiban.duck import connect
t = time.perf_counter()
con = connect()
con.execute("COPY (SELECT * FROM read_csv({csv!r}, header=false, all_varchar=true, quote='\\"')) "
            "TO {out!r} (FORMAT parquet, COMPRESSION zstd)")
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_800_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--next-month", action="store_true",
                    help="then load the next month's 全件 (1 in 100 renamed) onto the loaded lake: reconciliation "
                         "against the state, then the state update")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="kiban-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    name = "00_zenkoku_all_20261030"
    csv = work / f"{name}.csv"
    served = work / "served"
    served.mkdir(exist_ok=True)
    t = time.perf_counter()
    generate_csv(csv, args.rows)
    with zipfile.ZipFile(served / f"{name}.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(csv, f"{name}.csv")
    print(f"generated {args.rows:,} rows, csv {csv.stat().st_size / 1e9:.2f} GB, "
          f"zip {(served / f'{name}.zip').stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t:.1f} s")

    # the floor: DuckDB CSV -> Parquet, same file, separate process for a clean RSS
    out = subprocess.run([sys.executable, "-c", FLOOR.format(root=str(Path(__file__).parents[1]), csv=str(csv),
                                                             out=str(work / "floor.parquet"))],
                         capture_output=True, text=True, check=True).stdout.split()
    floor_s, floor_rss = float(out[0]), int(out[1]) / 1024
    print(f"floor: DuckDB CSV->Parquet {floor_s:.1f} s, peak RSS {floor_rss:.0f} MB")

    os.environ["KIBAN_HOME"] = str(work / "home")
    shutil.rmtree(work / "home", ignore_errors=True)
    from kiban.archive import RawArchive
    from kiban.config import paths as resolve
    from kiban.load.files import load_raw as ingest_raw
    from registries.corporate.load import corporate_source
    from registries.http import download

    paths = resolve(work / "home").ensure()
    import quality.runner  # noqa: F401  (import cost is not a per-file cost)

    httpd, base = serve(served)
    try:
        t0 = time.perf_counter()
        dl = download(f"{base}/{name}.zip", paths.staging)
        raw = RawArchive(paths.raw).put_file(Path(dl.path), original_name=f"{name}.zip", source=dl.url,
                                             sha256=dl.sha256)
        Path(dl.path).unlink()
        t1 = time.perf_counter()
        result = ingest_raw(paths, corporate_source(encoding="utf-8"), raw)
        t2 = time.perf_counter()
    finally:
        httpd.shutdown()
    assert result.status == "loaded", result.summary()
    secs = result.info["seconds"]
    total = t2 - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fetch    {t1 - t0:7.1f} s")
    print(f"parse    {secs['stage']:7.1f} s")
    print(f"validate {secs['validate']:7.1f} s")
    print(f"store    {secs['store']:7.1f} s  (events append + current state + views)")
    print(f"total    {total:7.1f} s  = {args.rows / total:,.0f} rows/s; ratio to floor {total / floor_s:.2f}x")
    print(f"parse+validate+store {t2 - t1:.1f} s = {(t2 - t1) / floor_s:.2f}x floor")
    print(f"peak RSS {rss:,.0f} MB (floor {floor_rss:,.0f} MB)")
    print(f"rows: {result.rows}")
    if args.next_month:
        next_month(work, paths, args.rows)


def next_month(work: Path, paths, rows: int) -> None:
    """The monthly 全件 onto a loaded lake: same numbers, 1 in 100 renamed."""
    from kiban.archive import RawArchive
    from kiban.load.files import load_raw as ingest_raw
    from registries.corporate.load import corporate_source

    name = "00_zenkoku_all_20261130"
    csv = work / f"{name}.csv"
    generate_csv(csv, rows, changed_every=100)
    zipped = work / f"{name}.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(csv, f"{name}.csv")
    raw = RawArchive(paths.raw).put_file(zipped, original_name=f"{name}.zip", source="bench")
    t = time.perf_counter()
    result = ingest_raw(paths, corporate_source(encoding="utf-8"), raw)
    total = time.perf_counter() - t
    assert result.status == "loaded", result.summary()
    secs = result.info["seconds"]
    print(f"next month's 全件 onto the loaded lake: parse {secs['stage']:.1f} s, validate {secs['validate']:.1f} s, "
          f"store {secs['store']:.1f} s (reconcile + state), total {total:.1f} s")
    print(f"rows: {result.rows}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
