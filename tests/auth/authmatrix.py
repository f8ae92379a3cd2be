"""The authorisation matrix of the intake (loaded by conftest.py as ``authmatrix``).

Every (caller kind x target) for ``POST /v1/reports`` and ``GET /v1/reports/{id}`` through a real HTTP client
(Starlette's TestClient or an ``httpx.Client`` on a served uvicorn): the status code, that nothing unauthorised
is archived or stored, and that each attempt is one record of the audit log.

:func:`run_matrix` takes any client and a ``settle`` callable (wait until queued submissions are stored), so a
pass can run again after a restart or a crash of the server on the same ``KIBAN_HOME``: call it once per server
life with a new ``round_no`` (the bodies differ per round, so no cell is a duplicate of an earlier one).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from authkit import FUKUOKA_CITY, KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO, Provider, damage

KINDS = ("none", "bad_token", "revoked_token", "municipality_token", "prefecture_token",
         "oidc_municipality", "oidc_prefecture", "oidc_expired")
TARGETS = ("own", "same_prefecture", "other_prefecture")
OPS = ("POST", "GET")

#: Caller kinds that must be refused before anything is read, with the reason the audit log must name.
REFUSED = {"none": "missing_credentials", "bad_token": "unknown_token", "revoked_token": "revoked_token",
           "oidc_expired": "token_expired"}
PREFECTURE_KINDS = ("prefecture_token", "oidc_prefecture")


def own_lg(kind: str) -> str:
    return KUMAMOTO_PREF if kind in PREFECTURE_KINDS else KUMAMOTO_CITY


def target_lg(kind: str, target: str) -> str:
    return {"own": own_lg(kind), "same_prefecture": YATSUSHIRO, "other_prefecture": FUKUOKA_CITY}[target]


def expected_status(op: str, kind: str, target: str) -> int:
    if kind in REFUSED:
        return 401
    allowed = target == "own" or (kind in PREFECTURE_KINDS and target == "same_prefecture")
    return (202 if op == "POST" else 200) if allowed else 403


@dataclass
class World:
    """Credentials for every caller kind and one seeded receipt per 団体, on one KIBAN_HOME."""

    home: Any
    idp: Provider
    tokens: dict[str, str] = field(default_factory=dict)  # kind -> static token
    seeders: dict[str, str] = field(default_factory=dict)  # lg -> static token used to seed receipts
    seeds: dict[str, str] = field(default_factory=dict)  # lg -> submission id of its seeded receipt
    seed_reports: set[str] = field(default_factory=set)
    allowed: set[str] = field(default_factory=set)  # report ids of every allowed POST so far (all rounds)

    @classmethod
    def create(cls, home: Any, idp: Provider) -> World:
        from kiban.intake.tokens import TokenStore

        store = TokenStore(home)
        w = cls(home, idp)
        w.tokens["municipality_token"] = store.add(KUMAMOTO_CITY, label="matrix")[1]
        w.tokens["prefecture_token"] = store.add(KUMAMOTO_PREF, label="matrix")[1]
        rec, w.tokens["revoked_token"] = store.add(KUMAMOTO_CITY, label="matrix revoked")
        store.revoke(rec.token_id)
        w.tokens["bad_token"] = f"kbn_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
        for lg in (KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO, FUKUOKA_CITY):
            w.seeders[lg] = store.add(lg, label="seed")[1]
        return w

    def headers(self, kind: str) -> dict[str, str]:
        if kind == "none":
            return {}
        if kind in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[kind]}"}
        idp = self.idp
        if kind == "oidc_municipality":
            token = idp.token(KUMAMOTO_CITY, sub="kumamoto-city-staff")
        elif kind == "oidc_prefecture":
            token = idp.mint(idp.claims(KUMAMOTO_PREF, sub="kumamoto-pref-staff"), key=idp.keys[-1])  # ES256
        elif kind == "oidc_expired":
            now = int(time.time())
            token = idp.mint(idp.claims(KUMAMOTO_CITY, sub="kumamoto-city-staff", iat=now - 7200, nbf=now - 7200,
                                        exp=now - 3600))
        else:
            raise ValueError(kind)
        return {"Authorization": f"Bearer {token}"}

    def seed(self, client: Any, settle: Callable[[], None]) -> None:
        """One accepted receipt per 団体, submitted by the 団体 itself (what the GET cells read)."""
        for i, (lg, token) in enumerate(self.seeders.items()):
            r = client.post("/v1/reports", content=_body(lg, 900_000 + i),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert r.status_code == 202, r.text
            self.seeds[lg] = r.json()["submission_id"]
            self.seed_reports.update(r.json()["report_ids"])
        settle()


@dataclass
class Cell:
    round_no: int
    op: str
    kind: str
    target: str
    expected: int
    status: int
    submission_id: str | None = None
    report_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("round_no", "op", "kind", "target", "expected", "status")}


def _body(lg: str, seq: int) -> bytes:
    return json.dumps(damage(lg, seq), ensure_ascii=False).encode()


def audit_records(home: Any) -> list[dict]:
    from kiban.intake.audit import audit_dir

    return [json.loads(line) for p in sorted(audit_dir(home).glob("*.jsonl"))
            for line in p.read_bytes().splitlines()]


def _check_audit(record: dict, op: str, kind: str, status: int) -> None:
    where = (op, kind, record)
    assert record["op"] == ("submit" if op == "POST" else "read") and record["status"] == status, where
    if kind in REFUSED:
        assert record["who"]["kind"] == "anonymous" and record["reason"] == REFUSED[kind], where
        assert record["who"]["credential"] == ("none" if kind == "none" else "jwt" if kind.startswith("oidc")
                                               else "kbn"), where
    else:
        who = record["who"]
        assert who["kind"] == ("oidc" if kind.startswith("oidc") else "token"), where
        assert who["lg_code"] == own_lg(kind) and who["subject"], where
        if who["kind"] == "oidc":
            assert who["issuer"] and who["token_id"], where  # the jti, never the token
        assert record["outcome"] == ("ok" if status < 400 else "refused"), where


def run_matrix(client: Any, world: World, round_no: int, settle: Callable[[], None]) -> list[Cell]:
    """Every cell once: POSTs, then (after ``settle``) the lake holds exactly what was allowed, then GETs."""
    from kiban.archive import RawArchive
    from kiban.intake.queue import IntakeQueue

    cells: list[Cell] = []
    for i, (kind, target) in enumerate((k, t) for k in KINDS for t in TARGETS):
        body = _body(target_lg(kind, target), round_no * 1000 + i)
        sha = hashlib.sha256(body).hexdigest()
        before = len(audit_records(world.home))
        queued_before = {q.submission_id for q in IntakeQueue(world.home).pending()}
        r = client.post("/v1/reports", content=body,
                        headers={**world.headers(kind), "Content-Type": "application/json"})
        cell = Cell(round_no, "POST", kind, target, expected_status("POST", kind, target), r.status_code)
        cells.append(cell)
        assert r.status_code == cell.expected, (cell, r.text)
        new = audit_records(world.home)[before:]
        assert len(new) == 1, (cell, new)
        _check_audit(new[0], "POST", kind, r.status_code)
        if r.status_code == 401:  # refused before anything was read: nothing archived, nothing queued
            assert not RawArchive(world.home.raw).path_for(sha).exists()
            assert not any(q.sha256 == sha for q in IntakeQueue(world.home).pending()
                           if q.submission_id not in queued_before)
            assert new[0]["submission_id"] is None and "submission_id" not in r.json()
        else:
            sid = r.json()["submission_id"]
            assert new[0]["submission_id"] == sid and new[0]["sha256"] == sha, new[0]
            assert new[0]["lg_codes"] == [target_lg(kind, target)], new[0]
            cell.submission_id, cell.report_ids = sid, r.json()["report_ids"]
    settle()
    _check_stored(world, cells)
    for kind, target in ((k, t) for k in KINDS for t in TARGETS):
        sid = world.seeds[target_lg(kind, target)]
        before = len(audit_records(world.home))
        r = client.get(f"/v1/reports/{sid}", headers=world.headers(kind))
        cell = Cell(round_no, "GET", kind, target, expected_status("GET", kind, target), r.status_code, sid)
        cells.append(cell)
        assert r.status_code == cell.expected, (cell, r.text)
        assert ("report_ids" in r.json()) == (r.status_code == 200), (cell, r.text)  # nothing leaks on refusal
        new = audit_records(world.home)[before:]
        assert len(new) == 1 and new[0]["target"] == sid, (cell, new)
        _check_audit(new[0], "GET", kind, r.status_code)
        if r.status_code == 200:
            assert r.json()["submission_id"] == sid and new[0]["submission_id"] == sid
    return cells


def _check_stored(world: World, cells: list[Cell]) -> None:
    """The lake's valid versions are the seeds and every allowed POST of all rounds so far, by the right reporter;
    nothing else;
    refused submissions are kept as quarantined receipts."""
    from kiban.intake.queue import IntakeQueue
    from kiban.intake.receipts import find
    from kiban.lake import Lake

    queue = IntakeQueue(world.home)
    con = Lake(world.home).reader()
    try:
        stored = {rid: (lg, reporter) for rid, lg, reporter in
                  con.execute("SELECT report_id, lg_code, reporter_lg_code FROM report_versions").fetchall()}
    finally:
        con.close()
    for c in cells:
        if c.status == 202:
            assert find(world.home, queue, c.submission_id).status == "accepted", c
            assert all(stored.get(rid) == (target_lg(c.kind, c.target), own_lg(c.kind)) for rid in c.report_ids), c
        elif c.status == 403:
            assert find(world.home, queue, c.submission_id).status == "quarantined", c  # kept, never stored
            assert not set(c.report_ids) & set(stored), c
    world.allowed |= {rid for c in cells if c.status == 202 for rid in c.report_ids}
    expected = world.seed_reports | world.allowed
    assert set(stored) == expected, sorted(set(stored) ^ expected)
