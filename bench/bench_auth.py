"""Cost of authenticating and auditing one intake request.

    .venv/bin/python bench/bench_auth.py [--n 2000] [--audit 1000]

1. Static token: ``Authenticator.authenticate`` with a valid ``kbn_`` token (hash lookup in tokens.json's index).
2. OIDC: the same with an RS256 and an ES256 access token, keys generated here, the JWKS served from 127.0.0.1
   by a threaded ``http.server`` and cached after the first fetch (the steady state).
3. Refusals that must stay cheap: ``alg: none``, a foreign issuer, a made-up ``kid`` (no key fetch within the
   refetch interval).
4. Audit: ``AuditLog.record`` (O_APPEND + fsync per record) and ``verify`` of the resulting chain.

Only 127.0.0.1 is contacted. Results: ``bench/out/auth.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiban.config import paths as resolve_paths  # noqa: E402
from kiban.intake.audit import AuditLog, verify  # noqa: E402
from kiban.intake.identity import Authenticator, Identity  # noqa: E402
from kiban.intake.oidc import OidcConfig, OidcVerifier  # noqa: E402
from kiban.intake.tokens import TokenStore  # noqa: E402


def _serve_jwks(jwks: dict) -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def _rate(fn, n: int) -> dict:
    fn()  # warm (first JWKS fetch, token index)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    dt = time.perf_counter() - t0
    return {"n": n, "per_second": round(n / dt), "us_each": round(dt / n * 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--audit", type=int, default=1000)
    args = ap.parse_args()
    out: dict[str, object] = {"load_average": os.getloadavg(), "cpus": os.cpu_count()}

    with tempfile.TemporaryDirectory() as tmp:
        home = resolve_paths(Path(tmp) / "home").ensure()
        store = TokenStore(home)
        _, static = store.add_many(["431001", "430005", "401307"])[0]
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        jwks = {"keys": [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "r1", "alg": "RS256"},
            {**jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "e1", "alg": "ES256"}]}
        httpd, base = _serve_jwks(jwks)
        issuer = f"{base}/realm"
        config = OidcConfig(issuer=issuer, audiences=("kiban",), jwks_url=f"{base}/certs")
        auth = Authenticator(store, OidcVerifier(config))
        now = int(time.time())
        claims = {"iss": issuer, "aud": "kiban", "sub": "u", "iat": now, "exp": now + 3600, "lg_code": "431001"}
        rs = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "r1"})
        es = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "e1"})
        forged_kid = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "nope"})
        foreign = jwt.encode({**claims, "iss": "https://other.example.invalid/"}, rsa_key, algorithm="RS256",
                             headers={"kid": "r1"})
        none = jwt.utils.base64url_encode(b'{"alg":"none"}').decode() + "." + \
            jwt.utils.base64url_encode(json.dumps(claims).encode()).decode() + "."

        def ok(header: str):
            return lambda: isinstance(auth.authenticate(header), Identity) or sys.exit(f"refused: {header[:20]}")

        out["static_token"] = _rate(ok(f"Bearer {static}"), args.n)
        out["oidc_rs256"] = _rate(ok(f"Bearer {rs}"), args.n)
        out["oidc_es256"] = _rate(ok(f"Bearer {es}"), args.n)
        out["refuse_alg_none"] = _rate(lambda: auth.authenticate(f"Bearer {none}"), args.n)
        out["refuse_foreign_issuer"] = _rate(lambda: auth.authenticate(f"Bearer {foreign}"), args.n)
        out["refuse_unknown_kid"] = _rate(lambda: auth.authenticate(f"Bearer {forged_kid}"), args.n)
        out["jwks_fetches"] = auth.oidc.jwks.fetches
        httpd.shutdown()

        log = AuditLog.for_home(home)
        who = Identity("token", "431001", "ab12cd34", token_id="ab12cd34")
        out["audit_append_fsync"] = _rate(lambda: log.record("submit", 202, identity=who, reason="accepted",
                                                             lg_codes=["431001"], sha256="ab" * 32), args.audit)
        t0 = time.perf_counter()
        v = verify(log.root)
        dt = time.perf_counter() - t0
        out["audit_verify"] = {"records": v.records, "ok": v.ok, "per_second": round(v.records / dt)}

    Path(REPO / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "out" / "auth.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"load average {out['load_average']}, {out['cpus']} cpus")
    for k, v in out.items():
        if isinstance(v, dict):
            print(f"{k:24s} {v}")
    print(f"jwks fetches: {out['jwks_fetches']}")


if __name__ == "__main__":
    main()
