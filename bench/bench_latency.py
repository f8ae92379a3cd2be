"""Latency from a report landing to the new numbers being served, and the snapshot API under load.

    .venv/bin/python bench/bench_latency.py [--reports 50] [--interval 3] [--rps 200] [--load-seconds 10]

1. A fresh KIBAN_HOME; ``dagster-daemon run -m pipelines.definitions`` (DAGSTER_HOME from
   ``kiban.orchestration.prepare_dagster_home``) and ``kiban serve`` on 127.0.0.1, both started here.
2. Landing: N 被害即報 files (one municipality each, a unique 死者 count) are written into ``landing/`` one every
   ``--interval`` s (write to ``.tmp``, then rename). Latency = rename -> ``GET /v1/snapshot`` shows the count.
   Path: the intake service of ``kiban serve`` watches the landing folder (archive, durable queue, the one load
   use case: parse, GE per report type, one lake transaction) -> views file -> snapshot API; the daemon runs the
   automation (``indicator_values`` follows each runless materialisation), as in production.
3. HTTP: N submissions ``POST /v1/reports`` (bearer token); latency = 202 accepted -> served.
4. Load: ``GET /v1/snapshot?type=disaster_damage&pref=NN`` (all 47 prefectures in turn) at a fixed rate
   (``--rps``) for ``--load-seconds``, then a closed loop of 8 workers for the same time: achieved requests per
   second, p50/p99 latency. Every loop is bounded in count and time; only 127.0.0.1 is contacted.

Results: ``bench/out/latency.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiban.config import paths as resolve_paths  # noqa: E402
from kiban.orchestration import prepare_dagster_home  # noqa: E402
from registries.reports.lgcode import check_digit  # noqa: E402
from registries.reports.writers import json_bytes  # noqa: E402

DISASTER = "bench-typhoon"
BIN = REPO / ".venv" / "bin"


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))], 3)


def lg_codes(n: int, prefixes: tuple[str, ...]) -> list[str]:
    """The first ``n`` municipality codes of the given prefectures (one report per municipality)."""
    from kiban.indicators.expected import bundled

    codes = [c for c in bundled()["lg_code"].to_pylist() if c.startswith(prefixes)]
    if len(codes) < n:
        raise SystemExit(f"only {len(codes)} municipalities in {prefixes}")
    return codes[:n]


def report(lg: str, dead: int) -> dict:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": DISASTER, "as_of": now,
            "sequence_no": 1, "form_part": "その2", "dead": dead, "missing": 0, "injured_serious": 0,
            "injured_minor": 0}


def served_dead(client: httpx.Client, base: str) -> dict[str, object]:
    r = client.get(f"{base}/v1/snapshot", params={"type": "disaster_damage", "subject": DISASTER})
    r.raise_for_status()
    return {m["lg_code"]: m.get("dead") for m in r.json()["municipalities"]}


class Watcher(threading.Thread):
    """Polls the snapshot API every 100 ms and records when each pending (lg, dead) first appears."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.pending: dict[str, tuple[float, float]] = {}  # lg -> (dead, t0)
        self.latency: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def expect(self, lg: str, dead: int, t0: float) -> None:
        with self.lock:
            self.pending[lg] = (dead, t0)

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    seen = served_dead(client, self.base)
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                now = time.monotonic()
                with self.lock:
                    for lg, (dead, t0) in list(self.pending.items()):
                        if seen.get(lg) == dead:
                            self.latency[lg] = now - t0
                            del self.pending[lg]
                time.sleep(0.1)


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _signal(p: subprocess.Popen, sig: int) -> None:
    """Signal the process group this script started (start_new_session) and nothing else."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, sig)


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


def phase_landing(paths, watcher: Watcher, codes: list[str], interval: float, timeout: float) -> list[float]:
    for i, lg in enumerate(codes):
        data = json_bytes([report(lg, 1000 + i)])
        tmp = paths.landing / f"bench_{i:04d}.json.tmp"
        tmp.write_bytes(data)
        watcher.expect(lg, 1000 + i, time.monotonic())
        tmp.rename(paths.landing / f"bench_{i:04d}.json")
        time.sleep(interval)
    return _collect(watcher, codes, timeout)


def phase_http(base: str, token: str, watcher: Watcher, codes: list[str], interval: float, timeout: float
               ) -> list[float]:
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        for i, lg in enumerate(codes):
            r = client.post(f"{base}/v1/reports", content=json_bytes([report(lg, 2000 + i)]),
                            headers={"Content-Type": "application/json", "X-Filename": f"http_{i}.json"})
            if r.status_code != 202:
                raise RuntimeError(f"submission {i} answered {r.status_code}: {r.text[:300]}")
            watcher.expect(lg, 2000 + i, time.monotonic())
            time.sleep(interval)
    return _collect(watcher, codes, timeout)


def _collect(watcher: Watcher, codes: list[str], timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with watcher.lock:
            if all(c in watcher.latency for c in codes):
                break
        time.sleep(0.2)
    with watcher.lock:
        return [watcher.latency[c] for c in codes if c in watcher.latency]


def _get(client: httpx.Client, url: str) -> float:
    t = time.perf_counter()
    r = client.get(url)
    r.raise_for_status()
    return time.perf_counter() - t


def phase_load(base: str, rps: float, seconds: float) -> dict:
    prefs = [f"{i:02d}" for i in range(1, 48)]
    urls = [f"{base}/v1/snapshot?type=disaster_damage&pref={p}" for p in prefs]
    with httpx.Client(timeout=10) as c:  # warm every area once
        for u in urls:
            c.get(u)
    total = int(rps * seconds)
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        nonlocal errors
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=10)
        try:
            d = _get(local.client, urls[i % len(urls)])
            with lock:
                lat.append(d)
        except httpx.HTTPError:
            with lock:
                errors += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(total):  # open loop: one request every 1/rps s
            delay = t0 + i / rps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
    elapsed = time.perf_counter() - t0
    fixed = {"target_rps": rps, "requests": total, "achieved_rps": round(len(lat) / elapsed, 1), "errors": errors,
             "p50_ms": round(1000 * pct(lat, 50), 1), "p99_ms": round(1000 * pct(lat, 99), 1)}
    closed: list[float] = []
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        with httpx.Client(timeout=10) as c:
            i = 0
            while time.perf_counter() < stop_at and i < 100_000:
                closed.append(_get(c, urls[i % len(urls)]))
                i += 1

    t1 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    maximum = {"workers": 8, "requests": len(closed), "rps": round(len(closed) / (time.perf_counter() - t1), 1),
               "p50_ms": round(1000 * pct(closed, 50), 1), "p99_ms": round(1000 * pct(closed, 99), 1)}
    return {"fixed_rate": fixed, "closed_loop": maximum}


def summary(lat: list[float], n: int) -> dict:
    return {"reports": n, "served": len(lat), "p50_s": pct(lat, 50), "p95_s": pct(lat, 95),
            "max_s": round(max(lat), 3) if lat else None,
            "mean_s": round(statistics.mean(lat), 3) if lat else None}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--interval", type=float, default=3.0, help="seconds between landings/submissions")
    ap.add_argument("--rps", type=float, default=200)
    ap.add_argument("--load-seconds", type=float, default=10)
    ap.add_argument("--port", type=int, default=18765)
    ap.add_argument("--skip", choices=["landing", "http"], action="append", default=[])
    a = ap.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="kiban-bench-latency-"))
    paths = resolve_paths(home / "home").ensure()
    dagster_home = prepare_dagster_home(paths)
    env = {**os.environ, "KIBAN_HOME": str(paths.home), "DAGSTER_HOME": str(dagster_home),
           "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "False",
           # one client measuring the server, not the per-client rate limit (kiban.serve.ratelimit)
           "KIBAN_API_RATE": "1000000", "KIBAN_API_BURST": "1000000"}
    base = f"http://127.0.0.1:{a.port}"
    procs = [
        start([str(BIN / "kiban"), "daemon"], env, home / "daemon.log"),
        start([str(BIN / "kiban"), "--home", str(paths.home), "serve", "--port", str(a.port)], env,
              home / "serve.log"),
    ]
    result: dict = {"started_at": datetime.now(UTC).isoformat(), "home": str(home), "args": vars(a)}
    try:
        wait_http(f"{base}/v1/health", 180)
        from kiban.intake.tokens import TokenStore

        pref_code = "13000" + str(check_digit("13000"))  # 東京都, proxy for its municipalities (代理入力)
        _, token = TokenStore(paths).add(pref_code, "bench")
        land_codes = lg_codes(a.reports, ("11", "12", "14"))  # 埼玉, 千葉, 神奈川 (landing: no token)
        http_codes = lg_codes(a.reports, ("13",))  # 東京都 (token of the prefecture, 代理入力)
        watcher = Watcher(base)
        watcher.start()
        time.sleep(20)  # let the daemon load the code location and the sensors tick once
        if "landing" not in a.skip:
            lat = phase_landing(paths, watcher, land_codes, a.interval, 120)
            result["landing"] = summary(lat, a.reports)
            print("landing -> served:", result["landing"], flush=True)
        if "http" not in a.skip:
            lat = phase_http(base, token, watcher, http_codes, a.interval, 120)
            result["http"] = summary(lat, a.reports)
            print("HTTP accepted -> served:", result["http"], flush=True)
        watcher.stop.set()
        result["load"] = phase_load(base, a.rps, a.load_seconds)
        print("load:", result["load"], flush=True)
    finally:
        for p in procs:
            _signal(p, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal(p, signal.SIGKILL)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latency.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
