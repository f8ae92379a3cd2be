"""The disaster hour over HTTP: every municipality sends 第1〜3報 of its damage report and a shelters report.

``python bench/bench_disaster_hour.py [--disasters D] [--workers W] [--municipalities N] [--concurrency C]
[--shelters K] [--pace SECONDS]``

1,741 municipalities x (3 damage versions + 1 shelter report of K shelters) = 6,964 submissions and
1,741 x K shelter rows (K = 12: 20,892 rows) per disaster. ``--disasters 10`` sends ten full rounds with ten
distinct disaster ids (69,640 submissions; the first is the warm-up), one disaster after the other, and checks
every disaster's counts on its own. ``--workers W`` starts ``kiban serve --workers W`` (W intake processes on
one port; with W > 1 one more process stores, at a lower CPU priority). The "ten minutes" are compressed: everything is sent as fast as
the server accepts (``--pace 600`` spreads the sends over ten real minutes instead). The server is
``kiban serve`` (uvicorn) in a subprocess on 127.0.0.1 with a fresh KIBAN_HOME; the client is httpx with
C concurrent requests. Printed: accepted per second, p50/p95/p99 submission latency, the time until every
report is in ``reports_latest`` (after the first and after the last send), the load average before and after,
and an exact count check (nothing lost, nothing stored twice): per disaster the rows of ``reports_latest``, in
all the rows of ``report_versions`` (each ``report_id`` once) and of ``report_submissions``.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))



def disaster_ids(n: int) -> list[str]:
    """``2026-typhoon-21``, ``2026-typhoon-22``, ...: one id per disaster round."""
    return [f"2026-typhoon-{21 + i}" for i in range(n)]


def lg_codes(limit: int | None) -> list[str]:
    from registries.municipalities.resolve import BUNDLED_MASTER
    from registries.reports.scenario import load_lg_codes

    codes = sorted(load_lg_codes(BUNDLED_MASTER))
    return codes[:limit] if limit else codes


def damage(lg: str, seq: int, as_of: datetime, rng: random.Random, disaster: str) -> dict:
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": disaster, "as_of": as_of.isoformat(),
            "sequence_no": seq, "items": {"form_part": "その2", "dead": rng.randint(0, 2) * seq,
                                          "missing": "未確認" if seq == 1 else rng.randint(0, 3),
                                          "injured_minor": rng.randint(0, 20) * seq,
                                          "zenkai_buildings": rng.randint(0, 5) * seq,
                                          "power_outage_households": rng.randint(0, 3000)}}


def shelters(lg: str, k: int, as_of: datetime, rng: random.Random, disaster: str) -> list[dict]:
    out = []
    for i in range(1, k + 1):
        cap = rng.choice((80, 150, 300))
        ev = rng.randint(0, cap)
        out.append({"report_type": "shelter_status", "lg_code": lg, "as_of": as_of.isoformat(), "sequence_no": 1,
                    "items": {"disaster_id": disaster, "shelter_id": f"{lg}-{i:03d}", "shelter_kind": "指定避難所",
                              "open_status": "開設", "capacity": cap, "evacuees": ev, "evacuees_voluntary": ev // 3,
                              "crowding": "定員一杯" if ev >= cap else "空き"}})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, workers: int = 1) -> subprocess.Popen:
    env = {**os.environ, "KIBAN_HOME": str(home), "GX_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-c", "from kiban.cli import main; main()", "--home", str(home), "serve",
           "--port", str(port)] + (["--workers", str(workers)] if workers > 1 else [])
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
    """POST every job with ``concurrency`` requests in flight (aiohttp: about a seventh of httpx's CPU per
    request, which matters when the clients share the 2 cores with the server)."""
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    codes: dict[int, int] = {}
    t0 = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as client:
        async def one(i: int, token: str, body: bytes) -> None:
            if pace:
                await asyncio.sleep(max(0.0, t0 + pace * i / len(jobs) - time.perf_counter()))
            async with sem:
                s = time.perf_counter()
                for attempt in range(5):
                    try:
                        async with client.post("/v1/reports", data=body, headers={
                                "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) as r:
                            await r.read()
                            status = r.status
                        break
                    except aiohttp.ClientConnectionError:
                        if attempt == 4:
                            raise
                        await asyncio.sleep(0.5)
                latencies.append(time.perf_counter() - s)
                codes[status] = codes.get(status, 0) + 1

        await asyncio.gather(*(one(i, t, b) for i, (t, b) in enumerate(jobs)))
    return latencies, codes, t0, time.perf_counter()


@dataclass
class Counts:
    """What the lake holds after the run (read from the views file)."""

    damage: dict[str, int] = field(default_factory=dict)  # disaster id -> damage rows in reports_latest
    shelters: dict[str, int] = field(default_factory=dict)  # disaster id -> shelter rows in reports_latest
    versions: int = 0  # rows of report_versions
    distinct_versions: int = 0  # distinct report_id in report_versions
    submissions: int = 0  # rows of report_submissions
    distinct_submissions: int = 0  # distinct submission_id in report_submissions

    def total(self, what: str) -> int:
        return sum(getattr(self, what).values())


def counts(home: Path) -> Counts:
    """The rows per disaster in ``reports_latest`` and the totals of ``report_versions`` / ``report_submissions``."""
    from kiban.config import paths as resolve_paths
    from kiban.lake import Lake

    out = Counts()
    try:
        con = Lake(resolve_paths(home)).reader(spatial=False)  # the published state, as `kiban sql` reads it
    except Exception:  # noqa: BLE001 - nothing stored yet
        return out
    try:
        have = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        if not {"reports_latest", "report_versions", "report_submissions"} <= have:
            return out
        for rtype, disaster, n in con.execute(
                "SELECT report_type, split_part(subject_key, '/', 1), count(*) FROM reports_latest "
                "WHERE report_type IN ('disaster_damage', 'shelter_status') GROUP BY ALL").fetchall():
            (out.damage if rtype == "disaster_damage" else out.shelters)[disaster] = n
        out.versions, out.distinct_versions = con.execute(
            "SELECT count(*), count(DISTINCT report_id) FROM report_versions").fetchone()
        out.submissions, out.distinct_submissions = con.execute(
            "SELECT count(*), count(DISTINCT submission_id) FROM report_submissions").fetchone()
        return out
    except duckdb.Error:  # the views file is being replaced: read again on the next look
        return Counts()
    finally:
        con.close()


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def verify(c: Counts, disasters: list[str], expected_damage: int, expected_shelters: int, total: int) -> bool:
    """Print the exact count check (per disaster, versions, submissions); True when nothing is lost or twice."""
    wrong = [d for d in disasters if (c.damage.get(d, 0), c.shelters.get(d, 0)) != (expected_damage, expected_shelters)]
    wrong += sorted((set(c.damage) | set(c.shelters)) - set(disasters))
    want_versions = (expected_damage + expected_shelters) * len(disasters)
    ok = not wrong and c.versions == c.distinct_versions == want_versions and c.submissions == c.distinct_submissions == total
    print(f"reports_latest: damage {c.total('damage'):,}/{expected_damage * len(disasters):,}, shelters "
          f"{c.total('shelters'):,}/{expected_shelters * len(disasters):,} ({len(disasters) - len(wrong)} of "
          f"{len(disasters)} disasters exact); report_versions {c.versions:,} ({c.distinct_versions:,} distinct)"
          f"/{want_versions:,}; report_submissions {c.submissions:,} ({c.distinct_submissions:,} distinct)/{total:,}"
          f" -> {'NOTHING LOST, NOTHING TWICE' if ok else 'MISMATCH'}")
    if wrong:
        print(f"disasters with wrong counts: {wrong[:10]}")
    return ok


def drain(home: Path, disasters: list[str], expected_damage: int, expected_shelters: int, total: int) -> bool:
    """Start the intake on ``home`` (recovering its durable queue, as after a restart), store everything, check."""
    from kiban.config import paths as resolve_paths
    from kiban.intake.queue import IntakeQueue
    from kiban.intake.service import IntakeService

    paths = resolve_paths(home)
    waiting = len(IntakeQueue(paths).ids())
    t0 = time.perf_counter()
    from kiban.intake.writer import MAX_BATCH

    service = IntakeService(paths, max_batch=MAX_BATCH).start()  # batches as large as serve --workers' writer
    try:
        while IntakeQueue(paths).ids():
            time.sleep(0.5)
        service.flush(600)
    finally:
        service.stop()
    print(f"{waiting:,} queued submissions stored in {time.perf_counter() - t0:.1f} s "
          f"({waiting / (time.perf_counter() - t0):.0f}/s) by one intake process, load average {load_average()}")
    return verify(counts(home), disasters, expected_damage, expected_shelters, total)


def accept_summary(latencies: list[float], codes_seen: dict[int, int], send: float, disasters: int,
                   load: str) -> None:
    """Print the acceptance figures as soon as the sends end (whatever happens to the store side after)."""
    accepted = codes_seen.get(202, 0)
    print(f"HTTP status counts: {codes_seen}")
    print(f"sent in {send:.1f} s (the ten minutes compressed {600 * disasters / send:.1f}x): "
          f"{accepted / send:.0f} accepted/s")
    print(f"submission latency p50 {pct(latencies, 50) * 1000:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms, "
          f"p99 {pct(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; load average {load}",
          flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--disasters", type=int, default=1, help="full rounds, each with its own disaster id")
    ap.add_argument("--workers", type=int, default=1, help="kiban serve --workers (intake processes)")
    ap.add_argument("--municipalities", type=int, default=0, help="0 = all 1,741")
    ap.add_argument("--shelters", type=int, default=12)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--pace", type=float, default=0.0, help="spread sends over this many seconds (0 = flat out)")
    ap.add_argument("--deadline", type=float, default=1800, help="seconds to wait for reports_latest after the sends")
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--drain", type=Path, default=None, metavar="HOME",
                    help="store what a previous run left queued in HOME, then check its counts (same --disasters)")
    a = ap.parse_args()
    if a.drain:
        n = len(lg_codes(a.municipalities or None))
        ok = drain(a.drain, disaster_ids(a.disasters), 3 * n, a.shelters * n, 4 * n * a.disasters)
        sys.exit(0 if ok else 1)

    from kiban.config import paths as resolve_paths
    from kiban.intake.queue import IntakeQueue
    from kiban.intake.tokens import TokenStore

    home = a.home or Path(tempfile.mkdtemp(prefix="kiban-bench-hour-"))
    paths = resolve_paths(home).ensure()
    codes = lg_codes(a.municipalities or None)
    tokens = {rec.lg_code: tok for rec, tok in TokenStore(paths).add_many(codes)}
    rng = random.Random(21)
    t_base = datetime.now(UTC) - timedelta(minutes=40)
    disasters = disaster_ids(a.disasters)
    jobs: list[tuple[str, bytes]] = []
    for disaster in disasters:  # one disaster after the other, each in the waves 第1報, shelters + 第2報, 第3報
        waves: list[list[tuple[str, bytes]]] = [[], [], [], []]
        for lg in codes:
            for seq in (1, 2, 3):
                body = damage(lg, seq, t_base + timedelta(minutes=10 * seq), rng, disaster)
                waves[seq - 1 if seq == 1 else seq].append((tokens[lg], json.dumps(body, ensure_ascii=False).encode()))
            rows = shelters(lg, a.shelters, t_base + timedelta(minutes=15), rng, disaster)
            waves[1].append((tokens[lg], json.dumps(rows, ensure_ascii=False).encode()))
        jobs.extend(j for w in waves for j in w)
    total = len(jobs)
    expected_damage, expected_shelters = 3 * len(codes), a.shelters * len(codes)  # per disaster

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = load_average()
    server = start_server(home, port, a.workers)
    try:
        wait_ready(base)
        # warm-up: the first submission (with ?wait=true) returns once GE is imported and one batch stored
        token, body = jobs.pop(0)
        r = httpx.post(base + "/v1/reports?wait=true", content=body, timeout=300,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert r.status_code == 202, r.text
        print(f"load average before: {load_before}; at the first send: {load_average()}")
        print(f"sending {len(jobs):,} submissions ({len(disasters)} disaster(s) x ({expected_damage:,} damage "
              f"reports, {expected_shelters:,} shelter rows)) from {len(codes):,} municipalities, concurrency "
              f"{a.concurrency}, {a.workers} intake process(es), "
              f"{'flat out' if not a.pace else f'paced over {a.pace:.0f} s'}")
        latencies, codes_seen, t0, t1 = asyncio.run(send_all(base, jobs, a.concurrency, a.pace))
        load_sent = load_average()
        accept_summary(latencies, codes_seen, t1 - t0, len(disasters), load_sent)
        deadline = time.perf_counter() + a.deadline
        stored = False
        while time.perf_counter() < deadline:
            c = counts(home)
            if (c.total("damage") >= expected_damage * len(disasters)
                    and c.total("shelters") >= expected_shelters * len(disasters) and c.submissions >= total):
                stored = True
                break
            time.sleep(0.5)
        t2 = time.perf_counter()
        waiting = len(IntakeQueue(paths).ids())
    finally:
        server.terminate()
        try:
            server.wait(timeout=180)
        except subprocess.TimeoutExpired:
            server.kill()  # what it accepted is on disk: --drain stores it
            server.wait()
    c = counts(home)
    accepted = codes_seen.get(202, 0)
    if stored:
        print(f"everything in reports_latest {t2 - t0:.1f} s after the first send, {t2 - t1:.1f} s after the last")
    else:
        print(f"NOT everything in reports_latest {a.deadline:.0f} s after the last send: {waiting:,} submissions "
              f"still in the durable queue (stored by the next start: `.venv/bin/python bench/bench_disaster_hour.py "
              f"--drain {home}` stores them and checks the counts)")
    print(f"load average after the sends: {load_sent}; at the end: {load_average()}")
    ok = verify(c, disasters, expected_damage, expected_shelters, total) and accepted == total - 1
    print(f"KIBAN_HOME: {home}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
