"""Who is calling the intake (認証): an :class:`Identity` or a :class:`Refusal`, from an ``Authorization`` header.

Two kinds of credential are accepted:

- ``token``: a static bearer token ``kbn_<id>_<secret>`` from ``KIBAN_HOME/intake/tokens.json`` (offline and
  air-gapped deployments; ``kiban reports tokens add``);
- ``oidc``: a JWT access token from the configured OpenID Connect issuer (GビズID-style or a prefecture's IdP),
  checked by :mod:`kiban.intake.oidc` (signature against the issuer's JWKS, ``iss``, ``aud``, ``exp``, ``nbf``,
  a claim naming the 団体).

Either way the result names one 団体コード the caller acts for (a 市区町村, or a 都道府県 PP000c that may also act
for its municipalities: 代理入力, :meth:`Identity.may_submit`). The module knows nothing of HTTP: it takes the
header's value and returns values, so the batch writer can store an Identity with a receipt
(:meth:`Identity.to_dict` / :meth:`Identity.from_dict`) and re-check it after a restart.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from kiban.intake.tokens import TokenStore
from registries.reports.lgcode import is_well_formed
from registries.reports.load import may_submit

if TYPE_CHECKING:
    from kiban.intake.oidc import OidcVerifier

Kind = Literal["token", "oidc"]
KINDS: tuple[str, ...] = ("token", "oidc")


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: the 団体 it acts for and where that came from (never the credential itself).

    ``subject``: the token id (``token``) or the JWT ``sub`` (``oidc``); ``issuer``: the JWT ``iss`` (None for
    static tokens); ``token_id``: the static token's id or the JWT ``jti`` when present.
    """

    kind: Kind
    lg_code: str
    subject: str
    issuer: str | None = None
    token_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"identity kind must be one of {KINDS}, not {self.kind!r}")
        if not isinstance(self.lg_code, str) or not is_well_formed(self.lg_code):
            raise ValueError(f"identity lg_code {self.lg_code!r} is not a 団体コード with a valid check digit")
        if not isinstance(self.subject, str) or not self.subject:
            raise ValueError("identity subject must be a non-empty string")

    def may_submit(self, target_lg: str | None) -> bool:
        """The 団体 itself, or (for a prefecture) one of its municipalities (代理入力)."""
        return may_submit(self.lg_code, target_lg)

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Identity:
        """The inverse of :meth:`to_dict`; raises ``ValueError`` for anything that is not a valid identity."""
        if not isinstance(data, dict):
            raise ValueError("an identity is a JSON object")
        unknown = set(data) - {"kind", "lg_code", "subject", "issuer", "token_id"}
        if unknown:
            raise ValueError(f"unknown identity fields {sorted(unknown)}")
        for opt in ("issuer", "token_id"):
            if data.get(opt) is not None and not isinstance(data[opt], str):
                raise ValueError(f"identity {opt} must be a string or null")
        return cls(kind=data.get("kind"), lg_code=data.get("lg_code"), subject=data.get("subject"),  # type: ignore[arg-type]
                   issuer=data.get("issuer"), token_id=data.get("token_id"))


@dataclass(frozen=True)
class Refusal:
    """Why a caller was not authenticated: a stable ``reason`` code (for logs, audit and the 401 body) and a
    human ``detail`` that never repeats the credential."""

    reason: str
    detail: str


def bearer_value(header: str | None) -> str | None | Refusal:
    """The credential of ``Authorization: Bearer <credential>``; None when no header; a Refusal when malformed."""
    if header is None or not header.strip():
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return Refusal("malformed_authorization", "send Authorization: Bearer <token>")
    if len(value) > 16384:
        return Refusal("malformed_authorization", "the bearer credential is longer than 16384 characters")
    return value


def _looks_like_jwt(value: str) -> bool:
    """header.payload.signature (the signature may be empty: ``alg: none``, refused by the verifier)."""
    parts = value.split(".")
    return len(parts) == 3 and bool(parts[0]) and bool(parts[1])


class Authenticator:
    """Authorization header -> :class:`Identity` or :class:`Refusal` (static tokens, then OIDC when configured).

    ``act_as``: a 団体コード the caller chooses when its OIDC claim lists several (``X-Kiban-Act-As``); it must be
    one the credential grants.
    """

    def __init__(self, tokens: TokenStore, oidc: OidcVerifier | None = None) -> None:
        self.tokens = tokens
        self.oidc = oidc

    def authenticate(self, header: str | None, act_as: str | None = None) -> Identity | Refusal:
        value = bearer_value(header)
        if value is None:
            return Refusal("missing_credentials", "send Authorization: Bearer <token>")
        if isinstance(value, Refusal):
            return value
        if value.startswith("kbn_"):
            return self._static(value, act_as)
        if _looks_like_jwt(value):
            if self.oidc is None:
                return Refusal("oidc_not_configured", "this server accepts no OpenID Connect tokens "
                                                      "(KIBAN_OIDC_ISSUER is not set)")
            return self.oidc.verify(value, act_as)
        return Refusal("unknown_token", "the bearer token is neither a Kiban token nor a JWT")

    def _static(self, value: str, act_as: str | None) -> Identity | Refusal:
        rec = self.tokens.verify(value)
        if rec is None:
            digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
            if any(r.sha256 == digest and r.revoked for r in self.tokens.list()):
                return Refusal("revoked_token", "this token has been revoked (kiban reports tokens revoke)")
            return Refusal("unknown_token", "unknown bearer token")
        if act_as is not None and act_as != rec.lg_code:
            return Refusal("act_as_not_granted", f"this token acts for {rec.lg_code} only")
        return Identity(kind="token", lg_code=rec.lg_code, subject=rec.token_id, token_id=rec.token_id)


def credential_kind(header: str | None) -> str:
    """What was presented, for the audit log of a refusal (never the value): none, kbn, jwt or other."""
    value = bearer_value(header)
    if value is None:
        return "none"
    if isinstance(value, Refusal):
        return "other"
    return "kbn" if value.startswith("kbn_") else "jwt" if _looks_like_jwt(value) else "other"
