"""Benchmark the 地図XML staging: generate a large synthetic file, stage it, report 筆/s, MB/s, peak RSS.

    .venv/bin/python bench/bench_moj_map.py --mb 200            # generate bench/out/grid_200mb.xml, stage it
    .venv/bin/python bench/bench_moj_map.py --mb 20 --zip       # the same, wrapped in a published-style nested zip

Parsing runs in a child process so its peak RSS (``resource.getrusage``) is the parser's alone. The peer,
mojxml-py (PyPI ``mojxml``, installed into its own environment under ``bench/out/peers/``, see
``bench/peers.py``), converts the same file in the same run with ``mojxml2ogr --worker single`` to FlatGeobuf;
``--no-peer`` skips it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BYTES_PER_PARCEL = 2230  # measured for synth.write_grid output
PEER_REQUIREMENT = "mojxml==0.5.4"
PEER = """
import resource, sys, time
from mojxml.__main__ import main
sys.argv = ["mojxml2ogr", "--worker", "single", {out!r}, {src!r}]
t = time.perf_counter()
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(path: Path, mb: float, as_zip: bool) -> tuple[Path, int]:
    from registries.moj_map import synth

    parcels = int(mb * 1e6 / BYTES_PER_PARCEL)
    cols = 500
    rows = max(1, math.ceil(parcels / cols))
    xml = path.with_suffix(".xml")
    with xml.open("w", encoding="utf-8", newline="\n") as fp:
        n = synth.write_grid(fp, rows, cols, origin=(-8000.0, -40000.0), cell=8.0)
    if not as_zip:
        return xml, n
    inner = path.parent / f"{path.stem}-1.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(xml, f"{path.stem}-1.xml")
    outer = path.with_suffix(".zip")
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as zf:
        zf.write(inner, inner.name)
    inner.unlink()
    return outer, n


def parse_child(src: Path, out: Path) -> dict:
    from registries.moj_map.parse import stage_moj_file

    t0 = time.perf_counter()
    result = stage_moj_file(src, out)
    seconds = time.perf_counter() - t0
    return {"rows": result.rows, "seconds": seconds, "retained_peak": result.retained_peak,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, default=200.0, help="approximate XML size to generate (MB)")
    ap.add_argument("--zip", action="store_true", help="wrap in a nested zip as published")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--keep", action="store_true", help="keep the generated input")
    ap.add_argument("--no-peer", dest="peer", action="store_false", help="skip mojxml-py")
    ap.add_argument("--child", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(parse_child(Path(args.child[0]), Path(args.child[1]))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / f"grid_{int(args.mb)}mb"
    t0 = time.perf_counter()
    src, n = generate(base, args.mb, args.zip)
    xml_bytes = base.with_suffix(".xml").stat().st_size
    print(f"generated {n:,} 筆, XML {xml_bytes / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s -> {src.name}")
    out = args.out / f"{base.name}.parquet"
    proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(out)], check=True,
                          capture_output=True, text=True, cwd=ROOT)
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    secs = stats["seconds"]
    print(f"staged {stats['rows']:,} 筆 in {secs:.1f} s: {stats['rows'] / secs:,.0f} 筆/s, "
          f"{xml_bytes / 1e6 / secs:.1f} MB/s (XML), peak RSS {stats['peak_rss_mb']:.0f} MB, "
          f"max retained elements {stats['retained_peak']}, parquet {out.stat().st_size / 1e6:.1f} MB")
    if args.peer:
        from peers import peer_python

        python = peer_python(PEER_REQUIREMENT)
        fgb = args.out / f"{base.name}.fgb"
        fgb.unlink(missing_ok=True)
        proc = subprocess.run([str(python), "-c", PEER.format(out=str(fgb), src=str(src))], check=True,
                              capture_output=True, text=True, cwd=args.out)
        peer_s, peer_rss = proc.stdout.split()[-2:]
        peer_s = float(peer_s)
        print(f"peer: mojxml-py ({PEER_REQUIREMENT}, mojxml2ogr --worker single -> FlatGeobuf) {peer_s:.1f} s: "
              f"{n / peer_s:,.0f} 筆/s, peak RSS {int(peer_rss) / 1024:.0f} MB; "
              f"kiban's throughput {peer_s / secs:.2f}x the peer's")
        fgb.unlink(missing_ok=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        for p in {src, base.with_suffix(".xml"), out}:
            if p.exists():
                os.unlink(p)


if __name__ == "__main__":
    main()
