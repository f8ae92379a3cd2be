"""The authorisation matrix through the real Starlette app: (none, bad, revoked, municipality token, prefecture
token, OIDC municipality, OIDC prefecture, expired OIDC) x (own 団体, another in the same prefecture, another
prefecture) x (POST /v1/reports, GET /v1/reports/{id}), then all of it again after a restart of the app on the
same KIBAN_HOME. Each cell asserts the status, that nothing unauthorised is archived or stored, and its audit
record; the audit chain verifies at the end."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from authmatrix import KINDS, OPS, TARGETS, World, audit_records, run_matrix

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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
