"""A local OpenID provider for the auth tests: signing keys made in the test, a JWKS and a discovery document
served from 127.0.0.1 by a threaded ``http.server``, and token minting (loaded by conftest.py as ``authkit``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

KUMAMOTO_CITY = "431001"  # 熊本市
KUMAMOTO_PREF = "430005"  # 熊本県
YATSUSHIRO = "432024"  # 八代市 (熊本県)
FUKUOKA_CITY = "401307"  # 福岡市 (福岡県)
AUDIENCE = "kiban-intake"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    @property
    def public(self) -> Any:
        return self.private.public_key()

    def jwk(self) -> dict:
        algo = jwt.algorithms.RSAAlgorithm if self.alg.startswith("RS") else jwt.algorithms.ECAlgorithm
        return {**algo.to_jwk(self.public, as_dict=True), "kid": self.kid, "use": "sig", "alg": self.alg}

    def public_pem(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict, alg: str = "none", kid: str | None = None) -> str:
    """A JWS with ``alg: none`` and an empty signature (the classic forgery)."""
    header = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid else {})}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def hs256_with(secret: bytes, claims: dict, kid: str) -> str:
    """HS256 'signed' with ``secret`` (the algorithm-confusion attack uses the issuer's public key as secret)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


@dataclass
class Provider:
    """The state the server serves: keys in the JWKS, failure switch, request counts per path."""

    keys: list[SigningKey]
    port: int = 0
    fail: bool = False
    hits: dict[str, int] = field(default_factory=dict)
    extra_jwks: list[dict] = field(default_factory=list)
    discovery_issuer: str | None = None  # what the discovery document claims (None: the real issuer)
    gate: threading.Event | None = None  # when set up, the JWKS answer waits until the test opens it

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base}/realms/kumamoto"

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/realms/kumamoto/protocol/openid-connect/certs"

    def jwks_hits(self) -> int:
        return self.hits.get("/realms/kumamoto/protocol/openid-connect/certs", 0)

    def claims(self, lg: Any = KUMAMOTO_CITY, *, ttl: int = 300, sub: str = "user-1", **over: Any) -> dict:
        now = int(time.time())
        base = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "iat": now, "nbf": now, "exp": now + ttl,
                "jti": uuid.uuid4().hex, "lg_code": lg}
        base.update(over)
        return {k: v for k, v in base.items() if v is not None}

    def mint(self, claims: dict, key: SigningKey | None = None, headers: dict | None = None) -> str:
        """Sign ``claims`` with ``key`` (default: the first served key); ``headers`` default to its kid."""
        key = key or self.keys[0]
        return jwt.encode(claims, key.private, algorithm=key.alg,
                          headers={"kid": key.kid} if headers is None else headers)

    def token(self, lg: Any = KUMAMOTO_CITY, **over: Any) -> str:
        return self.mint(self.claims(lg, **over))


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        p = self.provider
        p.hits[self.path] = p.hits.get(self.path, 0) + 1
        if p.fail:
            self._send(500, {"error": "down"})
        elif self.path == "/realms/kumamoto/.well-known/openid-configuration":
            self._send(200, {"issuer": p.discovery_issuer or p.issuer, "jwks_uri": p.jwks_url,
                             "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
        elif self.path == "/realms/kumamoto/protocol/openid-connect/certs":
            if p.gate is not None:
                p.gate.wait(30)
            self._send(200, {"keys": [k.jwk() for k in p.keys] + p.extra_jwks})
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ProviderServer:
    """Serves a :class:`Provider` on 127.0.0.1 (an ephemeral port) in a daemon thread."""

    def __init__(self, provider: Provider) -> None:
        handler = type("Handler", (_Handler,), {"provider": provider})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        provider.port = self.httpd.server_address[1]
        self.provider = provider
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="test-oidc-provider", daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self.provider

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def damage(lg: str, seq: int, subject: str = "2026-typhoon-21") -> dict:
    """A valid 災害被害報告 (その2) of ``lg``; ``seq`` makes the bytes (and so the report id) unique."""
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": subject,
            "as_of": "2026-09-14T11:00:00+09:00", "sequence_no": seq,
            "items": {"form_part": "その2", "dead": 0, "missing": 0, "injured_serious": 1, "zenkai_buildings": 2}}
