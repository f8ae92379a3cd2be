"""The intake service (報告受付サービス): the long-lived process that stores municipal reports within seconds.

It owns the durable queue (:mod:`kiban.intake.queue`) and one writer thread. HTTP submissions and files taken
from the landing folder are queued durably first; the writer takes everything waiting (up to ``max_batch``) and
loads it through the one load use case (:func:`kiban.load.runner.run_batch` with the reports source): while
one batch commits, the next fills, so throughput grows with load while a lone report is stored within about
a second. After each commit ``on_commit`` is called (the HTTP app records the lake write in Dagster).

Started by the HTTP app's lifespan (or ``kiban intake``), it first recovers what a previous process queued but
did not store. A submission already in the ledger (killed after the commit) is only dequeued; one that failed
``POISON_ALONE`` times is retried alone; one that failed ``POISON_LIMIT`` times is quarantined unprocessed.

Several intake processes on one machine (``kiban serve --workers N``, the file queue): every process accepts --
archives, queues durably, answers -- but only one stores: the one holding the writer lock
(``KIBAN_HOME/intake/writer.lock``, an ``flock`` released when its holder dies). The writer also takes the queue
records the other processes wrote (it lists the queue folder between batches); the others settle their tickets
when their submission's record leaves the queue, and take the lock over (recovering the queue) if the writer
dies. Their immediate ``duplicate`` answer knows only content loaded before they started (the load decides).

In the cluster profile the queue is shared by every replica (:mod:`kiban.intake.pgqueue`): the writer claims
waiting submissions -- its own first, then any other replica's -- so a submission accepted by one replica may
be stored by another, and nothing one replica needs lives only in another. A ``?wait=true`` request whose
submission another replica stored is answered without the final status (the receipt has it).
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiban.config import Paths
from kiban.intake import landing
from kiban.intake.pgqueue import intake_queue
from kiban.intake.queue import Queued
from kiban.load import LoadResult, ledger
from kiban.load.runner import record_unprocessed, run_batch

log = logging.getLogger(__name__)

POISON_ALONE = 2
POISON_LIMIT = 4
_FINISHED = 10_000  # tickets of stored submissions kept for a late submit() of the same record (bounded)


@dataclass
class Ticket:
    """Completion of one queued submission (``result`` is final once ``done`` is set)."""

    queued: Queued
    done: threading.Event = field(default_factory=threading.Event)
    result: LoadResult | None = None
    dispatched: bool = False  # handed to this process's writer (a follower's tickets are not, until it takes over)


class IntakeService:
    def __init__(self, paths: Paths, *, max_batch: int = 2000, linger: float = 0.05, watch_landing: bool = False,
                 landing_interval: float = 0.5, on_commit: Callable[[list[LoadResult]], None] | None = None,
                 source_factory: Callable[[], Any] | None = None, adopt_others: bool = False) -> None:
        self.paths = paths
        #: the writer also stores the queue records other intake processes of this home wrote. It does so while a
        #: follower is registered (``intake/followers/``; ``kiban serve --workers N``) or when this is set; never
        #: otherwise, since the queue then holds only its own records and those a one-shot ``kiban intake`` is
        #: storing itself (two storers of one record would race for the lake)
        self.adopt_others = adopt_others
        self._follower_mark: Path | None = None
        self.queue = intake_queue(paths)
        self.shared = getattr(self.queue, "shared", False)
        self.poll = 0.2  # seconds between looks at the shared queue when this replica has no work of its own
        self.max_batch, self.linger = max_batch, linger
        self.watch_landing, self.landing_interval = watch_landing, landing_interval
        self.on_commit = on_commit
        self._source_factory = source_factory
        self._work: queue.Queue[Ticket] = queue.Queue()
        self._tickets: dict[str, Ticket] = {}
        self._finished: OrderedDict[str, Ticket] = OrderedDict()
        self._waiting_sha: dict[str, dict[str, None]] = {}  # sha256 -> ids of waiting tickets with that content
        self._tickets_lock = threading.Lock()
        self.follow_interval = 0.5  # seconds between a follower's looks at the queue folder
        self.scan_interval = 0.5  # seconds between looks at the queue folder for other processes' records
        self._last_scan = 0.0
        self._writer_fd: int | None = None
        #: this process stores (holds the writer lock; always true in the cluster profile)
        self.writing = self.shared
        self._busy = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.recent: deque[dict[str, Any]] = deque(maxlen=200)  # the last batches, for /v1/health and benches
        #: sha256 -> first load id of report content already loaded: the immediate "duplicate" answer without
        #: reading the ledger per request (the load itself re-checks the ledger, authoritatively)
        self.loaded: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> IntakeService:
        """Recover what was queued before (a crash, a restart), then start the writer (and landing watcher) --
        or, when another process holds the writer lock, follow it until it stores what this one accepted."""
        if self._threads:
            return self
        self._stop.clear()
        if self.shared or self._take_writer_lock():
            self._start_writing()
        else:
            self._register_follower()
            self._threads = [threading.Thread(target=self._follow, name="kiban-intake-follower", daemon=True)]
            self._threads[0].start()
        return self

    def _followers(self) -> Path:
        return self.paths.home / "intake" / "followers"

    def _register_follower(self) -> None:
        """Tell the writer that this process accepts records it must take from the queue folder."""
        folder = self._followers()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._follower_mark = folder / f"{os.getpid()}-{id(self):x}"
        self._follower_mark.touch()

    def _unregister_follower(self) -> None:
        if self._follower_mark is not None:
            self._follower_mark.unlink(missing_ok=True)
            self._follower_mark = None

    def _followers_present(self) -> bool:
        try:
            with os.scandir(self._followers()) as entries:
                return any(True for _ in entries)
        except FileNotFoundError:
            return False

    def _take_writer_lock(self) -> bool:
        """The writer lock of this KIBAN_HOME (file queue): held for the life of the process, or not taken."""
        folder = self.paths.home / "intake"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder / "writer.lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._writer_fd = fd
        return True

    def _start_writing(self) -> None:
        # content loaded before (the immediate duplicate answer; in the cluster profile another replica's loads
        # are found by the load itself, which records the duplicate)
        self.loaded = ledger.processed(self.paths, "reports", ("loaded",))
        pending = [] if self.shared else self.queue.pending()  # shared: claimed like any waiting submission
        stored = {r["load_id"] for r in ledger.rows(self.paths, [q.submission_id for q in pending])}
        if stored:
            self.queue.done(sorted(stored))
        self.writing = True  # from here every hand-in goes to the writer; earlier ones are found by _adopt
        for q in pending:
            if q.submission_id in stored:
                self._settle(q.submission_id)
            else:
                self._enqueue(q)
        on_disk = self.queue.ids() if not self.shared else None
        with self._tickets_lock:  # a follower's tickets whose records the old writer already stored
            gone = [] if on_disk is None else [
                sid for sid, t in self._tickets.items() if not t.dispatched and sid not in on_disk]
        for sid in gone:
            self._settle(sid)
        threads = [threading.Thread(target=self._run, name="kiban-intake-writer", daemon=True)]
        if self.watch_landing:
            threads.append(threading.Thread(target=self._watch, name="kiban-landing-watcher", daemon=True))
        self._threads.extend(threads)
        for t in threads:
            t.start()

    def _follow(self) -> None:
        """Not the writer: settle this process's tickets once their records leave the queue (stored by the
        writer); take the writer lock over when its holder is gone."""
        tries, interval = 0, self.follow_interval
        while not self._stop.wait(interval):
            try:
                with self._tickets_lock:
                    open_ids = list(self._tickets)
                if open_ids:
                    t0 = time.monotonic()
                    waiting = self.queue.ids()
                    # a backlog of 10,000s of names: list it less often (at most ~5% of a core, not a core's tenth)
                    interval = max(self.follow_interval, 20 * (time.monotonic() - t0))
                    for sid in open_ids:
                        if sid not in waiting:
                            self._settle(sid)
                tries += 1
                if tries % 5 == 0 and self._take_writer_lock():
                    log.warning("the intake writer is gone: this process (%d) stores from now on", os.getpid())
                    self._unregister_follower()
                    self.adopt_others = True  # several processes serve this home: take what they queue
                    self._start_writing()
                    return
            except Exception:  # noqa: BLE001 - following must go on; the submissions are on disk
                log.exception("following the intake writer failed")

    def _settle(self, submission_id: str) -> None:
        """A submission stored elsewhere (another process, before a restart): its ticket is done, no result."""
        with self._tickets_lock:
            t = self._untrack(submission_id)
        if t is not None:
            t.done.set()

    def stop(self, timeout: float = 30.0) -> None:
        if self.writing:  # a follower stores nothing: waiting would only hold up the shutdown (all is on disk)
            self.flush(timeout)
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self._threads = []
        if self.shared:
            self.queue.close()
        self._unregister_follower()
        if self._writer_fd is not None:
            os.close(self._writer_fd)  # releases the writer lock
            self._writer_fd = None
            self.writing = False

    # -- submissions -------------------------------------------------------------------------------------------
    def _enqueue(self, q: Queued) -> Ticket:
        """The ticket of ``q`` (one per submission id, however often it is handed in), given to the writer once
        when this process writes (a follower's open tickets are given when it takes over, or found by ``_adopt``)."""
        with self._tickets_lock:
            ticket = self._tickets.get(q.submission_id) or self._finished.get(q.submission_id)
            if ticket is None:
                ticket = self._tickets[q.submission_id] = Ticket(q)
                self._waiting_sha.setdefault(q.sha256, {})[q.submission_id] = None
            if ticket.done.is_set() or ticket.dispatched or not self.writing:
                return ticket
            ticket.dispatched = True
        self._work.put(ticket)
        return ticket

    def submit(self, q: Queued) -> Ticket:
        """Hand a durably queued submission to the writer (this process's, or the writer process's by the queue)."""
        return self._enqueue(q)

    def ticket(self, submission_id: str) -> Ticket | None:
        return self._tickets.get(submission_id) or self._finished.get(submission_id)

    def duplicate_of(self, q: Queued) -> str | None:
        """The id of earlier content equal to ``q``'s: loaded before, or waiting in this service."""
        if q.sha256 in self.loaded:
            return self.loaded[q.sha256]
        with self._tickets_lock:  # an index, not a walk over every waiting ticket (a backlog is 10,000s)
            return next((sid for sid in self._waiting_sha.get(q.sha256, ()) if sid != q.submission_id), None)

    def _untrack(self, submission_id: str) -> Ticket | None:
        """Forget a waiting ticket (the caller holds ``_tickets_lock``)."""
        t = self._tickets.pop(submission_id, None)
        if t is not None:
            same = self._waiting_sha.get(t.queued.sha256, {})
            same.pop(submission_id, None)
            if not same:
                self._waiting_sha.pop(t.queued.sha256, None)
        return t

    def idle(self) -> bool:
        if not self.writing:  # every submission accepted here was stored by the writer process
            return not self._tickets
        if self.shared:  # every submission accepted here is stored (here or by another replica)
            return self._work.empty() and not self._busy.is_set() and not self._tickets
        return self._work.empty() and not self._busy.is_set()

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until everything queued so far is stored."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.idle():
                return True
            time.sleep(0.02)
        return False

    # -- the writer ----------------------------------------------------------------------------------------------
    def _source(self) -> Any:
        if self._source_factory is not None:
            return self._source_factory()
        from registries.reports.load import reports_source

        return reports_source()

    def _adopt(self) -> None:
        """Queue records written by the other intake processes of this home (oldest first), at most every
        ``scan_interval`` seconds. Runs in the writer thread, so a record being stored is always in ``_tickets``."""
        now = time.monotonic()
        if now - self._last_scan < self.scan_interval:
            return
        self._last_scan = now
        if not (self.adopt_others or self._followers_present()):
            return
        with self._tickets_lock:
            known = {sid for sid, t in self._tickets.items() if t.dispatched} | set(self._finished)
            mine = {sid: t.queued for sid, t in self._tickets.items() if not t.dispatched}
        found = [q for sid in self.queue.ids() - known if (q := mine.get(sid) or self.queue.get(sid)) is not None]
        for q in sorted(found, key=lambda q: (q.received_at, q.submission_id)):
            self._enqueue(q)

    def _drain(self) -> list[Ticket]:
        self._adopt()
        try:
            first = self._work.get(timeout=self.scan_interval)
        except queue.Empty:
            return []
        self._busy.set()
        time.sleep(self.linger)
        self._adopt()
        tickets = [first]
        while len(tickets) < self.max_batch:
            try:
                tickets.append(self._work.get_nowait())
            except queue.Empty:
                break
        return tickets

    def _drain_shared(self) -> list[Ticket]:
        """Claim waiting submissions of the shared queue: this replica's own first, then anyone's."""
        local: list[Ticket] = []
        try:
            local.append(self._work.get(timeout=self.poll))
            time.sleep(self.linger)
            while True:
                local.append(self._work.get_nowait())
        except queue.Empty:
            pass
        self._busy.set()
        mine = {t.queued.submission_id: t for t in local}
        claimed = self.queue.claim(self.max_batch, prefer=list(mine))
        tickets = []
        for q in claimed:
            t = self._tickets.get(q.submission_id) or Ticket(q)
            t.queued = q  # the shared row's attempts
            tickets.append(t)
        self._settle_elsewhere({sid for sid in self._tickets if sid not in {q.submission_id for q in claimed}})
        if not tickets:
            self._busy.clear()
        return tickets

    def _settle_elsewhere(self, open_ids: set[str]) -> None:
        """Local tickets whose submission left the shared queue were stored by another replica: done."""
        if not open_ids:
            return
        for sid in open_ids - self.queue.waiting(sorted(open_ids)):
            with self._tickets_lock:
                t = self._untrack(sid)
            if t is not None:
                t.done.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tickets = self._drain_shared() if self.shared else self._drain()
            except Exception:  # noqa: BLE001 - the shared queue is unreachable: the submissions wait there
                log.exception("claiming from the shared intake queue failed")
                self._busy.clear()
                time.sleep(1.0)
                continue
            if not tickets:
                continue
            try:
                self._process(tickets)
            except Exception:  # noqa: BLE001 - a platform failure: the submissions stay queued on disk
                log.exception("intake batch failed; %d submissions stay queued and are retried", len(tickets))
                time.sleep(1.0)
                if self.shared:  # give the claims back: any replica retries them
                    self.queue.release([t.queued.submission_id for t in tickets])
                else:
                    for t in tickets:
                        self._work.put(t)
            finally:
                self._busy.clear()

    def _process(self, tickets: list[Ticket]) -> None:
        source = self._source()
        hopeless = [t for t in tickets if t.queued.attempts >= POISON_LIMIT]
        alone = [t for t in tickets if POISON_ALONE <= t.queued.attempts < POISON_LIMIT]
        together = [t for t in tickets if t.queued.attempts < POISON_ALONE]
        if hopeless:
            errors = [{"file": t.queued.original_name, "row": None, "column": None, "rule": "repeatedly_failed",
                       "value": None, "message": f"processing failed {t.queued.attempts} times (the process died "
                                                 "or the lake refused it); kept unprocessed for review"}
                      for t in hopeless]
            results = record_unprocessed(self.paths, source, [
                (t.queued.arrival(self.queue.archive), [e]) for t, e in zip(hopeless, errors, strict=True)])
            self._finish(hopeless, results)
        for group in ([together] if together else []) + [[t] for t in alone]:
            self.queue.attempt([t.queued for t in group])
            t0 = time.perf_counter()
            results = run_batch(self.paths, source, [t.queued.arrival(self.queue.archive) for t in group])
            self.recent.append({"submissions": len(group), "seconds": round(time.perf_counter() - t0, 3),
                                "finished": time.time()})
            self._finish(group, results)

    def _finish(self, tickets: Sequence[Ticket], results: Sequence[LoadResult]) -> None:
        self.queue.done([r.load_id for r in results])
        for r in results:
            if r.status == "loaded":
                self.loaded.setdefault(r.sha256, r.load_id)
        for t, r in zip(tickets, results, strict=True):
            t.result = r
            with self._tickets_lock:
                self._untrack(t.queued.submission_id)
                self._finished[t.queued.submission_id] = t
                while len(self._finished) > _FINISHED:
                    self._finished.popitem(last=False)
            t.done.set()
        if self.on_commit is not None:
            try:
                self.on_commit(list(results))
            except Exception:  # noqa: BLE001 - recording the event must never lose or block a report
                log.exception("on_commit hook failed")

    # -- the landing folder --------------------------------------------------------------------------------------
    def take_landing(self) -> list[Ticket]:
        """Queue the ready landing files (archived with their receipt first, then removed from landing)."""
        return [self.submit(q) for q in landing.take(self.paths, self.queue)]

    def _watch(self) -> None:
        while not self._stop.wait(self.landing_interval):
            try:
                self.take_landing()
            except Exception:  # noqa: BLE001
                log.exception("taking landing files failed")
