"""Serving-side access: a persistent read-only connection on the views file, and a small result cache.

:class:`ViewsReader` keeps one DuckDB connection per process on ``KIBAN_HOME/kiban.duckdb`` and reopens it when
the file changes (the lake swaps it atomically after every commit: a cheap ``os.stat`` per request compares
inode, size and mtime). Each request works on its own cursor. The views file is attached into a private
in-memory database, so DuckDB's per-path instance cache can never hand back the previous file.

:class:`IndicatorService` caches the municipal rows per (lake snapshot id, effective transaction time, effective
subject), so repeated requests cost a dictionary lookup, and so do most new ``as_of`` / ``subject`` values:

- the rows as known at T depend only on which versions arrived by T, so T is replaced by the last arrival at or
  before it (every T between two arrivals shares one entry); T before the first arrival is "nothing known yet",
  T after the last one is "now";
- a subject that names no ``subject_key`` (nor a ``subject/...`` prefix of one) selects nothing: every such
  subject shares one entry.

The "now" entry is recomputed in the background after ``ttl`` seconds (its ``generated_at`` moves with the
clock). Concurrent requests for the same missing entry wait for one computation. ``before_compute`` (set by the
HTTP layer) runs before each computation: the per-client budget of uncached work (a rate limit) raises there.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from kiban.config import Paths
from kiban.duck import connect
from kiban.indicators.catalogue import SOURCES
from kiban.indicators.compute import Rows, municipal_rows
from kiban.lake import Lake, attach_views, lake_directories

Identity = tuple[int, int, int]


class ViewsReader:
    """One read-only connection on the views file, reopened when the file is replaced."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.lake = Lake(paths)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: Identity | None = None
        self._facts: Facts = Facts.empty()
        self._cwd = ""
        self.opened = 0

    def identity(self) -> Identity | None:
        if self.lake.shared:  # a shared catalog: the newest snapshot id (one indexed query) is the identity
            head = self.lake.backend.head()
            return None if head is None else (head, 0, 0)
        try:
            st = os.stat(self.paths.views_db)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _open(self, ident: Identity) -> duckdb.DuckDBPyConnection:
        if self.lake.shared:
            con = self.lake.pinned_reader(ident[0])
        else:
            con = connect(extensions=("spatial",))
            attach_views(con, self.paths)
        con.execute("SET allowed_directories = ?", [lake_directories(self.paths)])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return con

    def cursor(self) -> tuple[duckdb.DuckDBPyConnection, Identity | None]:
        """A cursor on the current views file and that file's identity (None when there is no lake yet)."""
        ident = self.identity()
        with self._lock:
            if ident is None:
                self._con, self._identity, self._facts = None, None, Facts.empty()
                return connect(), None
            # DuckDB checks the views' relative paths against ``allowed_directories`` from the working directory
            # of the moment, so a process that changed its directory needs a connection locked down from there
            cwd = os.getcwd()
            if ident != self._identity or self._con is None or cwd != self._cwd:
                # the previous connection is dropped, not closed: cursors still in use keep it alive
                self._con, self._identity, self._cwd = self._open(ident), ident, cwd
                self._facts = Facts.read(self._con)
                self.opened += 1
            cur = self._con.cursor()
        cur.execute("USE views")
        return cur, ident

    def facts(self) -> Facts:
        """Snapshot id, arrival times and subjects of the current views file (read once per file)."""
        cur, _ = self.cursor()
        cur.close()
        with self._lock:
            return self._facts

    def last_modified(self) -> datetime:
        if self.lake.shared:  # the commit time of the snapshot served: the same on every replica
            ident = self.identity()
            return self.lake.backend.snapshot_time(ident[0]) if ident else datetime(1970, 1, 1, tzinfo=UTC)
        try:
            return datetime.fromtimestamp(os.stat(self.paths.views_db).st_mtime, UTC)
        except FileNotFoundError:
            return datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Facts:
    """What the cache key needs from one views file."""

    snapshot_id: int | None
    #: distinct received_at of the versions that take part (sorted)
    arrivals: tuple[datetime, ...]
    #: every subject_key and every ``a/b`` prefix of one
    subjects: frozenset[str]

    @classmethod
    def empty(cls) -> Facts:
        return cls(None, (), frozenset())

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Facts:
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                                           "UNION SELECT table_name FROM duckdb_tables()").fetchall()}
        snap = con.execute("SELECT snapshot_id FROM _kiban_snapshot").fetchone()[0] \
            if "_kiban_snapshot" in names else None
        if "report_versions" not in names:
            return cls(snap, (), frozenset())
        arrivals = tuple(r[0] for r in con.execute(
            "SELECT DISTINCT received_at FROM report_versions WHERE control <> '訓練' "
            "AND validation_status <> 'rejected' ORDER BY 1").fetchall())
        subjects: set[str] = set()
        for (key,) in con.execute("SELECT DISTINCT subject_key FROM report_versions "
                                  "WHERE subject_key IS NOT NULL").fetchall():
            parts = key.split("/")
            subjects.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        return cls(snap, arrivals, frozenset(subjects))

    def effective_time(self, as_known_at: str | None) -> str | None:
        """The last arrival at or before ``as_known_at`` (ISO), None for "now", :data:`BEFORE` before any."""
        if as_known_at is None:
            return None
        at = datetime.fromisoformat(as_known_at)
        i = bisect.bisect_right(self.arrivals, at)
        if i == len(self.arrivals):
            return None
        return BEFORE if i == 0 else self.arrivals[i - 1].isoformat()

    def effective_subject(self, subject: str | None) -> str | None:
        if subject is None or subject in self.subjects:
            return subject
        return NO_SUBJECT


#: cache keys for "before the first arrival" and "a subject that selects nothing"
BEFORE = "before-first-arrival"
NO_SUBJECT = "\x00no-such-subject"
_EPOCH = "1970-01-01T00:00:00+00:00"


@dataclass
class Computed:
    rows: dict[str, Rows]
    generated_at: datetime
    identity: Identity | None
    created: float
    #: rendered responses built from these rows (key: the request's normalised parameters), at most RENDERED
    rendered: OrderedDict = field(default_factory=OrderedDict)

    RENDERED = 256

    def rendering(self, key: tuple):
        """A rendered response kept for ``key``, or None."""
        hit = self.rendered.get(key)
        if hit is not None:
            self.rendered.move_to_end(key)
        return hit

    def remember(self, key: tuple, value) -> None:
        self.rendered[key] = value
        while len(self.rendered) > self.RENDERED:
            self.rendered.popitem(last=False)


class IndicatorService:
    """Municipal rows for every source, cached per lake snapshot, effective transaction time and subject."""

    def __init__(self, paths: Paths, ttl: float = 60.0, size: int = 32) -> None:
        self.reader = ViewsReader(paths)
        self.ttl = ttl
        self.size = size
        self._cache: OrderedDict[tuple, Computed] = OrderedDict()
        self._refreshing: set[tuple] = set()
        self._inflight: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()
        #: called before each computation (not for cache hits); may raise to refuse the work
        self.before_compute: Callable[[], None] | None = None
        self.computed = 0

    def key(self, as_known_at: str | None = None, subject: str | None = None) -> tuple:
        """The cache key: (snapshot id, effective time, effective subject)."""
        facts = self.reader.facts()
        return (facts.snapshot_id, self.reader.identity() if facts.snapshot_id is None else None,
                facts.effective_time(as_known_at), facts.effective_subject(subject))

    def rows(self, as_known_at: str | None = None, subject: str | None = None) -> Computed:
        """Cached rows; past the TTL the stale "now" entry is served while one thread recomputes."""
        key = self.key(as_known_at, subject)
        while True:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    if key[2] is not None or time.monotonic() - hit.created < self.ttl or key in self._refreshing:
                        return hit
                    self._refreshing.add(key)
                    break
                waiting = self._inflight.get(key)
                if waiting is None:
                    self._inflight[key] = threading.Event()
                    break
            waiting.wait(300)
        if hit is not None:
            threading.Thread(target=self._refresh, args=(key,), daemon=True).start()
            return hit
        try:
            if self.before_compute is not None:
                self.before_compute()
            return self._compute(key)
        finally:
            with self._lock:
                self._inflight.pop(key).set()

    def _refresh(self, key: tuple) -> None:
        try:
            self._compute(key)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _compute(self, key: tuple) -> Computed:
        _snap, _ident, at, subject = key
        at = _EPOCH if at == BEFORE else at
        cur, ident = self.reader.cursor()
        try:
            rows = municipal_rows(cur, SOURCES, at, subject)
        finally:
            cur.close()
        done = Computed(rows, datetime.now(UTC).replace(microsecond=0), ident, time.monotonic())
        with self._lock:
            self.computed += 1
            self._cache[key] = done
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return done

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """A read-only query on the current views file (fixed SQL from this package; values bound)."""
        cur, _ = self.reader.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()

    def has(self, relation: str) -> bool:
        rows = self.query("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [relation])
        return bool(rows and rows[0][0])


def service(request: Any) -> IndicatorService:
    """The indicator service of the app serving ``request``: app state, created with the app (``create_app``,
    or :func:`attach` for an app built by hand), never a process-wide singleton."""
    return request.app.state.indicators


def attach(app: Any, paths: Paths) -> IndicatorService:
    """Give ``app`` its own indicator service for ``paths`` (what ``create_app`` does)."""
    app.state.indicators = IndicatorService(paths)
    return app.state.indicators
