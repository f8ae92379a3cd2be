"""Group commit: one ``fsync`` covers the writes of every thread that wrote before it started.

A writer calls :meth:`GroupSync.mark` right after its write (the file or folder it changed) and then
:meth:`GroupSync.wait` with the number it got: that returns only once an ``fsync`` of that path began after the
write and succeeded. Threads that wrote while an ``fsync`` ran are covered by the next one, done once for all of
them (the intake's queue folder and audit log: concurrent requests share one ``fsync`` instead of one each).
Durability is not weakened: nobody returns before the ``fsync`` covering their write; a failed ``fsync`` fails
every write it was to cover (never retried into a false success: Linux may drop the dirty pages after an error).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


def fsync_path(path: str | Path) -> None:
    """Flush a file's bytes, or a folder's entries (a new name in it survives a power loss), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupSync:
    """Batches ``fsync`` calls of concurrent writers in one process (``sync`` is the flush, replaceable in tests)."""

    def __init__(self, sync: Callable[[Path], None] | None = None) -> None:
        self.sync = sync  # None: this module's ``fsync_path``, looked up at each flush
        self._lock = threading.Lock()  # guards the counters and the dirty paths
        self._done = threading.Condition(threading.Lock())
        self._written = 0  # writes marked so far
        self._synced = 0  # every write up to this number is durable
        self._failed: list[tuple[int, int]] = []  # (after, upto]: the writes a failed fsync was to cover
        self._syncing = False
        self._dirty: dict[Path, None] = {}

    def mark(self, path: Path) -> int:
        """Note a finished write to ``path``; the number to :meth:`wait` for."""
        with self._lock:
            self._written += 1
            self._dirty[Path(path)] = None
            return self._written

    def wait(self, ticket: int) -> None:
        """Return once write ``ticket`` is durable; raise ``OSError`` if the fsync meant to cover it failed."""
        with self._done:
            while True:
                if any(after < ticket <= upto for after, upto in self._failed):
                    raise OSError(f"fsync failed: write {ticket} may not be durable")
                if ticket <= self._synced:
                    return
                if self._syncing:
                    self._done.wait()
                    continue
                self._syncing = True
                after = self._synced
                with self._lock:
                    upto, dirty = self._written, list(self._dirty)
                    self._dirty.clear()
                self._done.release()
                try:
                    for path in dirty:
                        (self.sync or fsync_path)(path)
                except BaseException:
                    self._done.acquire()
                    self._failed.append((after, upto))
                    self._syncing = False
                    self._done.notify_all()
                    raise
                self._done.acquire()
                self._synced, self._syncing = upto, False
                self._done.notify_all()

    def durable(self, path: Path) -> None:
        """``mark`` + ``wait``: the write just made to ``path`` is durable when this returns."""
        self.wait(self.mark(path))
