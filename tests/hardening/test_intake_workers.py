"""``kiban serve --workers 2``: the process that stores is killed (SIGKILL) in the middle of a flood of
submissions; every submission answered 202 is stored exactly once, by the process that takes over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
KUMAMOTO_CITY = "431001"  # 熊本市

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _body(i: int) -> bytes:
    return json.dumps({"report_type": "disaster_damage", "lg_code": KUMAMOTO_CITY, "subject_key": "2026-typhoon-21",
                       "as_of": f"2026-09-14T{10 + i // 60:02d}:{i % 60:02d}:00+09:00", "sequence_no": 1,
                       "items": {"form_part": "その2", "dead": 0, "missing": 0, "injured_minor": i}},
                      ensure_ascii=False).encode()


def _lock_holder(lock: Path) -> int | None:
    """The pid holding the flock on ``lock`` (from /proc/locks), if any."""
    ino = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if "FLOCK" in parts and parts[-3].endswith(f":{ino}"):
            return int(parts[-4])
    return None


def _wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_the_storing_process_loses_no_accepted_submission(home):
    from kiban.intake.queue import IntakeQueue
    from kiban.intake.tokens import TokenStore
    from kiban.lake import Lake
    from kiban.load import ledger

    token = TokenStore(home).add(KUMAMOTO_CITY)[1]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KIBAN_HOME": str(home.home), "GX_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "-c", "from kiban.cli import main; main()", "--home", str(home.home),
                               "serve", "--port", str(port), "--workers", "2"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted: list[str] = []
    try:
        def ready() -> bool:
            try:
                return httpx.get(base + "/v1/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, 180, "the server")
        lock = home.home / "intake" / "writer.lock"
        writer = _wait(lambda: lock.exists() and _lock_holder(lock), 60, "a writer")

        def send(i: int) -> str | None:
            for _ in range(20):  # a connection to the killed process fails before any answer: send again
                try:
                    r = httpx.post(base + "/v1/reports", content=_body(i), headers=headers, timeout=60)
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                if r.status_code == 202:
                    return r.json()["submission_id"]
                raise AssertionError(r.text)
            return None

        with ThreadPoolExecutor(8) as pool:
            first = list(pool.map(send, range(40)))
            os.kill(writer, signal.SIGKILL)
            second = list(pool.map(send, range(40, 80)))
        accepted = [s for s in first + second if s]
        assert len(accepted) == 80
        new_writer = _wait(lambda: (p := _lock_holder(lock)) and p != writer and p, 60, "another writer")
        assert new_writer != writer
        _wait(lambda: not IntakeQueue(home).ids(), 600, "an empty queue")  # a cold writer under load
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    rows = ledger.rows(home, accepted)
    assert sorted(r["load_id"] for r in rows) == sorted(accepted)  # each once in the ledger
    # a request cut off by the kill after it was queued is sent again: that copy is stored as its duplicate
    assert {r["status"] for r in rows} <= {"loaded", "duplicate"}
    con = Lake(home).reader()
    try:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT as_of) FROM report_versions").fetchone()
    finally:
        con.close()
    assert n == distinct == 80
