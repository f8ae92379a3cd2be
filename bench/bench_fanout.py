"""National fan-out of 地図XML: N synthetic municipality zips loaded by per-area Dagster runs, 1 and 2 at a time,
on the cluster profile's lake (DuckLake on PostgreSQL, data on S3 = moto's server), against one unpartitioned
load of every file in one process (the laptop way).

    .venv/bin/python bench/bench_fanout.py [--zips 200] [--parcels 400] [--runs 1 2] [--areas-per-run 10]

The zips are generated in the published layout (``{5-digit 市区町村コード}-0001.zip`` holding nested zips) by
``registries.moj_map.synth`` over real municipality codes, archived and logged for loading as the fetch asset does.
A *run* is a separate process materialising ``parcels_load`` for a range of partitions (``KIBAN_FANOUT=area``;
``--areas-per-run``, as the assets' backfill policy splits a backfill) against a Dagster instance on PostgreSQL --
what the QueuedRunCoordinator launches, one process (or pod) per run; the driver keeps 1 or 2 in flight. Printed:
wall time, 筆/s, speed-up, mean run time and the per-run overhead (run wall time minus the load's own stage +
validate + store seconds), and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUN = """
import json, sys, time
t0 = time.perf_counter()
import dagster as dg
from kiban.config import paths as resolve
from kiban.orchestration import instance
from pipelines.definitions import build_defs
paths = resolve()
defs = build_defs("official", home=str(paths.home))
assets = [*(defs.assets or []), *(defs.asset_checks or [])]
with instance(paths) as inst:
    result = dg.materialize(assets, selection=["parcels"], resources=defs.resources, instance=inst,
                            raise_on_error=False, tags={"dagster/asset_partition_range_start": sys.argv[1],
                                                        "dagster/asset_partition_range_end": sys.argv[2]})
print(json.dumps({"ok": result.success, "seconds": time.perf_counter() - t0}))
"""


def municipality_codes(n: int) -> list[str]:
    from registries.reports.scenario import load_lg_codes

    codes = sorted({c[:5] for c in load_lg_codes() if c[2:5] != "000"})  # municipalities, not prefectures
    return codes[:n]


def generate(folder: Path, codes: list[str], parcels: int) -> list[Path]:
    from registries.moj_map import synth

    cols = 20
    rows = max(1, parcels // cols)
    out = []
    for code in codes:
        xml = synth.grid_xml_bytes(rows, cols, header=synth.SynthHeader(code, f"市{code}", "合成グリッド"))
        path = folder / f"{code}-0001.zip"
        path.write_bytes(synth.nested_zip(f"{code}-0001", [(f"{code}-0001-1", xml)]))
        out.append(path)
    return out


def queue_files(home: Path, files: list[Path]) -> None:
    """Archive and log the files for loading, as the fetch asset does."""
    from kiban.archive import FetchLog, RawArchive
    from kiban.config import paths as resolve

    paths = resolve(home).ensure()
    archive, log = RawArchive(paths.raw), FetchLog(paths.raw, "moj_map")
    for f in files:
        log.record(archive.put_file(f))


def loaded_seconds(env: dict[str, str]) -> tuple[int, float, int]:
    """(files loaded, sum of their load seconds, 筆 stored) from the ledger: a load's started_at is its batch's
    start, its finished_at the moment its ledger row was made, just before the commit."""
    out = subprocess.run([sys.executable, "-c", (
        "import json\nfrom kiban.config import paths\nfrom kiban.lake import Lake\n"
        "con = Lake(paths()).reader(spatial=False)\n"
        "rows, s = con.execute(\"SELECT count(*), sum(epoch(finished_at) - epoch(started_at)) FROM loads \"\n"
        "                      \"WHERE source = 'moj_map' AND status = 'loaded'\").fetchone()\n"
        "n = con.execute('SELECT count(*) FROM parcels').fetchone()[0]\n"
        "print(json.dumps([rows, s, n]))")],
        env=env, capture_output=True, text=True, check=True)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))  # type: ignore[return-value]


def fan_out(env: dict[str, str], areas: list[str], parallel: int, per_run: int) -> dict:
    ranges = [areas[i:i + per_run] for i in range(0, len(areas), per_run)]
    pending, running, runs = deque(ranges), [], []
    t0 = time.perf_counter()
    while pending or running:
        while pending and len(running) < parallel:
            area = pending.popleft()
            proc = subprocess.Popen([sys.executable, "-c", RUN, area[0], area[-1]], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            running.append((area, proc, time.perf_counter()))
        time.sleep(0.05)
        for item in list(running):
            area, proc, started = item
            if proc.poll() is None:
                continue
            out, err = proc.communicate()
            running.remove(item)
            if proc.returncode or not json.loads(out.strip().splitlines()[-1])["ok"]:
                raise SystemExit(f"run for {area} failed:\n{err[-3000:]}")
            runs.append(time.perf_counter() - started)
    return {"wall": time.perf_counter() - t0, "runs": runs}


def one_run(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", (
        "from kiban.config import paths\nfrom kiban.load.files import ingest_pending\n"
        "from registries.moj_map.load import moj_map_source\n"
        "r = ingest_pending(paths(), moj_map_source())\nassert all(x.status == 'loaded' for x in r), r")],
        env=env, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zips", type=int, default=200)
    ap.add_argument("--parcels", type=int, default=400, help="筆 per municipality zip")
    ap.add_argument("--runs", type=int, nargs="*", default=[1, 2], help="runs in flight (none: the baseline only)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the one-process load of every file")
    ap.add_argument("--areas-per-run", type=int, default=10, help="areas (partitions) one run loads")
    args = ap.parse_args()

    from pipelines.fanout import moj_map_area
    from tests.cluster.parts import LocalPostgres, LocalS3

    base = {k: v for k, v in os.environ.items() if not k.startswith(("KIBAN_", "DAGSTER_HOME"))}
    base.update(PYTHONPATH=str(REPO), GX_ANALYTICS_ENABLED="False", DAGSTER_DISABLE_TELEMETRY="1")
    results = []
    with tempfile.TemporaryDirectory(prefix="kiban-bench-fanout-") as tmp, LocalPostgres() as pg, LocalS3() as s3:
        root = Path(tmp)
        (root / "zips").mkdir()
        files = generate(root / "zips", municipality_codes(args.zips), args.parcels)
        areas = sorted({moj_map_area(f.name) for f in files})
        print(f"{len(files)} zips, {args.parcels} 筆 each, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB",
              flush=True)

        def lake_env(name: str, **extra: str) -> dict[str, str]:
            home = root / name
            queue_files(home, files)
            return {**base, **s3.env(), "KIBAN_HOME": str(home), "KIBAN_LAKE_CATALOG": pg.url(pg.create_database()),
                    "KIBAN_LAKE_DATA": f"s3://{s3.create_bucket()}/lake/", **extra}

        if not args.no_baseline:
            env = lake_env("single")
            wall = one_run(env)
            n, load_s, fude = loaded_seconds(env)
            results.append({"mode": "one process, every file", "runs": 1, "wall_s": wall, "fude": fude,
                            "run_s": wall, "overhead_s": (wall - load_s), "load_avg": os.getloadavg()[0]})
            print(json.dumps(results[-1]), flush=True)
        for parallel in args.runs:
            env = lake_env(f"fanout-{parallel}", KIBAN_FANOUT="area", KIBAN_PROFILE="server",
                           KIBAN_DAGSTER_PG_URL=pg.url(pg.create_database()))
            subprocess.run([sys.executable, "-c", (
                "import sys\nfrom kiban.config import paths\nfrom kiban.orchestration import instance\n"
                "with instance(paths()) as i:\n    i.add_dynamic_partitions('moj_map_area', sys.argv[1:])")]
                + areas, env=env, check=True)
            got = fan_out(env, areas, parallel, args.areas_per_run)
            n, load_s, fude = loaded_seconds(env)
            assert n == len(files), (n, len(files))
            mean_run = statistics.mean(got["runs"])
            results.append({"mode": f"{parallel} run(s) in flight, {args.areas_per_run} areas each",
                            "runs": len(got["runs"]), "wall_s": got["wall"], "fude": fude, "run_s": mean_run,
                            "overhead_s": mean_run - load_s / len(got["runs"]), "load_avg": os.getloadavg()[0]})
            print(json.dumps(results[-1]), flush=True)
    base_wall = next((r["wall_s"] for r in results if r["mode"].startswith("1 run")), results[0]["wall_s"])
    print(f"\n{'mode':34s} {'runs':>5s} {'wall s':>8s} {'筆/s':>8s} {'speed-up':>8s} {'s/run':>6s} "
          f"{'overhead s/run':>14s} {'load':>5s}")
    for r in results:
        print(f"{r['mode']:34s} {r['runs']:5d} {r['wall_s']:8.1f} {r['fude'] / r['wall_s']:8.0f} "
              f"{base_wall / r['wall_s']:8.2f} {r['run_s']:6.1f} {r['overhead_s']:14.1f} {r['load_avg']:5.1f}")


if __name__ == "__main__":
    main()
