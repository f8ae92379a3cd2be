"""The disaster hour over HTTP: every municipality sends 第1〜3報 of its damage report and a shelters report.

``python bench/bench_disaster_hour.py [--municipalities N] [--concurrency C] [--shelters K] [--pace SECONDS]``

1,741 municipalities x (3 damage versions + 1 shelter report of K shelters) = 6,964 submissions and
1,741 x K shelter rows (K = 12: 20,892 rows). The "ten minutes" are compressed: everything is sent as fast as
the server accepts (``--pace 600`` spreads the sends over ten real minutes instead). The server is
``kiban serve`` (uvicorn) in a subprocess on 127.0.0.1 with a fresh KIBAN_HOME; the client is httpx with
C concurrent requests. Printed: accepted per second, p50/p95/p99 submission latency, the time until every
report is in ``reports_latest`` (after the first and after the last send), and a count check (nothing lost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DISASTER = "2026-typhoon-21"


def lg_codes(limit: int | None) -> list[str]:
    from registries.municipalities.resolve import BUNDLED_MASTER
    from registries.reports.scenario import load_lg_codes

    codes = sorted(load_lg_codes(BUNDLED_MASTER))
    return codes[:limit] if limit else codes


def damage(lg: str, seq: int, as_of: datetime, rng: random.Random) -> dict:
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": DISASTER, "as_of": as_of.isoformat(),
            "sequence_no": seq, "items": {"form_part": "その2", "dead": rng.randint(0, 2) * seq,
                                          "missing": "未確認" if seq == 1 else rng.randint(0, 3),
                                          "injured_minor": rng.randint(0, 20) * seq,
                                          "zenkai_buildings": rng.randint(0, 5) * seq,
                                          "power_outage_households": rng.randint(0, 3000)}}


def shelters(lg: str, k: int, as_of: datetime, rng: random.Random) -> list[dict]:
    out = []
    for i in range(1, k + 1):
        cap = rng.choice((80, 150, 300))
        ev = rng.randint(0, cap)
        out.append({"report_type": "shelter_status", "lg_code": lg, "as_of": as_of.isoformat(), "sequence_no": 1,
                    "items": {"disaster_id": DISASTER, "shelter_id": f"{lg}-{i:03d}", "shelter_kind": "指定避難所",
                              "open_status": "開設", "capacity": cap, "evacuees": ev, "evacuees_voluntary": ev // 3,
                              "crowding": "定員一杯" if ev >= cap else "空き"}})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "KIBAN_HOME": str(home), "GX_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-c", "from kiban.cli import main; main()", "--home", str(home), "serve",
           "--port", str(port)]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(base: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(base + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start")


async def send_all(base: str, jobs: list[tuple[str, bytes]], concurrency: int, pace: float
                   ) -> tuple[list[float], dict[int, int], float, float]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    codes: dict[int, int] = {}
    t0 = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        async def one(i: int, token: str, body: bytes) -> None:
            if pace:
                await asyncio.sleep(max(0.0, t0 + pace * i / len(jobs) - time.perf_counter()))
            async with sem:
                s = time.perf_counter()
                for attempt in range(5):
                    try:
                        r = await client.post("/v1/reports", content=body, headers={
                            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                        break
                    except httpx.TransportError:
                        if attempt == 4:
                            raise
                        await asyncio.sleep(0.5)
                latencies.append(time.perf_counter() - s)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        await asyncio.gather(*(one(i, t, b) for i, (t, b) in enumerate(jobs)))
    return latencies, codes, t0, time.perf_counter()


def counts(home: Path) -> tuple[int, int, int, int]:
    """(damage rows in reports_latest, shelter rows in reports_latest, versions, submissions)."""
    views = home / "kiban.duckdb"
    if not views.exists():
        return 0, 0, 0, 0
    try:
        con = duckdb.connect(str(views), read_only=True)
    except duckdb.Error:
        return 0, 0, 0, 0
    try:
        have = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        if not {"reports_latest", "report_versions", "report_submissions"} <= have:
            return 0, 0, 0, 0
        d, s = con.execute("SELECT count(*) FILTER (report_type = 'disaster_damage'), "
                           "count(*) FILTER (report_type = 'shelter_status') FROM reports_latest").fetchone()
        v = con.execute("SELECT count(*) FROM report_versions").fetchone()[0]
        n = con.execute("SELECT count(*) FROM report_submissions").fetchone()[0]
        return d, s, v, n
    finally:
        con.close()


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipalities", type=int, default=0, help="0 = all 1,741")
    ap.add_argument("--shelters", type=int, default=12)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--pace", type=float, default=0.0, help="spread sends over this many seconds (0 = flat out)")
    ap.add_argument("--home", type=Path, default=None)
    a = ap.parse_args()

    from kiban.config import paths as resolve_paths
    from kiban.intake.tokens import TokenStore

    home = a.home or Path(tempfile.mkdtemp(prefix="kiban-bench-hour-"))
    paths = resolve_paths(home).ensure()
    codes = lg_codes(a.municipalities or None)
    tokens = {rec.lg_code: tok for rec, tok in TokenStore(paths).add_many(codes)}
    rng = random.Random(21)
    t_base = datetime.now(UTC) - timedelta(minutes=40)
    waves: list[list[tuple[str, bytes]]] = [[], [], [], []]
    for lg in codes:
        for seq in (1, 2, 3):
            body = damage(lg, seq, t_base + timedelta(minutes=10 * seq), rng)
            waves[seq - 1 if seq == 1 else seq].append((tokens[lg], json.dumps(body, ensure_ascii=False).encode()))
        rows = shelters(lg, a.shelters, t_base + timedelta(minutes=15), rng)
        waves[1].append((tokens[lg], json.dumps(rows, ensure_ascii=False).encode()))
    jobs = [j for w in waves for j in w]
    expected_damage, expected_shelters = 3 * len(codes), a.shelters * len(codes)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(home, port)
    try:
        wait_ready(base)
        # warm-up: the first submission (with ?wait=true) returns once GE is imported and one batch stored
        token, body = jobs.pop(0)
        r = httpx.post(base + "/v1/reports?wait=true", content=body, timeout=300,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert r.status_code == 202, r.text
        print(f"sending {len(jobs):,} submissions ({expected_damage:,} damage reports, {expected_shelters:,} shelter "
              f"rows) from {len(codes):,} municipalities, concurrency {a.concurrency}, "
              f"{'flat out' if not a.pace else f'paced over {a.pace:.0f} s'}")
        latencies, codes_seen, t0, t1 = asyncio.run(send_all(base, jobs, a.concurrency, a.pace))
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            d, s, v, n = counts(home)
            if d >= expected_damage and s >= expected_shelters and n >= len(jobs) + 1:
                break
            time.sleep(0.1)
        t2 = time.perf_counter()
    finally:
        server.terminate()
        server.wait(timeout=30)
    d, s, v, n = counts(home)
    send = t1 - t0
    accepted = codes_seen.get(202, 0)
    print(f"HTTP status counts: {codes_seen}")
    print(f"sent in {send:.1f} s (the ten minutes compressed {600 / send:.1f}x): {accepted / send:.0f} accepted/s")
    print(f"submission latency p50 {pct(latencies, 50) * 1000:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms, "
          f"p99 {pct(latencies, 99) * 1000:.0f} ms")
    print(f"everything in reports_latest {t2 - t0:.1f} s after the first send, {t2 - t1:.1f} s after the last")
    ok = (d, s, n, v) == (expected_damage, expected_shelters, len(jobs) + 1, expected_damage + expected_shelters)
    print(f"reports_latest: damage {d:,}/{expected_damage:,}, shelters {s:,}/{expected_shelters:,}; "
          f"report_versions {v:,}; report_submissions {n:,}/{len(jobs) + 1:,} -> {'NOTHING LOST' if ok else 'MISMATCH'}")
    print(f"KIBAN_HOME: {home}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
