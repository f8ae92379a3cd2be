"""Fixtures for the auth tests: test signing keys, a local OpenID provider on 127.0.0.1, a verifier for it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _load(name: str):
    """The helper modules beside this file, importable by name (tests run with --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


authkit = _load("authkit")
authmatrix = _load("authmatrix")


@pytest.fixture(scope="session")
def keys():
    """Keys made for this test run: two RSA (rotation), one EC P-256."""
    return {"rsa1": authkit.rsa_key("rsa-2026-01"), "rsa2": authkit.rsa_key("rsa-2026-02"),
            "ec1": authkit.ec_key("ec-2026-01")}


@pytest.fixture
def idp(keys):
    """A running provider serving rsa1 and ec1."""
    with authkit.ProviderServer(authkit.Provider([keys["rsa1"], keys["ec1"]])) as provider:
        yield provider


class FakeClock:
    """A monotonic clock the test moves by hand (the JWKS refetch interval)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_verifier(idp, clock):
    """make_verifier(**config overrides) -> OidcVerifier for ``idp`` with the test clock."""
    from kiban.intake.oidc import JwksCache, OidcConfig, OidcVerifier

    def _make(**over):
        cfg = {"issuer": idp.issuer, "audiences": (authkit.AUDIENCE,), "jwks_url": idp.jwks_url,
               "jwks_min_refresh": 30.0, "leeway": 5.0, **over}
        config = OidcConfig(**cfg)
        return OidcVerifier(config, JwksCache(config, clock=clock))

    return _make


@pytest.fixture
def oidc_env(idp, monkeypatch):
    """Configure the served app for ``idp`` through the environment, as an operator would."""
    monkeypatch.setenv("KIBAN_OIDC_ISSUER", idp.issuer)
    monkeypatch.setenv("KIBAN_OIDC_AUDIENCE", f"other-api, {authkit.AUDIENCE}")
    monkeypatch.setenv("KIBAN_OIDC_LG_CLAIM", "lg_code")
    monkeypatch.setenv("KIBAN_OIDC_LEEWAY", "5")
    return idp

