"""The landing folder ``KIBAN_HOME/landing/``: drop CSV (UTF-8 / CP932), XLSX (template) or JSON files.

Partially written files: a file is taken only when (a) its name does not start with ``.`` and does not end in
``.tmp`` / ``.part`` / ``.partial`` / ``.crdownload`` -- writers that can should write under such a name and
rename into place (atomic on one file system) -- and (b) its mtime is at least ``settle`` seconds old, so a
copy still in progress (which keeps touching the mtime) is left for the next tick. ``received_at`` of a landed
file is its mtime: the moment it finished landing.

After a file is archived (``RawArchive``) and durably queued (:mod:`kiban.intake.queue`), it is removed from the
landing folder: the archive keeps the bytes, the queue record the name. Files in sub-folders are ignored, and so
are symbolic links: the landing folder is a drop box, never a way to make Kiban read a file elsewhere.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiban.config import Paths
from kiban.intake.queue import IntakeQueue, Queued
from kiban.load import LoadResult
from registries.reports.safety import safe_filename

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")
DEFAULT_SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class LandingFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """Identity of this landed version of the file (name, size, mtime): the sensor cursor's unit."""
        return f"{self.path.name}|{self.size}|{self.mtime_ns}"

    @property
    def received_at(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, UTC)


def is_candidate(path: Path) -> bool:
    name = path.name
    return (not path.is_symlink() and path.is_file() and not name.startswith(".")
            and not name.lower().endswith(IGNORED_SUFFIXES))


def scan(paths: Paths, *, settle: float = DEFAULT_SETTLE_SECONDS, now: float | None = None) -> list[LandingFile]:
    """Files ready to take, oldest first."""
    folder = paths.landing
    if not folder.exists():
        return []
    limit = (time.time() if now is None else now) - settle
    out = []
    for p in folder.iterdir():
        if not is_candidate(p):
            continue
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if st.st_mtime <= limit:
            out.append(LandingFile(p, st.st_size, st.st_mtime_ns))
    return sorted(out, key=lambda f: (f.mtime_ns, f.path.name))


def take(paths: Paths, intake_queue: IntakeQueue, names: list[str] | None = None, *,
         settle: float = DEFAULT_SETTLE_SECONDS) -> list[Queued]:
    """Archive and durably queue the ready landing files (all, or those named), then remove them from landing.

    Returns the queue records, in landing order. A file is read through a descriptor opened without following
    links, so a link swapped in after the scan is not read either.
    """
    wanted = set(names) if names else None
    taken = []
    for f in scan(paths, settle=settle):
        if wanted is not None and f.path.name not in wanted:
            continue
        try:
            fd = os.open(f.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # gone, or a link put in its place
            continue
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
        taken.append(intake_queue.put_bytes(data, safe_filename(f.path.name), channel="landing",
                                            submitted_by=None, received_at=f.received_at))
        f.path.unlink(missing_ok=True)
    return taken


def ingest_landing(paths: Paths, names: list[str] | None = None, *, settle: float = DEFAULT_SETTLE_SECONDS
                   ) -> list[LoadResult]:
    """Take the ready landing files (all or ``names``) plus anything queued before, and load them as one batch."""
    from kiban.load.runner import run_batch
    from registries.reports.load import reports_source

    q = IntakeQueue(paths)
    take(paths, q, names, settle=settle)
    pending = q.pending()
    if not pending:
        return []
    q.attempt(pending)
    results = run_batch(paths, reports_source(), [p.arrival(q.archive) for p in pending])
    q.done([r.load_id for r in results])
    return results
