"""Benchmark the 地図XML staging against mojxml-py on the same files in the same run, and a multi-file load.

    .venv/bin/python bench/bench_moj_map.py                       # 20, 200 and 500 MB files + 8-file load
    .venv/bin/python bench/bench_moj_map.py --mb 20 --files 0     # one size, no multi-file load
    .venv/bin/python bench/bench_moj_map.py --mb 20 --zip         # inputs wrapped in a published-style nested zip

Per size: a synthetic grid file (``registries.moj_map.synth``) is staged to GeoParquet in a child process set
up like a staging worker (``kiban.load.workers.init_worker``), so its peak RSS (``VmHWM``) is the parser's
alone; then the peer, mojxml-py (PyPI ``mojxml``, installed into its own environment under
``bench/out/peers/``, see ``bench/peers.py``), converts the same file with ``mojxml2ogr --worker single`` to
FlatGeobuf. The two alternate ``--repeats`` times (default 3) so both see the same background load. Printed:
seconds (wall and CPU), 筆/s, peak RSS of each and kiban's throughput as a multiple of the peer's, from the
medians of wall time and of CPU time (a shared machine inflates wall time far more than CPU time).

Multi-file load (``--files N``, ``--file-mb``): N files of one municipality's 地図 sheets through the load path
(``ingest_pending``: stage, validate, store) in a fresh KIBAN_HOME, once with one process and once with one
staging worker per core; and the staging alone of the same N files, one after another vs. in the pool.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BYTES_PER_PARCEL = 2230  # measured for synth.write_grid output
PEER_REQUIREMENT = "mojxml==0.5.4"
PEER = """
import sys, time
from mojxml.__main__ import main
sys.argv = ["mojxml2ogr", "--worker", "single", {out!r}, {src!r}]
t, c = time.perf_counter(), time.process_time()
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
print(time.perf_counter() - t, time.process_time() - c, int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))))
"""


def generate(path: Path, mb: float, as_zip: bool, map_name: str = "合成グリッド") -> tuple[Path, int]:
    from registries.moj_map import synth

    parcels = int(mb * 1e6 / BYTES_PER_PARCEL)
    cols = 500 if parcels >= 500 else max(1, parcels)
    rows = max(1, math.ceil(parcels / cols))
    xml = path.with_suffix(".xml")
    header = synth.SynthHeader("13101", "千代田区", map_name)
    with xml.open("w", encoding="utf-8", newline="\n") as fp:
        n = synth.write_grid(fp, rows, cols, origin=(-8000.0, -40000.0), cell=8.0, header=header)
    if not as_zip:
        return xml, n
    inner = path.parent / f"{path.stem}-1.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(xml, f"{path.stem}-1.xml")
    outer = path.with_suffix(".zip")
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as zf:
        zf.write(inner, inner.name)
    inner.unlink()
    xml.unlink()
    return outer, n


def peak_rss_kb() -> int:
    """This process's own peak RSS (VmHWM, new at exec). Not ``ru_maxrss``: Linux carries it across exec and
    Python starts children with vfork, so a child's ``ru_maxrss`` starts at this parent's peak."""
    with open("/proc/self/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))


def parse_child(src: Path, out: Path) -> dict:
    from kiban.load.workers import init_worker

    init_worker()
    from registries.moj_map.parse import stage_moj_file

    t0, c0 = time.perf_counter(), time.process_time()
    result = stage_moj_file(src, out)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"rows": result.rows, "seconds": seconds, "cpu": cpu, "retained_peak": result.retained_peak,
            "peak_rss_mb": peak_rss_kb() / 1024,
            "pandas": "pandas" in sys.modules}


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def one_size(mb: float, args: argparse.Namespace) -> None:
    base = args.out / f"grid_{int(mb)}mb"
    t0 = time.perf_counter()
    src, n = generate(base, mb, args.zip)
    size = src.stat().st_size
    print(f"\n== {mb:g} MB: generated {n:,} 筆, {src.name} {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s "
          f"(load average {load()})")
    out = args.out / f"{base.name}.parquet"
    fgb = args.out / f"{base.name}.fgb"
    python = None
    if args.peer:
        from peers import peer_python

        python = peer_python(PEER_REQUIREMENT)
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for trial in range(args.repeats):  # interleaved, so both sides see the same background load
        proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(out)], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        stats = json.loads(proc.stdout.strip().splitlines()[-1])
        ours.append((stats["seconds"], stats["cpu"]))
        print(f"kiban [{trial + 1}]: staged {stats['rows']:,} 筆 in {stats['seconds']:.2f} s "
              f"(CPU {stats['cpu']:.2f} s): {stats['rows'] / stats['seconds']:,.0f} 筆/s, "
              f"{size / 1e6 / stats['seconds']:.1f} MB/s, peak RSS {stats['peak_rss_mb']:.0f} MB, "
              f"max retained elements {stats['retained_peak']}, parquet {out.stat().st_size / 1e6:.1f} MB")
        if python is None:
            continue
        fgb.unlink(missing_ok=True)
        proc = subprocess.run([str(python), "-c", PEER.format(out=str(fgb), src=str(src))], check=True,
                              capture_output=True, text=True, cwd=args.out)
        peer_s, peer_cpu, peer_rss = proc.stdout.split()[-3:]
        theirs.append((float(peer_s), float(peer_cpu)))
        print(f"peer  [{trial + 1}]: mojxml-py ({PEER_REQUIREMENT}, mojxml2ogr --worker single -> FlatGeobuf) "
              f"{float(peer_s):.2f} s (CPU {float(peer_cpu):.2f} s): {n / float(peer_s):,.0f} 筆/s, "
              f"peak RSS {int(peer_rss) / 1024:.0f} MB")
        fgb.unlink(missing_ok=True)
    wall, cpu = statistics.median(w for w, _ in ours), statistics.median(c for _, c in ours)
    print(f"kiban median of {len(ours)}: {wall:.2f} s wall, {cpu:.2f} s CPU, {n / wall:,.0f} 筆/s")
    if theirs:
        peer_wall, peer_cpu = statistics.median(w for w, _ in theirs), statistics.median(c for _, c in theirs)
        print(f"peer  median of {len(theirs)}: {peer_wall:.2f} s wall, {peer_cpu:.2f} s CPU, {n / peer_wall:,.0f} 筆/s")
        print(f"ratio: kiban's throughput = {peer_wall / wall:.2f}x the peer's by median wall time, "
              f"{peer_cpu / cpu:.2f}x by median CPU time (target >= 2x)")
    print(f"load average after: {load()}")
    if not args.keep:
        for p in (src, out):
            p.unlink(missing_ok=True)


def _stage_one(src: str, out: str) -> int:
    from registries.moj_map.parse import stage_moj_file

    return stage_moj_file(src, out).rows


def multi_file(args: argparse.Namespace) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from kiban.archive import FetchLog, RawArchive
    from kiban.config import paths as make_paths
    from kiban.load.files import ingest_pending
    from kiban.load.workers import init_worker
    from registries.moj_map.load import moj_map_source

    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="moj-multi-", dir=args.out))
    try:
        files = [generate(work / f"13101-{k:04d}", args.file_mb, True, map_name=f"合成{k}")[0]
                 for k in range(1, args.files + 1)]
        n = sum(_count(f) for f in files)
        print(f"\n== multi-file: {args.files} files x {args.file_mb:g} MB of XML ({n:,} 筆), {cores} cores "
              f"(load average {load()})")
        stage_s = {}
        for workers in (1, cores):
            outs = [str(work / f"s{workers}-{k}.parquet") for k in range(len(files))]
            t = time.perf_counter()
            if workers == 1:
                rows = sum(_stage_one(str(f), o) for f, o in zip(files, outs, strict=True))
            else:
                with ProcessPoolExecutor(workers, mp_context=get_context("forkserver"),
                                         initializer=init_worker) as pool:
                    rows = sum(pool.map(_stage_one, [str(f) for f in files], outs))
            stage_s[workers] = time.perf_counter() - t
            assert rows == n, (rows, n)
        print(f"staging only: one process {stage_s[1]:.1f} s, {cores} worker processes {stage_s[cores]:.1f} s: "
              f"speed-up {stage_s[1] / stage_s[cores]:.2f}x")
        load_s = {}
        for workers in (1, cores):
            home = work / f"home{workers}"
            paths = make_paths(home).ensure()
            archive, log = RawArchive(paths.raw), FetchLog(paths.raw, "moj_map")
            for f in files:
                log.record(archive.put_file(f))
            t = time.perf_counter()
            results = ingest_pending(paths, moj_map_source(), order=lambda e: e["original_name"], workers=workers)
            load_s[workers] = time.perf_counter() - t
            assert [r.status for r in results] == ["loaded"] * len(files), [(r.status, r.errors) for r in results]
        print(f"load (stage + validate + store, ingest_pending): one process {load_s[1]:.1f} s, "
              f"workers={cores} {load_s[cores]:.1f} s: speed-up {load_s[1] / load_s[cores]:.2f}x")
        print(f"load average after: {load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _count(path: Path) -> int:
    with zipfile.ZipFile(path) as outer:
        inner_name = outer.namelist()[0]
        with zipfile.ZipFile(outer.open(inner_name)) as inner:
            return inner.read(inner.namelist()[0]).count("<筆 ".encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, nargs="*", default=[20.0, 200.0, 500.0], help="XML sizes to generate (MB)")
    ap.add_argument("--zip", action="store_true", help="wrap each input in a nested zip as published")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs")
    ap.add_argument("--no-peer", dest="peer", action="store_false", help="skip mojxml-py")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved runs of each side per size (medians)")
    ap.add_argument("--files", type=int, default=8, help="files of the multi-file load (0: skip)")
    ap.add_argument("--file-mb", type=float, default=10.0, help="XML size of each file of the multi-file load")
    ap.add_argument("--child", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(parse_child(Path(args.child[0]), Path(args.child[1]))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"bench_moj_map {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores")
    for mb in args.mb:
        one_size(mb, args)
    if args.files:
        multi_file(args)


if __name__ == "__main__":
    main()
