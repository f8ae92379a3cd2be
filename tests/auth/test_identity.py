"""The Authenticator: static tokens (offline deployments) and OIDC side by side; Identity survives a round trip
through JSON (stored with a receipt) and refuses to be rebuilt from anything that is not an identity."""

from __future__ import annotations

import json

import pytest
from authkit import FUKUOKA_CITY, KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO

from kiban.intake.identity import Authenticator, Identity, Refusal, bearer_value, credential_kind
from kiban.intake.tokens import TokenStore


@pytest.fixture
def store(home):
    return TokenStore(home)


def test_a_static_token_authenticates_as_its_dantai(store):
    rec, token = store.add(KUMAMOTO_PREF, label="熊本県 危機管理課")
    got = Authenticator(store).authenticate(f"Bearer {token}")
    assert got == Identity(kind="token", lg_code=KUMAMOTO_PREF, subject=rec.token_id, token_id=rec.token_id)
    assert got.may_submit(YATSUSHIRO) and got.may_submit(KUMAMOTO_PREF) and not got.may_submit(FUKUOKA_CITY)


def test_unknown_revoked_and_malformed_credentials_get_distinct_reasons(store):
    rec, token = store.add(KUMAMOTO_CITY)
    auth = Authenticator(store)
    cases = {
        None: "missing_credentials",
        "": "missing_credentials",
        "Basic dXNlcjpwYXNz": "malformed_authorization",
        "Bearer": "malformed_authorization",
        "Bearer a b": "malformed_authorization",
        "Bearer " + "x" * 20000: "malformed_authorization",
        "Bearer kbn_00000000_notarealtoken": "unknown_token",
        "Bearer hunter2": "unknown_token",
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln": "oidc_not_configured",
    }
    for header, reason in cases.items():
        got = auth.authenticate(header)
        assert isinstance(got, Refusal) and got.reason == reason, (header, got)
    store.revoke(rec.token_id)
    got = auth.authenticate(f"Bearer {token}")
    assert isinstance(got, Refusal) and got.reason == "revoked_token"
    assert token not in got.detail


def test_the_scheme_is_case_insensitive(store):
    _, token = store.add(KUMAMOTO_CITY)
    assert isinstance(Authenticator(store).authenticate(f"bearer {token}"), Identity)
    assert bearer_value(f"  BEARER   {token} ") == token


def test_a_static_token_may_only_act_as_itself(store):
    _, token = store.add(KUMAMOTO_CITY)
    auth = Authenticator(store)
    assert isinstance(auth.authenticate(f"Bearer {token}", act_as=KUMAMOTO_CITY), Identity)
    got = auth.authenticate(f"Bearer {token}", act_as=FUKUOKA_CITY)
    assert isinstance(got, Refusal) and got.reason == "act_as_not_granted"


def test_static_tokens_and_oidc_work_side_by_side(store, idp, make_verifier):
    _, token = store.add(FUKUOKA_CITY)
    auth = Authenticator(store, make_verifier())
    assert auth.authenticate(f"Bearer {token}").kind == "token"
    got = auth.authenticate(f"Bearer {idp.token(KUMAMOTO_CITY)}")
    assert got.kind == "oidc" and got.lg_code == KUMAMOTO_CITY and got.issuer == idp.issuer


def test_an_identity_round_trips_through_json():
    for ident in (Identity("token", KUMAMOTO_CITY, "ab12cd34", token_id="ab12cd34"),
                  Identity("oidc", KUMAMOTO_PREF, "user-9", issuer="https://idp.example.invalid/r", token_id=None)):
        assert Identity.from_dict(json.loads(json.dumps(ident.to_dict()))) == ident


@pytest.mark.parametrize("data", [
    {"kind": "admin", "lg_code": KUMAMOTO_CITY, "subject": "x"},
    {"kind": "token", "lg_code": "431002", "subject": "x"},
    {"kind": "token", "lg_code": 431001, "subject": "x"},
    {"kind": "token", "lg_code": KUMAMOTO_CITY, "subject": ""},
    {"kind": "token", "lg_code": KUMAMOTO_CITY},
    {"kind": "oidc", "lg_code": KUMAMOTO_CITY, "subject": "x", "issuer": 5},
    {"kind": "oidc", "lg_code": KUMAMOTO_CITY, "subject": "x", "admin": True},
    ["token", KUMAMOTO_CITY],
])
def test_a_stored_identity_that_is_not_valid_is_refused(data):
    with pytest.raises(ValueError):
        Identity.from_dict(data)


def test_the_kind_of_credential_presented_is_named_without_its_value():
    assert credential_kind(None) == "none"
    assert credential_kind("Bearer kbn_1_x") == "kbn"
    assert credential_kind("Bearer a.b.c") == "jwt"
    assert credential_kind("Bearer hunter2") == "other"
    assert credential_kind("Basic abc") == "other"
