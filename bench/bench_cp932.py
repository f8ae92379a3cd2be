"""Benchmark: the CP932 -> UTF-8 transcode of a 法人番号 Shift-JIS zip member alone, wall and CPU seconds.

    .venv/bin/python bench/bench_cp932.py ZIP [--serial]

Measures, on the same member: inflating it alone (the floor of any transcoder that reads the zip), glibc's iconv
on threads (``registries.corporate.cp932iconv``, what the stager uses where iconv is available), Python's codec
in worker processes (``registries.corporate.transcode``, the fallback) and, with ``--serial``, Python's codec on
one thread. CPU seconds include the worker processes. The outputs are compared (sha256) after the timings.
The Shift-JIS zip of ``bench/bench_corporate.py --sjis --workdir DIR`` is ``DIR/served-sjis/*.zip``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registries.corporate import cp932iconv  # noqa: E402
from registries.corporate.decode import CHUNK, transcode_to_utf8  # noqa: E402
from registries.corporate.transcode import transcode_parallel  # noqa: E402


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(label: str, zip_path: Path, out: Path | None, run: Callable[[BinaryIO, BinaryIO], object]) -> str | None:
    """Run ``run(member, dest)`` on the zip's only member; print wall and CPU seconds; the output's sha256."""
    with zipfile.ZipFile(zip_path) as zf:
        info = zf.infolist()[0]
        with zf.open(info) as member, (out.open("wb") if out else open(os.devnull, "wb")) as dest:
            w, c = time.perf_counter(), cpu()
            run(member, dest)
            wall, used = time.perf_counter() - w, cpu() - c
    print(f"{label:<44} {wall:6.1f} s wall {used:6.1f} CPU-s  ({info.file_size / 1e9:.2f} GB CP932)", flush=True)
    if out is None:
        return None
    digest = hashlib.sha256()
    with out.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    out.unlink()
    return digest.hexdigest()


def inflate(member: BinaryIO, dest: BinaryIO) -> None:
    while member.read(CHUNK):
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip", type=Path)
    ap.add_argument("--serial", action="store_true", help="also Python's codec on one thread (slow)")
    args = ap.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs; "
          f"iconv available: {cp932iconv.available()}")
    work = Path(tempfile.mkdtemp(prefix="kiban-cp932-"))
    try:
        timed("inflate only (zipfile, one thread)", args.zip, None, inflate)
        digests = {}
        report: list[cp932iconv.Transcoded] = []
        digests["iconv"] = timed("glibc iconv on threads (cp932iconv)", args.zip, work / "iconv.csv",
                                 lambda m, d: report.append(cp932iconv.transcode_threads(m, d)))
        print(f"  pieces: {report[0].by_iconv} by iconv, {report[0].by_python} by Python's codec")
        digests["processes"] = timed("Python codec in processes (transcode.py)", args.zip, work / "proc.csv",
                                     lambda m, d: transcode_parallel(m, d, work / "parts"))
        if args.serial:
            digests["serial"] = timed("Python codec on one thread", args.zip, work / "serial.csv",
                                      lambda m, d: transcode_to_utf8(m, d, "cp932", "bench"))
        same = len(set(digests.values())) == 1
        print(f"outputs identical (sha256): {same}")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if not same:
            raise SystemExit(f"outputs differ: {digests}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
