"""Benchmark: cold start of ``kiban sql`` (a new process per query), with the interpreter's floor in the same run.

Runs each command ``--runs`` times as a fresh process, interleaved (so load changes hit every command alike), and
prints the median and the fastest wall time of each and its median CPU time (user + system, less sensitive to a
busy machine), the floor ``python -c pass``, ``import duckdb`` and the machine's load average. Needs a home with data: ``make demo`` (KIBAN_HOME=data) or ``--home``.

    .venv/bin/python bench/bench_cold_start.py --runs 21
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def commands(home: Path) -> dict[str, list[str]]:
    kiban = [str(BIN / "kiban"), "--home", str(home), "sql"]
    return {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "python -c 'import duckdb'": [sys.executable, "-c", "import duckdb"],
        'kiban sql "select 1"': [*kiban, "select 1"],
        'kiban sql "select count(*) from corporations"': [*kiban, "select count(*) from corporations"],
        'kiban sql "... ST_Point ..." (loads spatial)': [*kiban, "select ST_AsText(ST_Point(139.7, 35.7)) AS p"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("KIBAN_HOME", "data")))
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    home = args.home.resolve()
    if not (home / "kiban.duckdb").exists():
        sys.exit(f"no lake under {home}: run `make demo` first (or pass --home)")
    cmds = commands(home)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    load_before = os.getloadavg()
    for argv in cmds.values():  # warm the page cache once; not counted
        subprocess.run(argv, check=True, capture_output=True)
    for _ in range(args.runs):
        for name, argv in cmds.items():
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    load_after = os.getloadavg()
    floor = statistics.median(times["python -c pass (floor)"])
    print(f"cold start, {args.runs} runs each, interleaved; home {home}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} cores)")
    print(f"{'command':52s} {'median s':>9s} {'min s':>7s} {'- floor':>8s} {'CPU s':>7s}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:52s} {med:9.3f} {min(values):7.3f} {med - floor:8.3f} {statistics.median(cpu[name]):7.3f}")


if __name__ == "__main__":
    main()
