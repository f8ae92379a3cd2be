"""The HTTP server's background writer: submissions queue up and are stored in batches (one thread).

While one batch is being validated and committed, new submissions accumulate; the next batch takes all of them
(up to ``max_batch``), so throughput grows with load while a lone submission is stored within about a second.
The HTTP answer does not wait for the batch (unless asked with ``?wait=true``): the submission is already
archived with its receipt, and receipts left ``received`` (a crash) are re-queued when the batcher starts.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from kiban.config import Paths
from kiban.intake.batch import BatchResult, Incoming, process_batch
from kiban.intake.receipts import Receipt, ReceiptStore

log = logging.getLogger(__name__)


@dataclass
class Ticket:
    """Completion of one queued submission (``receipt`` is final once ``done`` is set)."""

    incoming: Incoming
    done: threading.Event = field(default_factory=threading.Event)
    receipt: Receipt | None = None


class Batcher:
    def __init__(self, paths: Paths, *, max_batch: int = 2000, linger: float = 0.05) -> None:
        self.paths = paths
        self.max_batch = max_batch
        self.linger = linger
        self.queue: queue.Queue[Ticket] = queue.Queue()
        self.batches: list[dict] = []
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Batcher:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                for r in ReceiptStore(self.paths).pending(channel="api"):
                    self.queue.put(Ticket(Incoming(r)))
                self._thread = threading.Thread(target=self._run, name="kiban-intake-batcher", daemon=True)
                self._thread.start()
        return self

    def submit(self, incoming: Incoming) -> Ticket:
        ticket = Ticket(incoming)
        self.queue.put(ticket)
        self.start()
        return ticket

    def idle(self) -> bool:
        return self.queue.empty() and not self._busy.is_set()

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until everything queued so far is stored."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.idle():
                return True
            time.sleep(0.02)
        return False

    def _drain(self) -> list[Ticket]:
        first = self.queue.get()
        self._busy.set()
        time.sleep(self.linger)
        tickets = [first]
        while len(tickets) < self.max_batch:
            try:
                tickets.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return tickets

    def _run(self) -> None:
        while True:
            tickets = self._drain()
            try:
                result = self._process(tickets)
                by_id = {r.submission_id: r for r in result.receipts}
                for t in tickets:
                    t.receipt = by_id.get(t.incoming.receipt.submission_id, t.incoming.receipt)
                    t.done.set()
            finally:
                self._busy.clear()

    def _process(self, tickets: list[Ticket]) -> BatchResult:
        for attempt in range(3):
            try:
                result = process_batch(self.paths, [t.incoming for t in tickets])
                self.batches.append({"batch_id": result.batch_id, "submissions": len(tickets),
                                     "seconds": result.seconds, "finished": time.time()})
                return result
            except Exception:  # a platform failure: receipts stay 'received' (pending) and are retried
                log.exception("intake batch failed (attempt %d)", attempt + 1)
                time.sleep(1 + attempt)
        return BatchResult("failed", [t.incoming.receipt for t in tickets])


_BATCHERS: dict[str, Batcher] = {}
_GLOBAL = threading.Lock()


def get_batcher(paths: Paths) -> Batcher:
    """The one batcher of this process for ``paths`` (created on first use)."""
    with _GLOBAL:
        key = str(paths.home)
        if key not in _BATCHERS:
            _BATCHERS[key] = Batcher(paths)
        return _BATCHERS[key]
