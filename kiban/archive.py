"""The raw archive: every input kept exactly as received, content-addressed by sha256, never deleted.

Layout: ``raw/sha256/<aa>/<sha256>`` holds the bytes; ``<sha256>.json`` beside it lists every receipt
(original file name, source URL, received_at). Storing the same bytes twice keeps one copy and adds a receipt.
New content is fsync'd (file and folder) before ``put_*`` returns: the intake answers 202 only after that.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiban.durable import GroupSync, fsync_path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RawObject:
    sha256: str
    path: Path
    bytes: int
    original_name: str
    source: str
    received_at: str
    new: bool  # False when the same content was already archived


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def safe_name(name: str) -> str:
    """The last path component of an untrusted file name (``../../x`` -> ``x``); never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return base or "unnamed"


#: the archive's folders (``sha256/<aa>/``): concurrent arrivals share their folder fsyncs
_FOLDERS = GroupSync()

#: One receipts update at a time in this process (threads of ``kiban serve``); ``.receipts.lock`` for processes.
_RECEIPTS = threading.Lock()


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = root / "sha256"
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put_file(self, path: Path, *, original_name: str | None = None, source: str | None = None,
                 sha256: str | None = None) -> RawObject:
        """Archive a file (copied, the original is left alone)."""
        digest = sha256 or sha256_file(path)
        target = self.path_for(digest)
        new = not target.exists()
        if new:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            os.close(fd)
            shutil.copyfile(path, tmp)
            fsync_path(tmp)
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
            fsync_path(target.parent)
        return self._receipt(digest, target, original_name or path.name, source or str(path), new)

    def put_bytes(self, data: bytes, *, original_name: str, source: str) -> RawObject:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        new = not target.exists()
        if new:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # durable before anyone is told it was received (a 202, a removed landing file)
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
            _FOLDERS.durable(target.parent)
        return self._receipt(digest, target, original_name, source, new)

    def _receipt(self, digest: str, target: Path, original_name: str, source: str, new: bool) -> RawObject:
        obj = RawObject(
            sha256=digest, path=target, bytes=target.stat().st_size, original_name=safe_name(original_name),
            source=source, received_at=datetime.now(UTC).isoformat(), new=new,
        )
        meta_path = target.with_name(digest + ".json")
        receipt = asdict(obj)
        receipt["path"] = str(target)
        # read-modify-write under a lock (threads and processes): two arrivals of the same content at once each
        # keep their receipt, and each writes its own temporary file (they used to share one name per process)
        with _RECEIPTS, open(self.root / ".receipts.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            receipts = json.loads(meta_path.read_text()) if meta_path.exists() else []
            receipts.append(receipt)
            fd, tmp = tempfile.mkstemp(dir=meta_path.parent, prefix=f".{digest}.", suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(receipts, ensure_ascii=False, indent=1))
            os.replace(tmp, meta_path)
        return obj

    def receipts(self, sha256: str) -> list[dict]:
        meta_path = self.path_for(sha256).with_name(sha256 + ".json")
        return json.loads(meta_path.read_text()) if meta_path.exists() else []


class FetchLog:
    """Append-only log of files fetched for one source (``raw/fetched/<source>.jsonl``): the load queue.

    Fetch steps archive a file and log it; the load step processes every logged file whose sha256 has no
    load yet. Fetching and loading can therefore run (and fail, and be retried) separately.
    """

    def __init__(self, raw_root: Path, source: str) -> None:
        self.path = raw_root / "fetched" / f"{source}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, obj: RawObject, **extra: str) -> None:
        entry = {"sha256": obj.sha256, "original_name": obj.original_name, "source": obj.source,
                 "received_at": obj.received_at, **extra}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out
