"""The landing folder ``KIBAN_HOME/landing/``: drop CSV (UTF-8 / CP932), XLSX (template) or JSON files.

Partially written files: a file is taken only when (a) its name does not start with ``.`` and does not end in
``.tmp`` / ``.part`` / ``.partial`` / ``.crdownload`` -- writers that can should write under such a name and
rename into place (atomic on one file system) -- and (b) its mtime is at least ``settle`` seconds old, so a
copy still in progress (which keeps touching the mtime) is left for the next tick. ``received_at`` of a landed
file is its mtime: the moment it finished landing.

After a file is archived (``RawArchive``) and has its receipt, it is removed from the landing folder: the
archive keeps the bytes, the receipt keeps the name. Files in sub-folders are ignored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiban.config import Paths

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
    return path.is_file() and not name.startswith(".") and not name.lower().endswith(IGNORED_SUFFIXES)


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


def take(paths: Paths, names: list[str] | None = None, *, settle: float = DEFAULT_SETTLE_SECONDS):
    """Archive the ready landing files (all, or those named), write receipts, remove them from landing.

    Returns the receipts (:class:`kiban.intake.receipts.Receipt`), in landing order.
    """
    from kiban.intake.batch import receive_file

    wanted = set(names) if names else None
    receipts = []
    for f in scan(paths, settle=settle):
        if wanted is not None and f.path.name not in wanted:
            continue
        receipts.append(receive_file(paths, f.path, channel="file", received_at=f.received_at))
        f.path.unlink(missing_ok=True)
    return receipts
