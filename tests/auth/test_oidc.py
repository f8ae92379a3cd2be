"""OIDC access tokens: signature against the issuer's JWKS served from 127.0.0.1, claims, key rotation, and the
ways a forged or stale token is refused (each with its own reason)."""

from __future__ import annotations

import time

import pytest
from authkit import AUDIENCE, FUKUOKA_CITY, KUMAMOTO_CITY, KUMAMOTO_PREF, hs256_with, unsigned

from kiban.intake.identity import Identity, Refusal


def _refused(result, reason: str) -> None:
    assert isinstance(result, Refusal), result
    assert result.reason == reason, result


def test_a_valid_rs256_token_maps_to_its_municipality(idp, make_verifier):
    claims = idp.claims(KUMAMOTO_CITY, sub="tanaka@city.kumamoto")
    got = make_verifier().verify(idp.mint(claims))
    assert got == Identity(kind="oidc", lg_code=KUMAMOTO_CITY, subject="tanaka@city.kumamoto", issuer=idp.issuer,
                           token_id=claims["jti"])
    assert idp.jwks_hits() == 1


def test_a_valid_es256_token_maps_to_its_prefecture_which_may_proxy(idp, keys, make_verifier):
    got = make_verifier().verify(idp.mint(idp.claims(KUMAMOTO_PREF), key=keys["ec1"]))
    assert isinstance(got, Identity) and got.lg_code == KUMAMOTO_PREF
    assert got.may_submit("432024") and not got.may_submit(FUKUOKA_CITY)


def test_keys_are_fetched_once_and_served_from_the_cache(idp, make_verifier):
    v = make_verifier()
    for _ in range(5):
        assert isinstance(v.verify(idp.token()), Identity)
    assert idp.jwks_hits() == 1


def test_an_expired_token_is_refused_beyond_the_leeway_only(idp, make_verifier):
    v = make_verifier(leeway=5.0)
    now = int(time.time())
    _refused(v.verify(idp.mint(idp.claims(iat=now - 600, nbf=now - 600, exp=now - 60))), "token_expired")
    assert isinstance(v.verify(idp.mint(idp.claims(iat=now - 600, nbf=now - 600, exp=now - 2))), Identity)


def test_a_token_not_yet_valid_is_refused(idp, make_verifier):
    now = int(time.time())
    _refused(make_verifier().verify(idp.mint(idp.claims(nbf=now + 120, iat=now))), "token_not_yet_valid")
    _refused(make_verifier().verify(idp.mint(idp.claims(iat=now + 120, nbf=None))), "token_not_yet_valid")


def test_a_token_for_another_audience_is_refused(idp, make_verifier):
    _refused(make_verifier().verify(idp.mint(idp.claims(aud="some-other-api"))), "wrong_audience")
    ok = make_verifier().verify(idp.mint(idp.claims(aud=["some-other-api", AUDIENCE])))
    assert isinstance(ok, Identity)


def test_a_token_from_another_issuer_is_refused_before_any_key_fetch(idp, make_verifier):
    _refused(make_verifier().verify(idp.mint(idp.claims(iss="https://idp.example.invalid/realms/x"))), "wrong_issuer")
    assert idp.jwks_hits() == 0


def test_required_claims_must_be_present(idp, make_verifier):
    for missing in ("exp", "sub", "aud"):
        got = make_verifier().verify(idp.mint(idp.claims(**{missing: None})))
        _refused(got, "claim_missing")
        assert missing in got.detail


def test_an_unknown_key_id_is_refused(idp, make_verifier, keys):
    _refused(make_verifier().verify(idp.mint(idp.claims(), key=keys["rsa2"])), "unknown_key")


def test_alg_none_is_refused_without_fetching_keys(idp, make_verifier):
    for alg in ("none", "None", "NONE"):
        _refused(make_verifier().verify(unsigned(idp.claims(), alg, kid="rsa-2026-01")), "algorithm_not_allowed")
    assert idp.jwks_hits() == 0


def test_hs256_signed_with_the_issuers_public_key_is_refused(idp, keys, make_verifier):
    forged = hs256_with(keys["rsa1"].public_pem(), idp.claims(), kid=keys["rsa1"].kid)
    _refused(make_verifier().verify(forged), "algorithm_not_allowed")
    # even an operator who lists HS256 cannot: the configuration refuses symmetric algorithms
    from kiban.intake.oidc import OidcConfig

    with pytest.raises(ValueError, match="KIBAN_OIDC_ALGORITHMS"):
        OidcConfig(issuer=idp.issuer, audiences=(AUDIENCE,), algorithms=("RS256", "HS256"))


def test_a_tampered_payload_fails_the_signature(idp, make_verifier):
    head, body, sig = idp.token().split(".")
    other = idp.token(FUKUOKA_CITY).split(".")[1]
    _refused(make_verifier().verify(f"{head}.{other}.{sig}"), "bad_signature")


def test_a_key_of_the_wrong_type_for_the_algorithm_is_refused(idp, keys, make_verifier):
    # ES256 in the header, but the kid names the RSA key
    forged = idp.mint(idp.claims(), key=keys["ec1"], headers={"kid": keys["rsa1"].kid})
    _refused(make_verifier().verify(forged), "algorithm_mismatch")


def test_symmetric_keys_in_the_jwks_are_never_used(idp, make_verifier):
    secret = b"shared-secret-shared-secret-1234"
    import base64

    idp.extra_jwks.append({"kty": "oct", "kid": "hmac", "k": base64.urlsafe_b64encode(secret).decode().rstrip("=")})
    _refused(make_verifier().verify(hs256_with(secret, idp.claims(), kid="hmac")), "algorithm_not_allowed")
    _refused(make_verifier(algorithms=("RS256",)).verify(unsigned(idp.claims(), "RS256", kid="hmac")), "unknown_key")


def test_a_rotated_key_is_picked_up_and_the_old_one_dropped(idp, keys, make_verifier, clock):
    v = make_verifier(jwks_min_refresh=30.0)
    old = idp.token()
    assert isinstance(v.verify(old), Identity) and idp.jwks_hits() == 1
    idp.keys[:] = [keys["rsa2"], keys["ec1"]]  # the IdP rotates: rsa1 removed, rsa2 served
    clock.now += 31
    new = idp.mint(idp.claims(), key=keys["rsa2"])
    assert isinstance(v.verify(new), Identity)
    assert idp.jwks_hits() == 2  # one refetch for the unknown kid
    clock.now += 31
    _refused(v.verify(old), "unknown_key")  # refetched: the old kid is gone for good
    assert idp.jwks_hits() == 3


def test_unknown_key_ids_cannot_make_us_hammer_the_idp(idp, keys, make_verifier, clock):
    v = make_verifier(jwks_min_refresh=30.0)
    assert isinstance(v.verify(idp.token()), Identity)
    for i in range(50):
        _refused(v.verify(idp.mint(idp.claims(), headers={"kid": f"forged-{i}"})), "unknown_key")
    assert idp.jwks_hits() == 1  # no refetch within the interval
    clock.now += 30
    for i in range(50):
        v.verify(idp.mint(idp.claims(), headers={"kid": f"forged-again-{i}"}))
    assert idp.jwks_hits() == 2  # one per interval


def test_a_token_signed_with_a_new_key_waits_for_the_refetch_interval(idp, keys, make_verifier, clock):
    v = make_verifier(jwks_min_refresh=30.0)
    assert isinstance(v.verify(idp.token()), Identity)
    idp.keys.append(keys["rsa2"])
    new = idp.mint(idp.claims(), key=keys["rsa2"])
    clock.now += 10
    _refused(v.verify(new), "unknown_key")
    clock.now += 20
    assert isinstance(v.verify(new), Identity)


def test_cached_keys_keep_working_while_the_idp_is_down(idp, make_verifier, clock):
    v = make_verifier(jwks_max_age=60.0, jwks_min_refresh=1.0)
    assert isinstance(v.verify(idp.token()), Identity)
    idp.fail = True
    clock.now += 120  # keys are stale: a refetch is tried, fails, the cached keys stay
    assert isinstance(v.verify(idp.token()), Identity)
    assert idp.jwks_hits() == 2


def test_no_keys_at_all_is_a_distinct_refusal(idp, make_verifier):
    idp.fail = True
    _refused(make_verifier().verify(idp.token()), "jwks_unavailable")


def test_the_jwks_url_is_discovered_from_the_issuer(idp, make_verifier):
    v = make_verifier(jwks_url=None)
    assert isinstance(v.verify(idp.token()), Identity)
    assert idp.hits.get("/realms/kumamoto/.well-known/openid-configuration") == 1 and idp.jwks_hits() == 1


def test_a_discovery_document_for_another_issuer_is_not_trusted(idp, make_verifier):
    idp.discovery_issuer = "https://evil.example.invalid/"
    _refused(make_verifier(jwks_url=None).verify(idp.token()), "jwks_unavailable")
    assert idp.jwks_hits() == 0


def test_a_missing_lg_claim_is_refused(idp, make_verifier):
    _refused(make_verifier().verify(idp.token(None)), "lg_claim_missing")


@pytest.mark.parametrize("value", ["431002", "43100", "4310011", "abcdef", 431001, ["431001", 7], {"lg": "431001"}])
def test_an_lg_claim_that_is_not_a_valid_dantai_code_is_refused(idp, make_verifier, value):
    _refused(make_verifier().verify(idp.token(value)), "lg_claim_invalid")


def test_a_list_claim_filtered_by_prefix_names_the_dantai(idp, make_verifier):
    v = make_verifier(lg_claim="groups", lg_prefix="lg:")
    got = v.verify(idp.token(None, groups=["staff", "lg:431001", "admins"]))
    assert isinstance(got, Identity) and got.lg_code == KUMAMOTO_CITY
    _refused(v.verify(idp.token(None, groups=["staff"])), "lg_claim_missing")
    _refused(v.verify(idp.token(None, groups=["lg:431002"])), "lg_claim_invalid")


def test_a_claim_granting_several_dantai_needs_act_as(idp, make_verifier):
    v = make_verifier()
    token = idp.token([KUMAMOTO_CITY, FUKUOKA_CITY])
    _refused(v.verify(token), "lg_claim_ambiguous")
    got = v.verify(token, act_as=FUKUOKA_CITY)
    assert isinstance(got, Identity) and got.lg_code == FUKUOKA_CITY
    _refused(v.verify(token, act_as=KUMAMOTO_PREF), "act_as_not_granted")


def test_garbage_that_looks_like_a_jwt_is_malformed(idp, make_verifier):
    for junk in ("a.b.c", "eyJ.eyJ.x", "e30.e30.", "!!.??.**"):
        _refused(make_verifier().verify(junk), "malformed_token")
    assert idp.jwks_hits() == 0


def test_configuration_comes_from_the_environment_and_is_checked(idp):
    from kiban.intake.oidc import OidcConfig

    assert OidcConfig.from_env({}) is None
    cfg = OidcConfig.from_env({"KIBAN_OIDC_ISSUER": idp.issuer, "KIBAN_OIDC_AUDIENCE": "a, b",
                               "KIBAN_OIDC_LEEWAY": "10", "KIBAN_OIDC_ALGORITHMS": "ES256"})
    assert cfg.audiences == ("a", "b") and cfg.leeway == 10.0 and cfg.algorithms == ("ES256",)
    assert cfg.lg_claim == "lg_code" and cfg.jwks_url is None
    bad = [
        ({"KIBAN_OIDC_ISSUER": idp.issuer}, "AUDIENCE"),
        ({"KIBAN_OIDC_ISSUER": "http://idp.example.invalid/realm", "KIBAN_OIDC_AUDIENCE": "a"}, "https"),
        ({"KIBAN_OIDC_ISSUER": idp.issuer, "KIBAN_OIDC_AUDIENCE": "a",
          "KIBAN_OIDC_JWKS_URL": "http://idp.example.invalid/certs"}, "https"),
        ({"KIBAN_OIDC_ISSUER": idp.issuer, "KIBAN_OIDC_AUDIENCE": "a", "KIBAN_OIDC_ALGORITHMS": "none"}, "ALGORITHMS"),
        ({"KIBAN_OIDC_ISSUER": idp.issuer, "KIBAN_OIDC_AUDIENCE": "a", "KIBAN_OIDC_LEEWAY": "3600"}, "LEEWAY"),
        ({"KIBAN_OIDC_ISSUER": idp.issuer, "KIBAN_OIDC_AUDIENCE": "a", "KIBAN_OIDC_LEEWAY": "soon"}, "LEEWAY"),
    ]
    for env, match in bad:
        with pytest.raises(ValueError, match=match):
            OidcConfig.from_env(env)


def test_a_slow_key_fetch_does_not_hold_up_tokens_with_known_keys(idp, keys, make_verifier, clock):
    import threading

    v = make_verifier(jwks_min_refresh=30.0, http_timeout=20.0)
    known = idp.token()
    assert isinstance(v.verify(known), Identity)
    idp.gate = threading.Event()  # the IdP now answers only when the test lets it
    clock.now += 31
    results: dict[str, object] = {}
    slow = threading.Thread(target=lambda: results.update(new=v.verify(idp.mint(idp.claims(), key=keys["rsa2"]))))
    slow.start()
    for _ in range(200):  # until the refetch for the unknown kid is in flight
        if idp.jwks_hits() == 2:
            break
        time.sleep(0.01)
    assert idp.jwks_hits() == 2 and slow.is_alive()
    fast = threading.Thread(target=lambda: results.update(known=v.verify(known)))
    fast.start()
    fast.join(3)
    assert not fast.is_alive() and isinstance(results["known"], Identity)  # answered while the fetch hangs
    assert slow.is_alive()
    idp.gate.set()
    slow.join(10)
    _refused(results["new"], "unknown_key")  # rsa2 is not served: the refetch did not find it
