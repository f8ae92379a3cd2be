"""How the served intake answers each refusal (401 / 403 / 503 with the reason, RFC 6750 WWW-Authenticate), that
every answer is audited, and that a bad OIDC configuration stops the server at start-up instead of failing open."""

from __future__ import annotations

import json

import pytest
from authkit import FUKUOKA_CITY, KUMAMOTO_CITY, YATSUSHIRO, damage, unsigned
from authmatrix import audit_records


@pytest.fixture
def client(home, oidc_env):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    with TestClient(create_app(home)) as c:
        yield c
        assert c.app.state.intake.flush(120)  # no batch left running when the process exits


def _post(client, token: str | None, body: dict, **headers):
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/v1/reports", content=json.dumps(body).encode(),
                       headers={**auth, "Content-Type": "application/json", **headers})


def test_refusals_name_their_reason_and_follow_rfc_6750(client, idp, home):
    r = _post(client, None, damage(KUMAMOTO_CITY, 1))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["rule"] == "missing_credentials"
    r = _post(client, unsigned(idp.claims(KUMAMOTO_CITY)), damage(KUMAMOTO_CITY, 2))
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert r.json()["rule"] == "algorithm_not_allowed"
    reasons = [(a["status"], a["reason"]) for a in audit_records(home)]
    assert reasons == [(401, "missing_credentials"), (401, "algorithm_not_allowed")]


def test_a_genuine_token_without_a_valid_dantai_claim_is_forbidden_and_nothing_is_kept(client, idp, home):
    from kiban.intake.queue import IntakeQueue

    for value, reason in ((None, "lg_claim_missing"), ("431002", "lg_claim_invalid"),
                          ([KUMAMOTO_CITY, FUKUOKA_CITY], "lg_claim_ambiguous")):
        r = _post(client, idp.token(value), damage(KUMAMOTO_CITY, 3))
        assert r.status_code == 403 and r.json()["rule"] == reason
    assert audit_records(home)[-1]["reason"] == "lg_claim_ambiguous"
    assert IntakeQueue(home).pending() == []  # nothing queued ...
    assert not (home.raw / "sha256").exists() or not any((home.raw / "sha256").rglob("*.json"))  # ... or archived


def test_act_as_picks_one_of_several_granted_dantai(client, idp, home):
    token = idp.token([KUMAMOTO_CITY, FUKUOKA_CITY])
    r = _post(client, token, damage(FUKUOKA_CITY, 4), **{"X-Kiban-Act-As": FUKUOKA_CITY})
    assert r.status_code == 202, r.text
    assert audit_records(home)[-1]["who"]["lg_code"] == FUKUOKA_CITY
    r = _post(client, token, damage(YATSUSHIRO, 5), **{"X-Kiban-Act-As": YATSUSHIRO})
    assert r.status_code == 403 and r.json()["rule"] == "act_as_not_granted"


def test_an_unreachable_issuer_answers_503_not_401(client, idp, home):
    idp.fail = True
    r = _post(client, idp.token(KUMAMOTO_CITY), damage(KUMAMOTO_CITY, 6))
    assert r.status_code == 503 and r.json()["rule"] == "jwks_unavailable"
    assert audit_records(home)[-1]["status"] == 503


def test_an_oversized_upload_is_refused_and_audited_with_its_caller(client, idp, home, monkeypatch):
    import kiban.serve.reports as reports

    monkeypatch.setattr(reports, "MAX_BYTES", 64)
    r = _post(client, idp.token(KUMAMOTO_CITY), damage(KUMAMOTO_CITY, 7))
    assert r.status_code == 413
    rec = audit_records(home)[-1]
    assert rec["reason"] == "too_large" and rec["who"]["kind"] == "oidc" and rec["submission_id"] is None


def test_an_unknown_receipt_read_is_audited(client, idp, home):
    r = client.get("/v1/reports/sub_0123456789abcdef0123456789abcdef",
                   headers={"Authorization": f"Bearer {idp.token(KUMAMOTO_CITY)}"})
    assert r.status_code == 404
    rec = audit_records(home)[-1]
    assert (rec["op"], rec["reason"], rec["target"]) == ("read", "not_found", "sub_0123456789abcdef0123456789abcdef")


def test_a_bad_oidc_configuration_stops_the_server_at_start(home, monkeypatch):
    from kiban.serve.app import create_app

    monkeypatch.setenv("KIBAN_OIDC_ISSUER", "https://idp.example.invalid/realms/x")
    monkeypatch.delenv("KIBAN_OIDC_AUDIENCE", raising=False)
    with pytest.raises(ValueError, match="KIBAN_OIDC_AUDIENCE"):
        create_app(home)
    monkeypatch.setenv("KIBAN_OIDC_AUDIENCE", "kiban")
    monkeypatch.setenv("KIBAN_OIDC_ALGORITHMS", "HS256")
    with pytest.raises(ValueError, match="KIBAN_OIDC_ALGORITHMS"):
        create_app(home)


def test_kiban_serve_names_the_bad_variable_and_serves_nothing(home):
    from click.testing import CliRunner

    from kiban.cli import main

    env = {"KIBAN_HOME": str(home.home), "KIBAN_OIDC_ISSUER": "http://idp.example.invalid/realms/x",
           "KIBAN_OIDC_AUDIENCE": "kiban"}
    r = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert r.exit_code == 1 and "KIBAN_OIDC_ISSUER must be an https:// URL" in r.output


def test_a_request_that_cannot_be_audited_fails_instead_of_going_unrecorded(home, oidc_env, monkeypatch):
    from starlette.testclient import TestClient

    from kiban.intake.audit import AuditLog
    from kiban.serve.app import create_app

    def broken(self, event):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(AuditLog, "append", broken)
    with TestClient(create_app(home), raise_server_exceptions=False) as client:
        r = client.get("/v1/reports/sub_0123456789abcdef0123456789abcdef",
                       headers={"Authorization": f"Bearer {oidc_env.token(KUMAMOTO_CITY)}"})
    assert r.status_code == 500


def test_a_server_error_is_audited_as_such(home, oidc_env, monkeypatch):
    from starlette.testclient import TestClient

    from kiban.intake.queue import IntakeQueue
    from kiban.serve.app import create_app

    def broken(*a, **k):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(IntakeQueue, "put_bytes", broken)
    with TestClient(create_app(home), raise_server_exceptions=False) as client:
        r = _post(client, oidc_env.token(KUMAMOTO_CITY), damage(KUMAMOTO_CITY, 8))
    assert r.status_code == 500
    rec = audit_records(home)[-1]
    assert (rec["status"], rec["reason"], rec["who"]["lg_code"]) == (500, "server_error", KUMAMOTO_CITY)
