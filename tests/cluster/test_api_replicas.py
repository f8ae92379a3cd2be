"""The HTTP intake and snapshot API as two processes on one shared lake: submissions sent to either replica
are stored once, a submission queued by one is stored by another, and both serve the same snapshot."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cluster_parts import free_port

from kiban.config import paths as resolve
from kiban.intake.pgqueue import PgIntakeQueue
from kiban.intake.tokens import TokenStore

pytestmark = pytest.mark.cluster

KUMAMOTO_CITY, YATSUSHIRO, FUKUOKA_CITY = "431001", "432024", "401307"
KIBAN = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kiban"


def damage(lg: str, seq: int, dead: int) -> dict:
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": "2026-typhoon-21",
            "as_of": f"2026-09-14T{10 + seq:02d}:00:00+09:00", "sequence_no": seq,
            "items": {"form_part": "その2", "dead": dead, "missing": "未確認", "injured_serious": 2,
                      "zenkai_buildings": 3}}


def serve(cluster, port: int) -> subprocess.Popen:
    """``kiban serve`` on ``port``: both replicas share KIBAN_HOME (tokens; a ReadWriteMany volume) and the lake."""
    proc = subprocess.Popen([str(KIBAN), "serve", "--port", str(port)], env=cluster.process_env("home"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cluster.root)
    cluster.procs.append(proc)
    return proc


def wait_up(port: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"replica on {port} did not start")


def final(ports: list[int], token: str, submission_id: str, timeout: float = 300) -> dict:
    """The receipt of a submission once stored, asked of either replica."""
    end = time.monotonic() + timeout
    i = 0
    while time.monotonic() < end:
        port = ports[i % len(ports)]
        i += 1
        r = httpx.get(f"http://127.0.0.1:{port}/v1/reports/{submission_id}",
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if r.status_code == 200 and r.json()["status"] != "received":
            return r.json()
        time.sleep(0.5)
    raise TimeoutError(submission_id)


def test_two_replicas_share_the_queue_and_serve_the_same_snapshot(cluster, samples):
    paths = resolve(cluster.home("home")).ensure()
    assert cluster.kiban("ingest", "municipalities",
                         str(samples / "municipalities" / "000925835.xls")).returncode == 0
    tokens = {lg: TokenStore(paths).add(lg)[1] for lg in (KUMAMOTO_CITY, YATSUSHIRO, FUKUOKA_CITY)}

    # a replica that accepted a submission and died before storing it: only the shared queue has it
    orphan = PgIntakeQueue(paths, cluster.lake().backend.postgres).put_bytes(
        json.dumps(damage(FUKUOKA_CITY, 1, 5), ensure_ascii=False).encode(), "orphan.json", channel="api",
        submitted_by={"kind": "token", "lg_code": FUKUOKA_CITY, "subject": "test"})

    ports = [free_port(), free_port()]
    replicas = [serve(cluster, p) for p in ports]
    for port, proc in zip(ports, replicas, strict=True):
        wait_up(port, proc)

    sent = []
    for i, (lg, seq) in enumerate([(KUMAMOTO_CITY, 1), (YATSUSHIRO, 1), (KUMAMOTO_CITY, 2), (YATSUSHIRO, 2)]):
        port = ports[i % 2]
        r = httpx.post(f"http://127.0.0.1:{port}/v1/reports", headers={"Authorization": f"Bearer {tokens[lg]}"},
                       json=damage(lg, seq, dead=seq), timeout=60)
        assert r.status_code == 202, r.text
        sent.append((lg, r.json()["submission_id"]))
        time.sleep(1.5)  # versions of one municipality arrive in order
    receipts = [final(ports, tokens[lg], sid) for lg, sid in sent]
    assert [r["status"] for r in receipts] == ["accepted"] * 4
    assert final(ports, tokens[FUKUOKA_CITY], orphan.submission_id)["status"] == "accepted"

    ids = [sid for _, sid in sent] + [orphan.submission_id]
    assert sorted(lid for (lid,) in cluster.query("SELECT load_id FROM loads WHERE list_contains(?, load_id)",
                                                  [ids])) == sorted(ids)  # each stored once
    assert cluster.query("SELECT count(*) FROM report_versions WHERE report_type = 'disaster_damage'") == [(5,)]

    # both replicas serve the same snapshot of the same lake snapshot ("as known at" one instant, so that the
    # freshness, which moves with the clock, is computed for the same moment)
    bodies, stamps = [], []
    known_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    for port in ports:
        r = httpx.get(f"http://127.0.0.1:{port}/v1/snapshot",
                      params={"type": "disaster_damage", "pref": "43", "as_of": known_at}, timeout=120)
        assert r.status_code == 200, r.text
        doc = r.json()
        doc.pop("generated_at", None)
        bodies.append(doc)
        stamps.append(r.headers["last-modified"])
    assert bodies[0] == bodies[1]
    assert stamps[0] == stamps[1]
    assert json.dumps(bodies[0], ensure_ascii=False).count(KUMAMOTO_CITY) >= 1
    health = [httpx.get(f"http://127.0.0.1:{p}/v1/health", timeout=30).json()["snapshot_id"] for p in ports]
    assert health[0] == health[1] is not None
