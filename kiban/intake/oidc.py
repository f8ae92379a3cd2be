"""OpenID Connect access tokens for the intake (DPI 認証基盤): JWT validation against the issuer's JWKS.

A token is accepted when, in this order (cheap checks first, so junk never makes us fetch keys):

1. it is a JWS with an allowed asymmetric algorithm (``RS256``/``ES256`` by default; never ``none``, never
   ``HS*``: a public key is not a shared secret);
2. its unverified ``iss`` is the configured issuer;
3. its ``kid`` names a key of the issuer's JWKS (fetched with httpx from ``KIBAN_OIDC_JWKS_URL`` or from the
   ``jwks_uri`` of ``<issuer>/.well-known/openid-configuration``; cached; refetched when a token names an unknown
   ``kid`` (key rotation) but at most once per ``jwks_min_refresh`` seconds, so forged ``kid`` values cannot make
   us hammer the IdP; when the IdP is down the keys we have keep working) and the key's type fits the algorithm;
4. PyJWT verifies the signature, ``iss``, ``aud`` (any configured audience), ``exp``, ``nbf`` and ``iat`` (with a
   small leeway), requiring ``exp``, ``iss``, ``aud`` and ``sub``;
5. the configured claim (``KIBAN_OIDC_LG_CLAIM``, default ``lg_code``: a string, or a list such as a ``groups``
   claim filtered by ``KIBAN_OIDC_LG_PREFIX``) names exactly one 団体コード with a valid check digit, or several
   of which the caller picks one with ``act_as``.

Configuration (environment, read by :meth:`OidcConfig.from_env`; see docs/authentication.md):
``KIBAN_OIDC_ISSUER`` (enables OIDC), ``KIBAN_OIDC_AUDIENCE`` (comma-separated), ``KIBAN_OIDC_JWKS_URL``,
``KIBAN_OIDC_LG_CLAIM``, ``KIBAN_OIDC_LG_PREFIX``, ``KIBAN_OIDC_ALGORITHMS``, ``KIBAN_OIDC_LEEWAY``,
``KIBAN_OIDC_JWKS_MIN_REFRESH``, ``KIBAN_OIDC_JWKS_MAX_AGE``, ``KIBAN_OIDC_HTTP_TIMEOUT``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from kiban.intake.identity import Identity, Refusal
from registries.reports.lgcode import is_well_formed

log = logging.getLogger(__name__)

#: Asymmetric algorithms an operator may allow, with the key type (and curve) each needs.
ASYMMETRIC: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None), "RS384": ("RSA", None), "RS512": ("RSA", None),
    "PS256": ("RSA", None), "PS384": ("RSA", None), "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521"),
}
DEFAULT_ALGORITHMS = ("RS256", "ES256")
MAX_JWKS_BYTES = 1 << 20
MAX_KEYS = 100
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class JwksUnavailable(Exception):
    """The issuer's keys could not be fetched (and none are cached)."""


def _https_or_loopback(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url
    raise ValueError(f"{what} must be an https:// URL (plain http only on the loopback interface): {url!r}")


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str | None = None
    lg_claim: str = "lg_code"
    lg_prefix: str = ""
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    leeway: float = 30.0
    jwks_min_refresh: float = 60.0
    jwks_max_age: float = 3600.0
    http_timeout: float = 5.0

    def __post_init__(self) -> None:
        _https_or_loopback(self.issuer, "KIBAN_OIDC_ISSUER")
        if self.jwks_url:
            _https_or_loopback(self.jwks_url, "KIBAN_OIDC_JWKS_URL")
        if not self.audiences or not all(self.audiences):
            raise ValueError("KIBAN_OIDC_AUDIENCE must name the audience Kiban's tokens are issued for")
        bad = [a for a in self.algorithms if a not in ASYMMETRIC]
        if bad or not self.algorithms:
            raise ValueError(f"KIBAN_OIDC_ALGORITHMS may list only {sorted(ASYMMETRIC)}, not {bad}")
        if not self.lg_claim:
            raise ValueError("KIBAN_OIDC_LG_CLAIM must name a claim")
        if not 0 <= self.leeway <= 300:
            raise ValueError("KIBAN_OIDC_LEEWAY must be between 0 and 300 seconds")
        if self.jwks_min_refresh < 0 or self.jwks_max_age <= 0 or self.http_timeout <= 0:
            raise ValueError("KIBAN_OIDC_JWKS_MIN_REFRESH >= 0, KIBAN_OIDC_JWKS_MAX_AGE and "
                             "KIBAN_OIDC_HTTP_TIMEOUT > 0 seconds")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcConfig | None:
        """The configuration in ``env``; None when ``KIBAN_OIDC_ISSUER`` is unset; ``ValueError`` when invalid."""
        issuer = env.get("KIBAN_OIDC_ISSUER", "").strip()
        if not issuer:
            return None

        def num(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            try:
                return float(raw) if raw else default
            except ValueError:
                raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None

        def items(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
            raw = env.get(name, "")
            return tuple(x.strip() for x in raw.split(",") if x.strip()) or default

        return cls(issuer=issuer, audiences=items("KIBAN_OIDC_AUDIENCE"),
                   jwks_url=env.get("KIBAN_OIDC_JWKS_URL", "").strip() or None,
                   lg_claim=env.get("KIBAN_OIDC_LG_CLAIM", "").strip() or "lg_code",
                   lg_prefix=env.get("KIBAN_OIDC_LG_PREFIX", "").strip(),
                   algorithms=items("KIBAN_OIDC_ALGORITHMS", DEFAULT_ALGORITHMS),
                   leeway=num("KIBAN_OIDC_LEEWAY", 30.0),
                   jwks_min_refresh=num("KIBAN_OIDC_JWKS_MIN_REFRESH", 60.0),
                   jwks_max_age=num("KIBAN_OIDC_JWKS_MAX_AGE", 3600.0),
                   http_timeout=num("KIBAN_OIDC_HTTP_TIMEOUT", 5.0))


class JwksCache:
    """The issuer's signing keys (``kid`` -> JWK dict), fetched on demand and refreshed at a bounded rate.

    A fetch happens when there are no keys yet, when the keys are older than ``jwks_max_age``, or when a token
    names a ``kid`` we do not know (rotation); never more often than once per ``jwks_min_refresh`` seconds
    (failed fetches count too). A failed refresh keeps the keys already held.
    """

    def __init__(self, config: OidcConfig, client: httpx.Client | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._client = client
        self.clock = clock
        self.keys: dict[str, dict] = {}
        self.fetches = 0  # attempts, for tests and the status page
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._jwks_url = config.jwks_url
        self._fetch_lock = threading.Lock()

    def get(self, kid: str | None) -> dict | None:
        """The JWK for ``kid`` (None: the only key, when the set has exactly one); None when unknown.

        A known key of a fresh set is answered without waiting for anyone's fetch; callers that need a fetch
        take turns (the second finds what the first fetched)."""
        found = self._fresh(kid, self.clock())
        if found is not None:
            return found
        with self._fetch_lock:
            now = self.clock()
            if self._fresh(kid, now) is None and self._may_fetch(now):
                self._refresh(now)
            if self._fetched_at is None:
                raise JwksUnavailable("the issuer's JWKS could not be fetched")
            return self._find(kid)

    def _fresh(self, kid: str | None, now: float) -> dict | None:
        fetched = self._fetched_at
        if fetched is None or now - fetched > self.config.jwks_max_age:
            return None
        return self._find(kid)

    def _find(self, kid: str | None) -> dict | None:
        keys = self.keys  # replaced whole on refresh, never mutated
        if kid is None:
            return next(iter(keys.values())) if len(keys) == 1 else None
        return keys.get(kid)

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.config.jwks_min_refresh

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        self.fetches += 1
        try:
            url = self._jwks_url or self._discover()
            doc = self._get_json(url)
            keys = _usable_keys(doc, self.config.algorithms)
        except (httpx.HTTPError, ValueError) as e:
            log.warning("OIDC JWKS fetch failed (keeping %d cached keys): %s", len(self.keys), e)
            return
        self._jwks_url = url
        self.keys, self._fetched_at = keys, now

    def _discover(self) -> str:
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url)
        if doc.get("issuer") != self.config.issuer:
            raise ValueError(f"the discovery document names issuer {doc.get('issuer')!r}, "
                             f"not {self.config.issuer!r}")
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError("the discovery document has no jwks_uri")
        return _https_or_loopback(jwks_uri, "jwks_uri")

    @property
    def client(self) -> httpx.Client:
        if self._client is None:  # made on first fetch (an SSL context costs ~0.2 s)
            self._client = httpx.Client(timeout=self.config.http_timeout, follow_redirects=False)
        return self._client

    def _get_json(self, url: str) -> dict:
        with self.client.stream("GET", url, headers={"Accept": "application/json"}) as r:
            r.raise_for_status()
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError(f"{url} answered more than {MAX_JWKS_BYTES} bytes")
        doc = json.loads(bytes(body))
        if not isinstance(doc, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return doc


def _usable_keys(doc: dict, algorithms: tuple[str, ...]) -> dict[str, dict]:
    """Signing keys of a JWKS document whose type fits an allowed algorithm (never symmetric ``oct`` keys)."""
    keys = doc.get("keys")
    if not isinstance(keys, list):
        raise ValueError("the JWKS has no 'keys' list")
    kinds = {ASYMMETRIC[a][0] for a in algorithms}
    out: dict[str, dict] = {}
    for k in keys[:MAX_KEYS]:
        if not isinstance(k, dict) or k.get("kty") not in kinds or k.get("use", "sig") != "sig":
            continue
        if "alg" in k and k["alg"] not in algorithms:
            continue
        out[str(k.get("kid", ""))] = k
    return out


def _key_for(jwk: dict, alg: str) -> jwt.PyJWK | Refusal:
    kty, crv = ASYMMETRIC[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv) or jwk.get("alg", alg) != alg:
        return Refusal("algorithm_mismatch", f"the key named by the token does not sign with {alg}")
    try:
        return jwt.PyJWK(jwk, algorithm=alg)
    except jwt.PyJWTError as e:
        return Refusal("unknown_key", f"the issuer's key could not be used: {e}")


def lg_codes_from_claim(value: Any, prefix: str = "") -> list[str] | Refusal:
    """The 団体コード a claim grants: a string or a list of strings; with ``prefix`` only entries that start with
    it (the rest of a ``groups`` claim is ignored); each must have a valid check digit (重複は1つに)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        return Refusal("lg_claim_invalid", "the 団体 claim must be a string or a list of strings")
    if prefix:
        items = [x[len(prefix):] for x in items if x.startswith(prefix)]
    bad = [x for x in items if not is_well_formed(x)]
    if bad:
        return Refusal("lg_claim_invalid", f"{bad[0][:20]!r} in the 団体 claim is not a 6-digit 団体コード with a "
                                           "valid check digit")
    codes = sorted(set(items))
    if not codes:
        return Refusal("lg_claim_missing", "the token grants no 団体コード")
    return codes


_ERRORS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token_expired"),
    (jwt.ImmatureSignatureError, "token_not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "claim_missing"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "algorithm_not_allowed"),
    (jwt.DecodeError, "malformed_token"),
]


class OidcVerifier:
    """Validates OIDC access tokens of one issuer and maps them to an :class:`Identity` (kind ``oidc``)."""

    def __init__(self, config: OidcConfig, jwks: JwksCache | None = None) -> None:
        self.config = config
        self.jwks = jwks or JwksCache(config)
        self._prepared: dict[tuple[str, str], jwt.PyJWK | Refusal] = {}  # (alg, JWK JSON) -> key (~1 ms saved)

    def verify(self, token: str, act_as: str | None = None) -> Identity | Refusal:
        cfg = self.config
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return Refusal("malformed_token", "the bearer token is not a well-formed JWT")
        alg = header.get("alg")
        if not isinstance(alg, str):
            return Refusal("malformed_token", "the token's header names no algorithm")
        if alg not in cfg.algorithms:
            return Refusal("algorithm_not_allowed", f"tokens must be signed with one of {list(cfg.algorithms)}, "
                                                    f"not {str(alg)[:16]!r}")
        if unverified.get("iss") != cfg.issuer:
            return Refusal("wrong_issuer", f"tokens must be issued by {cfg.issuer}")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            return Refusal("malformed_token", "the token's kid is not a string")
        try:
            jwk = self.jwks.get(kid)
        except JwksUnavailable as e:
            return Refusal("jwks_unavailable", str(e))
        if jwk is None:
            return Refusal("unknown_key", "the token names a key the issuer does not publish")
        cache_key = (alg, json.dumps(jwk, sort_keys=True))
        key = self._prepared.get(cache_key)
        if key is None:
            if len(self._prepared) > 256:
                self._prepared.clear()
            key = self._prepared[cache_key] = _key_for(jwk, alg)
        if isinstance(key, Refusal):
            return key
        try:
            claims = jwt.decode(token, key=key, algorithms=[alg], audience=list(cfg.audiences), issuer=cfg.issuer,
                                leeway=cfg.leeway, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWTError as e:
            reason = next((r for t, r in _ERRORS if isinstance(e, t)), "invalid_token")
            return Refusal(reason, str(e)[:200])
        return self._identity(claims, act_as)

    def _identity(self, claims: dict, act_as: str | None) -> Identity | Refusal:
        cfg = self.config
        if cfg.lg_claim not in claims:
            return Refusal("lg_claim_missing", f"the token has no {cfg.lg_claim!r} claim naming the 団体")
        codes = lg_codes_from_claim(claims[cfg.lg_claim], cfg.lg_prefix)
        if isinstance(codes, Refusal):
            return codes
        if act_as is not None:
            if act_as not in codes:
                return Refusal("act_as_not_granted", f"the token does not grant {act_as[:16]!r}")
            chosen = act_as
        elif len(codes) == 1:
            chosen = codes[0]
        else:
            return Refusal("lg_claim_ambiguous", f"the token grants {len(codes)} 団体: choose one with "
                                                 "X-Kiban-Act-As")
        sub, jti = claims["sub"], claims.get("jti")
        if not isinstance(sub, str) or not sub:
            return Refusal("claim_missing", "the token's sub is not a non-empty string")
        return Identity(kind="oidc", lg_code=chosen, subject=sub, issuer=cfg.issuer,
                        token_id=jti if isinstance(jti, str) and jti else None)


def verifier_from_env(env: Mapping[str, str]) -> OidcVerifier | None:
    config = OidcConfig.from_env(env)
    return OidcVerifier(config) if config else None
