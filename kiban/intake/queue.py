"""The intake's durable queue: a submission is queued once its bytes are archived and its record is on disk.

``KIBAN_HOME/intake/queue/<submission_id>.json`` (mode 0600) holds everything the load needs to process the
submission later, in this process or after a restart: the archived content (sha256), the file name, the
channel, when it was received and **who submitted it** (the authenticated identity). The record is written to a
temporary name, fsync'd, renamed and the folder fsync'd before the HTTP answer says 202; it is removed only
after the batch that processed it has committed its ledger row. A record that keeps failing (``attempts``) is
processed alone, then quarantined without processing, so one poison submission never blocks the queue.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from kiban.durable import GroupSync, fsync_path
from kiban.load.model import Arrival

SUBMISSION_ID = re.compile(r"sub_[0-9a-f]{32}")


def new_submission_id() -> str:
    return f"sub_{uuid.uuid4().hex}"


@dataclass
class Queued:
    """One queued submission (受付済・処理待ち)."""

    submission_id: str
    sha256: str
    original_name: str
    source: str
    channel: str
    received_at: str
    submitted_by: dict[str, Any] | None = None
    attempts: int = 0
    lg_codes: list[str] = field(default_factory=list)

    def arrival(self, archive: RawArchive) -> Arrival:
        path = archive.path_for(self.sha256)
        raw = RawObject(sha256=self.sha256, path=path, bytes=path.stat().st_size, original_name=self.original_name,
                        source=self.source, received_at=self.received_at, new=False)
        return Arrival(raw, channel=self.channel, submitted_by=self.submitted_by,
                       received_at=datetime.fromisoformat(self.received_at), load_id=self.submission_id)


class IntakeQueue:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.root = paths.home / "intake" / "queue"
        self.archive = RawArchive(paths.raw)
        self._lock = threading.Lock()
        self._folder = GroupSync()  # concurrent requests share the folder's fsync

    def _path(self, submission_id: str) -> Path:
        if not SUBMISSION_ID.fullmatch(submission_id):
            raise ValueError(f"not a submission id: {submission_id!r}")
        return self.root / f"{submission_id}.json"

    def _write(self, item: Queued, *, sync_dir: bool = True) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._path(item.submission_id)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(item), f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        if sync_dir:
            self._folder.durable(self.root)

    def put_bytes(self, data: bytes, name: str, *, channel: str, submitted_by: Mapping[str, Any] | None,
                  received_at: datetime | None = None) -> Queued:
        """Archive ``data`` and queue it durably; returns the queued record (its id is the receipt id)."""
        raw = self.archive.put_bytes(data, original_name=name, source=f"{channel}:{(submitted_by or {}).get('lg_code', '')}")
        return self._queue(raw, channel, submitted_by, received_at)

    def put_file(self, path: Path, *, channel: str, received_at: datetime | None = None,
                 original_name: str | None = None) -> Queued:
        raw = self.archive.put_file(path, original_name=original_name, source=str(path))
        return self._queue(raw, channel, None, received_at)

    def _queue(self, raw: RawObject, channel: str, submitted_by: Mapping[str, Any] | None,
               received_at: datetime | None) -> Queued:
        at = (received_at or datetime.now(UTC)).astimezone(UTC)
        item = Queued(new_submission_id(), raw.sha256, raw.original_name, raw.source, channel, at.isoformat(),
                      dict(submitted_by) if submitted_by else None)
        self._write(item)
        return item

    def get(self, submission_id: str) -> Queued | None:
        try:
            path = self._path(submission_id)
        except ValueError:
            return None
        try:
            return Queued(**json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None

    def pending(self) -> list[Queued]:
        """Every queued submission, oldest first (after a crash: what was accepted but not yet stored)."""
        if not self.root.exists():
            return []
        out = [q for p in self.root.glob("sub_*.json") if (q := self.get(p.stem)) is not None]
        return sorted(out, key=lambda q: (q.received_at, q.submission_id))

    def ids(self) -> set[str]:
        """The ids of every queued submission (names only: cheap enough to look often)."""
        if not self.root.exists():
            return set()
        return {name[:-5] for name in os.listdir(self.root)
                if name.endswith(".json") and SUBMISSION_ID.fullmatch(name[:-5])}

    def attempt(self, items: list[Queued]) -> None:
        """Count one more processing attempt for each (written before the batch runs)."""
        for item in items:
            item.attempts += 1
            self._write(item, sync_dir=False)  # each file fsync'd; the folder once for the batch
        if items:
            fsync_path(self.root)

    def done(self, submission_ids: list[str]) -> None:
        for sid in submission_ids:
            self._path(sid).unlink(missing_ok=True)
        if submission_ids and self.root.exists():
            fsync_path(self.root)
