"""The storing process of ``kiban serve --workers N`` (保存専用プロセス): the intake writer on its own, at a lower CPU
priority, so that a flood of submissions gets the cores for accepting and the storing catches up afterwards.

``kiban serve --workers N`` starts it before the N HTTP processes and waits until it holds the writer lock
(``KIBAN_HOME/intake/writer.lock``): the HTTP processes then all accept (archive, queue durably, audit, answer)
and follow; this process recovers the queue, takes every record they queue and stores it through the one load
use case (the identity queued with each submission is checked again there). Nothing changes for durability:
a 202 still means the submission is on disk before the answer. If this process dies, an HTTP process takes the
lock over within seconds and stores from then on (at normal priority). It ends with its parent (SIGTERM).

``nice``: the Linux scheduler gives a process at nice 10 about a tenth of a core's share against one at 0 when
the cores are contended, and all of an idle core otherwise: a lone report is still stored within about a second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import sys
import threading

from kiban.config import Paths

log = logging.getLogger(__name__)

#: submissions per batch of the storing process (the Great Expectations suites cost ~13 s per batch whatever its
#: size, so a backlog is stored in larger batches than the in-process writer's)
MAX_BATCH = 5000


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the process that started it ends (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run(paths: Paths, nice: int) -> None:
    """Store the intake of ``paths`` until SIGTERM (or SIGINT)."""
    from kiban.intake.events import DagsterEvents
    from kiban.intake.service import IntakeService

    if nice:
        os.nice(nice)  # before any thread starts: DuckDB's and GE's threads inherit it
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    events = DagsterEvents(paths)
    service = IntakeService(paths, on_commit=events, watch_landing=True, adopt_others=True,
                            max_batch=MAX_BATCH).start()
    with contextlib.suppress(OSError):  # tell ``start`` (the pipe is closed after this line)
        os.write(sys.stdout.fileno(), b"ready writing\n" if service.writing else b"ready following\n")
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    try:
        stop.wait()
    finally:
        service.stop(timeout=5)  # a backlog stays queued on disk for the next start; no use waiting for it
        events.close()


def main() -> None:
    from kiban.config import paths as resolve_paths

    _die_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s kiban-intake-writer %(levelname)s %(message)s")
    run(resolve_paths(), int(os.environ.get("KIBAN_INTAKE_WRITER_NICE", "10")))


def start(paths: Paths, nice: int, timeout: float = 120.0) -> subprocess.Popen:
    """Start the storing process for ``paths`` and return once it has started its intake service (holding the
    writer lock, or following another process that already stores this home)."""
    env = {**os.environ, "KIBAN_HOME": str(paths.home), "KIBAN_INTAKE_WRITER_NICE": str(nice)}
    proc = subprocess.Popen([sys.executable, "-c", "from kiban.intake.writer import main; main()"], env=env,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else b""
    proc.stdout.close()
    if not line.startswith(b"ready"):
        proc.terminate()
        raise RuntimeError(f"the intake writer process did not start (exit {proc.poll()})")
    return proc
