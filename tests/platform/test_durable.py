"""Group commit (kiban.durable.GroupSync): nobody returns before an fsync that began after their write."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiban.durable import GroupSync


def test_each_write_returns_only_after_an_fsync_that_began_after_it_and_concurrent_writes_share_fsyncs(tmp_path):
    started: list[tuple[float, Path]] = []

    def slow_sync(path: Path) -> None:
        started.append((time.monotonic(), path))
        time.sleep(0.02)

    group = GroupSync(slow_sync)
    marked: dict[int, float] = {}
    returned: dict[int, float] = {}

    def write(i: int) -> None:
        ticket = group.mark(tmp_path)
        marked[i] = time.monotonic()
        group.wait(ticket)
        returned[i] = time.monotonic()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(returned) == 24
    for i in range(24):  # an fsync started after the write and before the return
        assert any(marked[i] <= at <= returned[i] for at, _ in started), i
    assert len(started) < 24  # shared: fewer fsyncs than writes


def test_a_failed_fsync_fails_every_write_it_was_to_cover_and_later_writes_succeed(tmp_path):
    fail = threading.Event()
    fail.set()

    def sync(path: Path) -> None:
        if fail.is_set():
            raise OSError(5, "Input/output error")

    group = GroupSync(sync)
    first, second = group.mark(tmp_path), group.mark(tmp_path / "x")
    with pytest.raises(OSError):
        group.wait(first)
    fail.clear()
    with pytest.raises(OSError):  # covered by the failed fsync: never a false success on a retry
        group.wait(second)
    group.durable(tmp_path)  # a new write after the failure is flushed again
