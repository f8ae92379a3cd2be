"""Benchmark: every corporation of the country matched to the ABR, then a 5,000-row 差分 refreshed incrementally.

1. a synthetic ABR of realistic size (``registries.abr.synth``: all 1,741 municipalities and their wards, about
   200,000 町字 with 街区, 住居 and 地番) is written as published ``mt_*.csv.zip`` files and loaded with the code
   of ``kiban ingest abr``, with the municipality master;
2. the corporate benchmark generator (``bench/bench_corporate.py``) writes a 5.8 M-row 全件 whose addresses are
   drawn from that ABR and written the way the 法人番号 registry writes them (full-width numerals, 丁目 in 漢数字
   or as ``3-``, 番地/番/号/の, a building now and then, some numbers the ABR does not have); it is loaded;
3. ``corporation_addresses`` is built from scratch in a child process (``kiban addresses refresh``'s code):
   seconds, addresses per second, peak RSS, level distribution;
4. a 差分 of 5,000 rows moves 5,000 corporations to other addresses (処理区分 12); it is loaded, and the
   incremental refresh is timed the same way.

    .venv/bin/python bench/bench_address.py [--rows 5800000] [--machiaza 200000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_corporate import generate_csv  # noqa: E402

from kiban.duck import connect  # noqa: E402

#: how the registry writes the numbers after the 町字 (the generator picks one per address)
ADDRESSES_SQL = """
COPY (
  WITH t AS (SELECT row_number() OVER (ORDER BY lg_code, machiaza_id) - 1 AS ti, * FROM abr_towns
             WHERE ablt_date IS NULL),
  g AS (SELECT i, h, CAST(h % (SELECT count(*) FROM t) AS BIGINT) AS ti
        FROM (SELECT i, hash(i, 'address') AS h FROM range(1, {rows} + 1) r(i))),
  x AS (
    SELECT g.i, g.h, h % 10 AS v, t.*,
           1 + (h >> 8) % CASE WHEN t.rsdt_addr_flg = '1' THEN 12 ELSE 40 END AS a,
           1 + (h >> 16) % 8 AS b
    FROM g JOIN t USING (ti)),
  s AS (
    SELECT i, h, v, pref, concat(county, city, ward) AS city_name, lg_code,
           CASE WHEN koaza_aka_code = '2' THEN koaza || oaza_cho
                WHEN v = 9 AND chome_number IS NOT NULL THEN oaza_cho || chome_number || '-'
                WHEN koaza IS NOT NULL AND h % 3 = 0 THEN concat(oaza_cho, '字', koaza)
                ELSE concat(oaza_cho, chome, koaza) END AS town,
           CASE WHEN rsdt_addr_flg = '1' THEN
                    CASE WHEN v = 9 THEN a || '-' || b WHEN v < 6 THEN a || '番' || b || '号'
                         WHEN v < 8 THEN a || '-' || b ELSE a || '番地の' || b END
                ELSE CASE WHEN v = 9 THEN a || '-' || b WHEN v < 5 THEN a || '番地'
                          WHEN v < 7 THEN a || '番地' || b ELSE a || '-' || b END END AS nums
    FROM x)
  SELECT i, pref AS prefecture_name, city_name,
         CASE WHEN v < 8 THEN translate(town || nums, '0123456789-', '０１２３４５６７８９－') ELSE town || nums END
           || CASE WHEN h % 13 = 0 THEN '　サンプルビル３階' ELSE '' END AS street_number,
         substr(lg_code, 1, 2) AS prefecture_code, substr(lg_code, 3, 3) AS city_code
  FROM s
) TO '{out}' (FORMAT parquet)
"""

#: The child's own peak is VmHWM (the high-water mark of its address space, new at exec), not getrusage's
#: ru_maxrss: Linux carries ru_maxrss across exec, and Python starts children with vfork, so a child's ru_maxrss
#: starts at the *parent's* peak (this process, which generated and loaded the 差分 before the incremental run).
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from kiban.config import paths
from kiban.addresses import linked
t = time.perf_counter()
info = linked.refresh_corporations(paths({home!r}))
info["seconds"] = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as f:
    info["peak_rss_mb"] = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:")) / 1024
info["ru_maxrss_mb"] = use.ru_maxrss / 1024  # includes the parent's peak (see above): shown, not the figure
info["cpu_seconds"] = use.ru_utime + use.ru_stime  # all of DuckDB's threads, from process start
print(json.dumps(info))
"""

DIFF_SQL = """
COPY (
  SELECT row_number() OVER (ORDER BY c.corporate_number) AS sequence_number, c.corporate_number, '12' AS process,
         '0' AS correct, DATE '2026-11-05' AS update_date, DATE '2026-11-04' AS change_date, c.name,
         c.name_image_id, c.kind, a.prefecture_name, a.city_name, a.street_number, c.address_image_id,
         a.prefecture_code, a.city_code, c.post_code, c.address_outside, c.address_outside_image_id, c.close_date,
         c.close_cause, c.successor_corporate_number, '本店移転' AS change_cause, c.assignment_date, c.latest,
         c.en_name, c.en_prefecture_name, c.en_city_name, c.en_address_outside, c.furigana, c.hihyoji
  FROM (SELECT *, row_number() OVER (ORDER BY corporate_number) AS k FROM corporations) c
  JOIN read_parquet('{addresses}') a ON a.i = (c.k * 7919) % {rows} + 1
  WHERE c.k % {every} = 0 LIMIT {count}
) TO '{out}' (FORMAT csv, HEADER false, QUOTE '"', FORCE_QUOTE (name, prefecture_name, city_name))
"""


def peak_rss_mb() -> float:
    """This process's peak resident set since it started or since :func:`reset_peak_rss` (VmHWM)."""
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith("VmHWM:")) / 1024


def reset_peak_rss() -> None:
    """Start this process's VmHWM again from its current resident set (Linux ``clear_refs`` 5)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child_refresh(home: Path, memory: str) -> dict:
    env = {**os.environ, "KIBAN_DUCKDB_MEMORY": memory}
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(Path(__file__).parents[1]), home=str(home))],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _zip(csv: Path, name: str) -> Path:
    z = csv.with_name(f"{name}.zip")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(csv, f"{name}.csv")
    return z


def setup(work: Path, home: Path, addresses: Path, rows: int, machiaza: int) -> None:
    """Steps 1 and 2: the synthetic ABR and the 全件 generated and loaded into ``home``'s lake."""
    from registries.abr import synth

    t = time.perf_counter()
    con = connect(work / "abr.duckdb")
    counts = synth.build(con, machiaza)
    synth.write_files(con, work / "abr")
    con.execute(ADDRESSES_SQL.format(rows=rows, out=addresses))
    con.close()
    print(f"synthetic ABR {counts} and {rows:,} addresses in {time.perf_counter() - t:.1f} s")

    from kiban.config import paths as resolve
    from kiban.load.files import ingest_file
    from registries.abr.load import ingest_targets
    from registries.corporate.load import corporate_source
    from registries.municipalities.load import municipalities_source

    paths = resolve(home).ensure()
    master = Path(__file__).resolve().parents[1] / "samples" / "municipalities" / "000925835.xls"
    t = time.perf_counter()
    assert ingest_file(paths, municipalities_source(), master).ok
    results = ingest_targets(paths, [str(work / "abr")])
    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    print(f"loaded master + ABR in {time.perf_counter() - t:.1f} s")

    name = "00_zenkoku_all_20261030"
    t = time.perf_counter()
    csv = work / f"{name}.csv"
    generate_csv(csv, rows, addresses=addresses)
    result = ingest_file(paths, corporate_source(encoding="utf-8"), _zip(csv, name))
    assert result.status == "loaded", result.summary()
    csv.unlink()
    print(f"generated and loaded the 全件 ({rows:,} corporations) in {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_800_000)
    ap.add_argument("--machiaza", type=int, default=200_000)
    ap.add_argument("--diff-rows", type=int, default=5_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--memory", default="2GB", help="DuckDB memory cap of the matching process (spills beyond)")
    ap.add_argument("--setup-only", action="store_true",
                    help="generate and load into --workdir only (a later run with the same --workdir reuses it)")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="kiban-bench-address-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    pristine = work / "home.loaded"  # the lake as loaded, before any match: each measured run starts from it
    os.environ["KIBAN_HOME"] = str(home)
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    addresses = work / "addresses.parquet"
    if pristine.exists():
        print(f"reusing the loaded ABR and 全件 of {pristine} ({args.rows:,} rows as generated there)")
    else:
        setup(work, home, addresses, args.rows, args.machiaza)
        shutil.copytree(home, pristine, symlinks=True)
    if args.setup_only:
        return
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(pristine, home, symlinks=True)
    from kiban.config import paths as resolve
    from kiban.load.files import ingest_file
    from registries.corporate.load import corporate_source

    paths = resolve(home).ensure()
    with open("/proc/loadavg") as f:
        print(f"load average before the match: {f.read().split()[:3]}")

    full = child_refresh(home, args.memory)
    print(f"FULL match: {full['matched']:,} addresses in {full['seconds']:.1f} s "
          f"= {full['matched'] / full['seconds']:,.0f} addresses/s; peak RSS {full['peak_rss_mb']:,.0f} MB; "
          f"{full['cpu_seconds']:.1f} CPU-s = {1e6 * full['cpu_seconds'] / full['matched']:.1f} CPU-µs an address "
          f"({full['cpu_seconds'] / full['seconds']:.2f} cores busy on average)")
    print(f"  (of which reference + match + write {full['match_seconds']:.1f} s; rows {full['rows']})")
    from kiban.lake import Lake

    reader = Lake(paths).reader(spatial=False)
    dist = reader.execute("SELECT match_level, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2) "
                          "FROM corporation_addresses GROUP BY 1 ORDER BY 2 DESC").fetchall()
    print("level distribution: " + ", ".join(f"{lvl} {n:,} ({p}%)" for lvl, n, p in dist))
    coord = reader.execute("SELECT coordinate_level, count(*) FROM corporation_addresses GROUP BY 1 ORDER BY 2 DESC"
                           ).fetchall()
    print("coordinate levels: " + ", ".join(f"{lvl} {n:,}" for lvl, n in coord))

    # a 差分 of diff_rows corporations moved to other addresses
    diff_name = "diff_20261105"
    diff_csv = work / f"{diff_name}.csv"
    every = max(1, args.rows // args.diff_rows)
    reader.execute(DIFF_SQL.format(addresses=addresses, rows=args.rows, every=every, count=args.diff_rows,
                                   out=diff_csv))
    reader.close()
    print(f"(this process, the bench's parent: peak RSS {peak_rss_mb():,.0f} MB up to the 差分 written)")
    reset_peak_rss()
    t = time.perf_counter()
    result = ingest_file(paths, corporate_source(kind="diff", encoding="utf-8"), _zip(diff_csv, diff_name))
    assert result.status == "loaded", result.summary()
    print(f"差分 of {args.diff_rows:,} rows loaded in {time.perf_counter() - t:.1f} s ({result.rows}); "
          f"peak RSS of the load {peak_rss_mb():,.0f} MB (this process, the loader as `kiban ingest` runs it)")
    inc = child_refresh(home, args.memory)
    print(f"INCREMENTAL refresh after the 差分: mode {inc['mode']}, {inc['matched']:,} addresses matched, "
          f"{inc['seconds']:.1f} s in all (process start excluded), {inc['cpu_seconds']:.1f} CPU-s; "
          f"peak RSS {inc['peak_rss_mb']:,.0f} MB (ru_maxrss, which inherits the parent's peak: "
          f"{inc['ru_maxrss_mb']:,.0f} MB)")
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
