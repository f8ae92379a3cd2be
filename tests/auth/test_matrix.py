"""The authorisation matrix through the real Starlette app: (none, bad, revoked, municipality token, prefecture
token, OIDC municipality, OIDC prefecture, expired OIDC) x (own 団体, another in the same prefecture, another
prefecture) x (POST /v1/reports, GET /v1/reports/{id}), then all of it again after a restart of the app on the
same KIBAN_HOME -- and again on a real ``kiban serve`` killed with SIGKILL while accepted submissions were in flight.
Each cell asserts the status, that nothing unauthorised is archived or stored, and its audit record; the audit
chain verifies at the end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from authmatrix import KINDS, OPS, TARGETS, World, audit_records, run_matrix

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


@contextmanager
def served(home):
    """The app as ``kiban serve`` builds it (routes, batcher), through Starlette's TestClient."""
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    with TestClient(create_app(home)) as client:
        yield client


def _settle(client):
    def settle() -> None:
        assert client.app.state.intake.flush(120), "the intake writer did not finish"

    return settle


def test_every_caller_kind_gets_exactly_its_rights_before_and_after_a_restart(home, oidc_env):
    from kiban.intake.audit import audit_dir, verify

    world = World.create(home, oidc_env)
    cells = []
    for round_no, _life in enumerate(("first start", "after a restart"), start=1):
        with served(home) as client:
            if round_no == 1:
                world.seed(client, _settle(client))
            cells += run_matrix(client, world, round_no, _settle(client))

    per_round = len(KINDS) * len(TARGETS) * len(OPS)
    assert per_round == 48 and len(cells) == 2 * per_round
    assert all(c.status == c.expected for c in cells)
    assert {c.status for c in cells} == {200, 202, 401, 403}
    v = verify(audit_dir(home))
    assert v.ok, v.problems
    assert v.records == len(cells) + len(world.seeds) == len(audit_records(home))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "auth-matrix.json").write_text(json.dumps(
        {"cells": len(cells), "per_round": per_round, "rounds": 2, "audit_records": v.records,
         "results": [c.to_dict() for c in cells]}, indent=1), encoding="utf-8")
    print(f"authorisation matrix: {len(cells)} cells ({per_round} per round x 2), all as expected; "
          f"{v.records} audit records, chain ok")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kiban_serve(home, log: Path):
    """``kiban serve`` as an operator starts it (a process of its own, the OIDC settings from the environment);
    yields (process, client) once /v1/health answers."""
    port = _free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(BIN / "kiban"), "--home", str(home.home), "serve", "--port", str(port)],
                                env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                try:
                    if client.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "kiban serve did not answer in 120 s"
                time.sleep(0.2)
            yield proc, client
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)


def _settle_queue(home, proc):
    """Until the served intake has stored (or quarantined) everything it queued."""
    from kiban.intake.queue import IntakeQueue

    def settle() -> None:
        deadline = time.monotonic() + 180
        while IntakeQueue(home).pending():
            assert proc.poll() is None, "the server died"
            assert time.monotonic() < deadline, "the intake did not drain its queue in 180 s"
            time.sleep(0.2)

    return settle


def test_the_matrix_holds_after_the_server_is_killed_with_accepted_submissions_in_flight(home, oidc_env, tmp_path):
    from authmatrix import KUMAMOTO_CITY, YATSUSHIRO, _body

    from kiban.intake.audit import audit_dir, verify
    from kiban.intake.queue import IntakeQueue

    world = World.create(home, oidc_env)
    log = tmp_path / "serve.log"
    cells, in_flight = [], []
    with kiban_serve(home, log) as (proc, client):
        world.seed(client, _settle_queue(home, proc))
        cells += run_matrix(client, world, 1, _settle_queue(home, proc))
        # answered 202 (durably queued), then SIGKILL before the writer could be waited for
        token = {"Authorization": f"Bearer {world.tokens['prefecture_token']}", "Content-Type": "application/json"}
        for i, lg in enumerate((KUMAMOTO_CITY, YATSUSHIRO, KUMAMOTO_CITY)):
            r = client.post("/v1/reports", content=_body(lg, 50_000 + i), headers=token)
            assert r.status_code == 202, r.text
            in_flight.append(r.json())
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    queued_at_kill = len(IntakeQueue(home).pending())
    world.allowed |= {rid for answer in in_flight for rid in answer["report_ids"]}

    with kiban_serve(home, log) as (proc, client):
        settle = _settle_queue(home, proc)
        settle()  # recovered at start-up, before any new submission arrives
        cells += run_matrix(client, world, 2, settle)  # checks every 202 so far is stored, nothing else is
        for answer in in_flight:
            assert client.get(f"/v1/reports/{answer['submission_id']}",
                              headers=world.headers("prefecture_token")).json()["status"] == "accepted"
    assert "Traceback" not in log.read_text(errors="replace")
    assert all(c.status == c.expected for c in cells) and len(cells) == 96
    v = verify(audit_dir(home))
    assert v.ok, v.problems
    assert v.records == len(cells) + len(world.seeds) + 2 * len(in_flight)  # + the in-flight POSTs and their reads
    print(f"authorisation matrix across a SIGKILL: {len(cells)} cells, {len(in_flight)} submissions in flight "
          f"({queued_at_kill} still queued at the kill), all stored after the restart; audit chain ok")
