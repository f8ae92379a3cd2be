"""Benchmark: the matcher alone (``kiban.addresses.match.run``) on a sample of the address bench's addresses.

Reads a synthetic ABR DuckDB file and the addresses parquet written by ``bench/bench_address.py`` (its
``--workdir``: ``abr.duckdb`` and ``addresses.parquet``), copies the ABR tables into memory with the municipality
master, builds the reference tables (not timed), then matches the first ``--rows`` addresses in one
``match.run`` and prints the wall time, the process CPU time of the match, CPU-µs an address and the level
distribution. Meant for before/after comparisons of matcher rules (a few minutes at most):

    .venv/bin/python bench/bench_match_cpu.py --abr WORKDIR/abr.duckdb --addresses WORKDIR/addresses.parquet \
        [--rows 200000] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402

from kiban.addresses import match, reference  # noqa: E402
from kiban.duck import connect, quote_ident, quote_literal  # noqa: E402
from registries.municipalities.parse import as_records  # noqa: E402
from registries.municipalities.resolve import bundled_master  # noqa: E402

TABLES = ("abr_prefs", "abr_cities", "abr_towns", "abr_blocks", "abr_residences", "abr_parcels")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abr", type=Path, required=True, help="a DuckDB file holding the abr_* tables")
    ap.add_argument("--addresses", type=Path, required=True, help="bench_address.py's addresses.parquet")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    con = connect()
    con.execute("SET threads = ?", [args.threads])
    # ATTACH takes no parameters in DuckDB's grammar: the path goes in as a quoted literal
    con.execute(f"ATTACH {quote_literal(str(args.abr))} AS src (READ_ONLY)")
    for t in TABLES:
        con.execute(f"CREATE TABLE {quote_ident(t)} AS SELECT * FROM src.{quote_ident(t)}")
    con.execute("DETACH src")
    con.register("_master", pa.Table.from_pylist(as_records(bundled_master())))
    con.execute("CREATE TABLE municipalities AS SELECT * FROM _master")
    con.unregister("_master")
    t = time.perf_counter()
    counts = reference.build(con)
    print(f"reference tables {counts} in {time.perf_counter() - t:.1f} s")
    con.execute("CREATE TABLE bench_in AS SELECT i AS id, concat(prefecture_name, city_name, street_number) AS input "
                "FROM read_parquet(?) ORDER BY i LIMIT ?", [str(args.addresses), args.rows])
    n = con.execute("SELECT count(*) FROM bench_in").fetchone()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    match.run(con, "SELECT id, input FROM bench_in", prepared=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"MATCH {n:,} addresses in {wall:.2f} s = {n / wall:,.0f} addresses/s; {cpu:.2f} CPU-s = "
          f"{1e6 * cpu / n:.1f} CPU-µs an address ({args.threads} threads)")
    dist = con.execute("SELECT match_level, count(*) FROM address_matches GROUP BY 1 ORDER BY 2 DESC").fetchall()
    print("levels: " + ", ".join(f"{lvl} {c:,}" for lvl, c in dist))
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
