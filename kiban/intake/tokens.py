"""Bearer tokens for reporters (報告団体), stored hashed in ``KIBAN_HOME/intake/tokens.json``.

A token is ``kbn_<id>_<secret>`` (secret: 32 random bytes, urlsafe); only ``sha256(token)`` is stored, with the
団体コード it speaks for. ``kiban reports tokens add LG_CODE`` prints the token once.

Authorisation (``registries.reports.load.may_submit``): a 市区町村 token may submit (and read receipts) only for its own lg_code; a
都道府県 token (PP000c) also for every municipality of its prefecture (代理入力); nobody else for anyone.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from kiban.config import Paths
from registries.reports.lgcode import is_well_formed


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    lg_code: str
    sha256: str
    created_at: str
    label: str = ""
    revoked: bool = False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """``intake/tokens.json``: add, revoke, list, verify (verification reads a cached hash index)."""

    def __init__(self, paths: Paths) -> None:
        self.path = paths.home / "intake" / "tokens.json"
        self._lock = threading.Lock()
        self._index: dict[str, TokenRecord] | None = None
        self._mtime: int | None = None

    def _read(self) -> list[TokenRecord]:
        if not self.path.exists():
            return []
        return [TokenRecord(**r) for r in json.loads(self.path.read_text(encoding="utf-8"))]

    def _write(self, records: list[TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps([asdict(r) for r in records], ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def add(self, lg_code: str, label: str = "") -> tuple[TokenRecord, str]:
        """Create a token for ``lg_code``; returns (record, the token in clear: shown once, never stored)."""
        return self.add_many([lg_code], label)[0]

    def add_many(self, lg_codes: list[str], label: str = "") -> list[tuple[TokenRecord, str]]:
        """One token per code, written in one update of the file."""
        out = []
        for lg_code in lg_codes:
            if not is_well_formed(lg_code):
                raise ValueError(f"{lg_code!r} is not a 6-digit 団体コード with a valid check digit")
            token_id = secrets.token_hex(4)
            token = f"kbn_{token_id}_{secrets.token_urlsafe(32)}"
            out.append((TokenRecord(token_id, lg_code, _hash(token), datetime.now(UTC).isoformat(), label), token))
        with self._lock:
            self._write([*self._read(), *(r for r, _ in out)])
            self._index = None
        return out

    def revoke(self, token_id: str) -> bool:
        with self._lock:
            records = self._read()
            hit = [r for r in records if r.token_id == token_id and not r.revoked]
            self._write([TokenRecord(**{**asdict(r), "revoked": True}) if r in hit else r for r in records])
            self._index = None
        return bool(hit)

    def list(self) -> list[TokenRecord]:
        return self._read()

    def verify(self, token: str | None) -> TokenRecord | None:
        """The active record for a presented token, or None."""
        if not token:
            return None
        mtime = self.path.stat().st_mtime_ns if self.path.exists() else None
        with self._lock:
            if self._index is None or mtime != self._mtime:
                self._index = {r.sha256: r for r in self._read() if not r.revoked}
                self._mtime = mtime
            rec = self._index.get(_hash(token))
        return rec


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None

