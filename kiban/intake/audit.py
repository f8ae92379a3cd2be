"""Append-only, hash-chained audit log of the intake (監査ログ): every submission and receipt read, allowed or not.

One JSON object per line in ``KIBAN_HOME/intake/audit/YYYY-MM-DD.jsonl`` (UTC day of the record). Each record
says who (identity kind, subject, issuer, token id: never the credential), for which 団体コード, what (operation,
submission id, sha256), when, and the result (HTTP status, reason), and carries ``seq`` (1, 2, ...), ``prev``
(the previous record's hash; 64 zeros for the first) and ``hash`` = sha256 of the record's canonical JSON
without ``hash``. Removing, reordering or editing a record breaks the chain, which :func:`verify` reports
(``kiban reports audit verify``); truncating the tail is caught by comparing the head hash with one kept
elsewhere.

Files are opened ``O_APPEND`` with mode 0600 and every record is fsync'd before ``record`` returns (concurrent
appends of one process share one fsync, :mod:`kiban.durable`); writers in several threads or
processes serialise on ``flock`` of ``.lock``. The module knows nothing of HTTP: callers pass plain values.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.config import Paths
from kiban.durable import GroupSync
from kiban.intake.identity import Identity

GENESIS = "0" * 64
VERSION = 1
_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.jsonl$")
_MAX_TEXT = 300
_MAX_CODES = 100


def canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:_MAX_TEXT]


def audit_dir(paths: Paths) -> Path:
    return paths.home / "intake" / "audit"


@dataclass
class _Head:
    path: Path | None = None
    size: int = -1
    seq: int = 0
    hash: str = GENESIS


class AuditLog:
    """Appends records to the chain under ``root``; ``clock`` gives the time (UTC) of each record."""

    def __init__(self, root: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.root = root
        self.clock = clock
        self._lock = threading.Lock()
        self._head = _Head()
        self._sync = GroupSync()  # concurrent appends of this process share one fsync

    @classmethod
    def for_home(cls, paths: Paths) -> AuditLog:
        return cls(audit_dir(paths))

    def record(self, op: str, status: int, *, identity: Identity | None = None, reason: str | None = None,
               credential: str | None = None, lg_codes: Iterable[Any] = (), submission_id: str | None = None,
               sha256: str | None = None, target: str | None = None, client: str | None = None) -> dict:
        """Append one event. ``op``: ``submit`` or ``read``; ``status``: the HTTP status answered; ``reason``: why
        (a refusal reason, a rule, ``accepted``); ``credential``: the kind presented when no identity resulted;
        ``target``: the id asked for (reads)."""
        codes = sorted({str(c)[:16] for c in lg_codes if c is not None})
        event = {
            "op": op, "status": int(status), "outcome": "ok" if int(status) < 400 else "refused",
            "reason": _text(reason),
            "who": identity.to_dict() if identity else {"kind": "anonymous", "credential": _text(credential)},
            "lg_codes": codes[:_MAX_CODES], "lg_code_count": len(codes),
            "submission_id": _text(submission_id), "sha256": _text(sha256), "target": _text(target),
            "client": _text(client),
        }
        return self.append(event)

    def append(self, event: dict) -> dict:
        """Chain ``event`` to the head and write it durably; returns the record written."""
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock_fd = os.open(self.root / ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                record, ticket = self._append_locked(event)
            finally:
                os.close(lock_fd)  # releases the flock
        self._sync.wait(ticket)  # durable before the caller answers (one fsync for the appends made meanwhile)
        return record

    def _append_locked(self, event: dict) -> tuple[dict, int]:
        now = self.clock().astimezone(UTC)
        newest = _files(self.root)[-1:] or [None]
        head, torn = self._read_head(newest[0])
        name = f"{now:%Y-%m-%d}.jsonl"
        path = self.root / max(name, head.path.name if head.path else name)  # never behind the newest file
        record = {"v": VERSION, "seq": head.seq + 1, "at": now.isoformat(timespec="microseconds"), **event,
                  "prev": head.hash}
        record["hash"] = record_hash(record)
        line = (b"\n" if torn and path == head.path else b"") + canonical(record) + b"\n"
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        ticket = self._sync.mark(path)
        if created:
            ticket = self._sync.mark(self.root)
        self._head = _Head(path, size, record["seq"], record["hash"])
        return record, ticket

    def _read_head(self, path: Path | None) -> tuple[_Head, bool]:
        """The last record (our cache when the newest file is as we left it) and whether the file ends torn."""
        if path is None:
            return _Head(), False
        size = path.stat().st_size
        if path == self._head.path and size == self._head.size:
            return self._head, False
        torn = False
        for span in (1 << 16, 1 << 20):  # the last 64 KiB hold the last record (another process's append)
            with open(path, "rb") as f:
                f.seek(max(0, size - span))
                tail = f.read(span)
            torn = bool(tail) and not tail.endswith(b"\n")
            lines = tail.splitlines()
            for raw in reversed(lines[1:] if size > span else lines):  # a cut first line is no record
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(rec, dict) and isinstance(rec.get("seq"), int) and isinstance(rec.get("hash"), str):
                    return _Head(path, size if not torn else -1, rec["seq"], rec["hash"]), torn
            if size <= span:
                break
        older = [p for p in _files(self.root) if p.name < path.name]
        head, _ = self._read_head(older[-1]) if older else (_Head(), False)
        return _Head(path, -1, head.seq, head.hash), torn


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if _NAME.match(p.name))


@dataclass
class Verification:
    records: int = 0
    files: int = 0
    head: str = GENESIS
    first_at: str | None = None
    last_at: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(root: Path) -> Verification:
    """Walk every file in order and check each record's hash, ``prev`` link and ``seq``; and the files' modes."""
    out = Verification()
    prev, seq = GENESIS, 0
    for path in _files(root):
        out.files += 1
        st = path.lstat()
        if not path.is_file() or path.is_symlink():
            out.problems.append(f"{path.name}: not a regular file")
            continue
        if st.st_mode & 0o077:
            out.problems.append(f"{path.name}: mode {oct(st.st_mode & 0o777)} (must be 0600)")
        with open(path, "rb") as f:
            for n, raw in enumerate(f, start=1):
                where = f"{path.name} line {n}"
                if not raw.endswith(b"\n"):
                    out.problems.append(f"{where}: torn record (no newline at the end)")
                try:
                    rec = json.loads(raw)
                except ValueError:
                    out.problems.append(f"{where}: not JSON")
                    continue
                if not isinstance(rec, dict):
                    out.problems.append(f"{where}: not a JSON object")
                    continue
                if rec.get("hash") != record_hash(rec):
                    out.problems.append(f"{where}: hash does not match the record (edited)")
                if rec.get("prev") != prev:
                    out.problems.append(f"{where}: prev does not link to the record before (removed or reordered)")
                if rec.get("seq") != seq + 1:
                    out.problems.append(f"{where}: seq {rec.get('seq')} after {seq}")
                at = str(rec.get("at", ""))
                if at[:10] > path.name[:10]:  # a clock set back writes on into the newest file
                    out.problems.append(f"{where}: recorded at {at[:32]!r}, after the file's day")
                prev = str(rec.get("hash"))
                seq = rec["seq"] if isinstance(rec.get("seq"), int) else seq + 1
                out.records += 1
                out.first_at = out.first_at or at
                out.last_at = at
    out.head = prev
    return out
