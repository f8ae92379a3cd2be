"""Concurrent lake writers: commits per second and p95 commit latency for 1, 2, 4 writer processes, on the
PostgreSQL catalog (cluster profile; data on S3 = moto's server, or a local folder) against the single-writer
DuckDB-file catalog (laptop profile; writers queue on its file lock and each commit rebuilds the views file).

    .venv/bin/python bench/bench_writers.py [--writers 1 2 4] [--commits 20] [--rows 200] [--data s3|local]

Every commit is one ``Lake.writer()`` transaction appending ``--rows`` rows to one table and one row to a
second, as a load appends its rows and its ledger row: attach, begin, insert, commit (and, for the file catalog,
the views file). Appends of different writers never conflict; the DuckLake commit retries a lost race itself.
PostgreSQL and the S3 server are started on free ports of 127.0.0.1 (tests/cluster/parts.py) and stopped after.
Printed per configuration: commits, wall seconds, commits/s, p50 and p95 latency of one commit, and the
machine's load average.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def worker(commits: int, rows: int) -> None:
    """One writer process: say ready, wait for the common start (a line on stdin), then ``commits``
    transactions; print latencies."""
    import pyarrow as pa

    from kiban.config import paths as resolve
    from kiban.lake import Lake
    from schemas.contract import Column, Contract

    events = Contract(name="bench_events", version="1.0.0", title_ja="計測", title_en="bench", description="bench",
                      columns=(Column("writer", "int64", ja="w", en="w"), Column("seq", "int32", ja="s", en="s"),
                               Column("payload", "string", ja="p", en="p")),
                      primary_key=("writer", "seq"), group="platform", cadence="irregular", owner="bench")
    ledger = Contract(name="bench_ledger", version="1.0.0", title_ja="計測", title_en="bench", description="bench",
                      columns=(Column("writer", "int64", ja="w", en="w"), Column("seq", "int32", ja="s", en="s")),
                      primary_key=("writer", "seq"), group="platform", cadence="irregular", owner="bench")
    lake = Lake(resolve())
    if commits == 0:  # set-up: create the tables once (two writers creating one table at once conflict)
        with lake.writer() as w:
            w.ensure_table(events)
            w.ensure_table(ledger)
        return
    me = os.getpid()
    print("ready", flush=True)
    sys.stdin.readline()
    latencies = []
    for seq in range(commits):
        batch = pa.table({"writer": [me] * rows, "seq": [seq] * rows, "payload": [f"{me}-{seq}-{i}" for i in range(rows)]})
        t0 = time.perf_counter()
        with lake.writer() as w:
            w.con.register("batch", batch)
            w.append(events, "SELECT writer, seq, payload FROM batch")
            w.append(ledger, f"SELECT {me}, {seq}")
        latencies.append(time.perf_counter() - t0)
    print(json.dumps({"latencies": latencies, "finished": time.time()}), flush=True)


def run(n: int, env: dict[str, str], commits: int, rows: int) -> dict:
    subprocess.run([sys.executable, __file__, "--worker", "0", "0"], env=env, check=True)
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(commits), str(rows)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    for p in procs:  # every process has imported everything before the first commit
        if p.stdout.readline().strip() != "ready":
            raise SystemExit(p.communicate()[1][-3000:])
    start_at = time.time()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=3600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        if p.returncode:
            raise SystemExit(err[-3000:])
    done = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    lat = sorted(x for d in done for x in d["latencies"])
    wall = max(d["finished"] for d in done) - start_at
    return {"writers": n, "commits": len(lat), "wall_s": round(wall, 2), "commits_per_s": round(len(lat) / wall, 2),
            "p50_ms": round(statistics.median(lat) * 1000), "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000),
            "load_avg": round(os.getloadavg()[0], 1)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--commits", type=int, default=20, help="commits per writer")
    ap.add_argument("--rows", type=int, default=200, help="rows appended per commit")
    ap.add_argument("--data", choices=["s3", "local"], default="s3", help="data path of the PostgreSQL catalog")
    args = ap.parse_args()

    from tests.cluster.parts import LocalPostgres, LocalS3

    base = {k: v for k, v in os.environ.items() if not k.startswith(("KIBAN_LAKE_", "KIBAN_HOME"))}
    base.update(PYTHONPATH=str(REPO), GX_ANALYTICS_ENABLED="False")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiban-bench-writers-") as tmp, LocalPostgres() as pg, LocalS3() as s3:
        for n in args.writers:
            home = Path(tmp) / f"file-{n}"
            rows.append({"catalog": "duckdb-file", **run(n, {**base, "KIBAN_HOME": str(home)}, args.commits,
                                                         args.rows)})
            print(json.dumps(rows[-1]), flush=True)
        for n in args.writers:
            env = {**base, "KIBAN_HOME": str(Path(tmp) / f"pg-{n}"), "KIBAN_LAKE_CATALOG": pg.url(pg.create_database())}
            if args.data == "s3":
                env.update(s3.env(), KIBAN_LAKE_DATA=f"s3://{s3.create_bucket()}/lake/")
            rows.append({"catalog": f"postgres+{args.data}", **run(n, env, args.commits, args.rows)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'catalog':16s} {'writers':>7s} {'commits':>7s} {'wall s':>7s} {'commits/s':>9s} {'p50 ms':>7s} "
          f"{'p95 ms':>7s} {'load':>5s}")
    for r in rows:
        print(f"{r['catalog']:16s} {r['writers']:7d} {r['commits']:7d} {r['wall_s']:7.1f} {r['commits_per_s']:9.2f} "
              f"{r['p50_ms']:7d} {r['p95_ms']:7d} {r['load_avg']:5.1f}")


if __name__ == "__main__":
    main()
