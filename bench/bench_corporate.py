"""Benchmark: the full-country 法人番号 全件 through fetch, parse, validate and store.

Generates a synthetic 全件 file in the official 30-column layout (default 5.8 million rows, valid check digits,
all 47 prefectures), zips it as published, serves it from 127.0.0.1 and runs the same code as
``kiban ingest corporate URL``. Prints seconds per stage, rows per second, peak RSS, and the ratio to the floor
measured in the same run: DuckDB reading the same UTF-8 CSV into Parquet (zstd).

    .venv/bin/python bench/bench_corporate.py --rows 5800000 [--next-month]

``--next-month`` then loads the following month's 全件 (the same numbers, 1 in 100 renamed) onto the loaded lake:
the path a monthly schedule takes (reconciliation against the state, then the state update).

``--sjis`` also loads the same rows as the CSV・Shift-JIS variant (CP932, zipped the same way), against the same
floor. ``--peer`` (default on) runs jp-corpreg-loader (PyPI ``jpcorpreg``, installed into its own environment
under ``bench/out/peers/``, see ``bench/peers.py``) on the same zip -- its Parquet writer, which parses and
writes but validates nothing -- and prints Kiban's time against it. ``--workdir DIR`` keeps the generated inputs
and reuses them in the next run with the same ``--rows``.
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


PEER = """
import sys, time
from jpcorpreg.writer import CorporateDataWriter
t = time.perf_counter()
CorporateDataWriter().uncompress_and_parse(zip_path={zip!r}, format_type="parquet", output_dir={out!r})
print(time.perf_counter() - t, int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))))  # own peak: ru_maxrss would carry the parent's
"""
PEER_REQUIREMENT = "jpcorpreg==2.0.2"

FLOOR = """
import sys, time
sys.path.insert(0, {root!r})
from kiban.duck import connect
t = time.perf_counter()
con = connect()
con.execute("COPY (SELECT * FROM read_csv({csv!r}, header=false, all_varchar=true, quote='\\"')) "
            "TO {out!r} (FORMAT parquet, COMPRESSION zstd)")
print(time.perf_counter() - t, int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))))  # own peak: ru_maxrss would carry the parent's
"""


def prepare(work: Path, name: str, rows: int, sjis: bool) -> tuple[Path, Path, Path | None]:
    """The CSV, its zip (served/) and, with ``sjis``, the CP932 zip (served-sjis/); kept between runs."""
    csv = work / f"{name}.csv"
    zipped = work / "served" / f"{name}.zip"
    sjis_zip = work / "served-sjis" / f"{name}.zip"
    stamp = work / "rows.txt"
    t = time.perf_counter()
    if not (stamp.exists() and stamp.read_text() == str(rows) and csv.exists() and zipped.exists()):
        stamp.unlink(missing_ok=True)
        zipped.parent.mkdir(parents=True, exist_ok=True)
        generate_csv(csv, rows)
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.write(csv, f"{name}.csv")
        sjis_zip.unlink(missing_ok=True)
        stamp.write_text(str(rows))
    if sjis and not sjis_zip.exists():
        sjis_zip.parent.mkdir(parents=True, exist_ok=True)
        tmp = sjis_zip.with_suffix(".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
                zf.open(f"{name}.csv", "w", force_zip64=True) as out, csv.open("rb") as src:
            while block := src.read(64 << 20):  # the generated CSV cuts cleanly at line ends
                cut = block.rfind(b"\n") + 1 or len(block)
                src.seek(cut - len(block), os.SEEK_CUR)
                out.write(block[:cut].decode("utf-8").encode("cp932"))
        tmp.rename(sjis_zip)
    print(f"inputs: {rows:,} rows, csv {csv.stat().st_size / 1e9:.2f} GB, zip {zipped.stat().st_size / 1e9:.2f} GB"
          f"{f', Shift-JIS zip {sjis_zip.stat().st_size / 1e9:.2f} GB' if sjis else ''} "
          f"({time.perf_counter() - t:.1f} s to prepare)")
    return csv, zipped, sjis_zip if sjis else None


def load_once(paths, base: str, name: str, encoding: str) -> tuple[float, float, dict, object]:
    """Fetch the zip from the local server and load it like ``kiban ingest corporate URL``."""
    from kiban.archive import RawArchive
    from kiban.load.files import load_raw as ingest_raw
    from registries.corporate.load import corporate_source
    from registries.http import download

    t0 = time.perf_counter()
    dl = download(f"{base}/{name}.zip", paths.staging)
    raw = RawArchive(paths.raw).put_file(Path(dl.path), original_name=f"{name}.zip", source=dl.url,
                                         sha256=dl.sha256)
    Path(dl.path).unlink()
    t1 = time.perf_counter()
    result = ingest_raw(paths, corporate_source(encoding=encoding), raw)
    t2 = time.perf_counter()
    assert result.status == "loaded", result.summary()
    return t1 - t0, t2 - t0, result.info["seconds"], result


def report(label: str, fetch: float, total: float, secs: dict, rows: int, floor_s: float) -> None:
    print(f"{label}:")
    print(f"  fetch    {fetch:7.1f} s")
    print(f"  parse    {secs['stage']:7.1f} s")
    print(f"  validate {secs['validate']:7.1f} s")
    print(f"  store    {secs['store']:7.1f} s  (events adopted + current state + views)")
    print(f"  total    {total:7.1f} s  = {rows / total:,.0f} rows/s; ratio to floor {total / floor_s:.2f}x")


def run_peer(zipped: Path, work: Path) -> tuple[float, float]:
    from peers import peer_python

    python = peer_python(PEER_REQUIREMENT)
    out_dir = work / "peer-parquet"
    shutil.rmtree(out_dir, ignore_errors=True)
    t = time.perf_counter()
    out = subprocess.run([str(python), "-c", PEER.format(zip=str(zipped), out=str(out_dir))],
                         capture_output=True, text=True, check=True).stdout.split()
    wall = time.perf_counter() - t
    shutil.rmtree(out_dir, ignore_errors=True)
    return wall, int(out[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_800_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--next-month", action="store_true",
                    help="then load the next month's 全件 (1 in 100 renamed) onto the loaded lake: reconciliation "
                         "against the state, then the state update")
    ap.add_argument("--sjis", action="store_true", help="also load the CSV・Shift-JIS variant of the same rows")
    ap.add_argument("--no-peer", dest="peer", action="store_false", help="skip jp-corpreg-loader")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="kiban-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    name = "00_zenkoku_all_20261030"
    csv, zipped, sjis_zip = prepare(work, name, args.rows, args.sjis)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")

    # the floor: DuckDB CSV -> Parquet, same file, separate process for a clean RSS
    out = subprocess.run([sys.executable, "-c", FLOOR.format(root=str(Path(__file__).parents[1]), csv=str(csv),
                                                             out=str(work / "floor.parquet"))],
                         capture_output=True, text=True, check=True).stdout.split()
    floor_s, floor_rss = float(out[0]), int(out[1]) / 1024
    (work / "floor.parquet").unlink(missing_ok=True)
    print(f"floor: DuckDB CSV->Parquet {floor_s:.1f} s, peak RSS {floor_rss:.0f} MB")

    os.environ["KIBAN_HOME"] = str(work / "home")
    import quality.runner  # noqa: F401  (import cost is not a per-file cost)
    from kiban.config import paths as resolve

    served: dict[str, tuple[str, Path]] = {"utf-8": ("served", zipped)}
    if sjis_zip is not None:
        served["cp932"] = ("served-sjis", sjis_zip)
    results = {}
    for encoding, (folder, _) in served.items():
        shutil.rmtree(work / "home", ignore_errors=True)
        paths = resolve(work / "home").ensure()
        httpd, base = serve(work / folder)
        try:
            results[encoding] = load_once(paths, base, name, encoding)
        finally:
            httpd.shutdown()
        label = "CSV・Unicode" if encoding == "utf-8" else "CSV・Shift-JIS"
        fetch, total, secs, result = results[encoding]
        report(label, fetch, total, secs, args.rows, floor_s)
        print(f"  rows: {result.rows}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:,.0f} MB (floor {floor_rss:,.0f} MB)")
    if args.peer:
        peer_s, peer_rss = run_peer(zipped, work)
        kiban_s = results["utf-8"][1]
        print(f"peer: jp-corpreg-loader ({PEER_REQUIREMENT}, Parquet, no validation) {peer_s:.1f} s, "
              f"peak RSS {peer_rss:,.0f} MB = {peer_s / floor_s:.2f}x floor; "
              f"kiban (validated) {kiban_s:.1f} s = {kiban_s / peer_s:.2f}x the peer's time")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.next_month:
        next_month(work, resolve(work / "home"), args.rows)


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
