"""Serving-side access: a persistent read-only connection on the views file, and a small result cache.

:class:`ViewsReader` keeps one DuckDB connection per process on ``KIBAN_HOME/kiban.duckdb`` and reopens it when
the file changes (the lake swaps it atomically after every commit: a cheap ``os.stat`` per request compares
inode, size and mtime). Each request works on its own cursor. The views file is attached into a private
in-memory database, so DuckDB's per-path instance cache can never hand back the previous file.

:class:`IndicatorService` caches the municipal rows per (views file identity, as_known_at, subject) for
``ttl`` seconds (freshness moves with the clock), so repeated requests cost a dictionary lookup.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
                con = connect()
                return con, None
            if ident != self._identity or self._con is None:
                # the previous connection is dropped, not closed: cursors still in use keep it alive
                self._con, self._identity = self._open(ident), ident
                self.opened += 1
            cur = self._con.cursor()
        cur.execute("USE views")
        return cur, ident

    def last_modified(self) -> datetime:
        if self.lake.shared:  # the commit time of the snapshot served: the same on every replica
            ident = self.identity()
            return self.lake.backend.snapshot_time(ident[0]) if ident else datetime(1970, 1, 1, tzinfo=UTC)
        try:
            return datetime.fromtimestamp(os.stat(self.paths.views_db).st_mtime, UTC)
        except FileNotFoundError:
            return datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Computed:
    rows: dict[str, Rows]
    generated_at: datetime
    identity: Identity | None
    created: float
    #: rendered responses built from these rows (key: the request's normalised parameters)
    rendered: dict = field(default_factory=dict)


class IndicatorService:
    """Municipal rows for every source, cached per views file, transaction time and subject."""

    def __init__(self, paths: Paths, ttl: float = 60.0, size: int = 32) -> None:
        self.reader = ViewsReader(paths)
        self.ttl = ttl
        self.size = size
        self._cache: OrderedDict[tuple, Computed] = OrderedDict()
        self._refreshing: set[tuple] = set()
        self._lock = threading.Lock()

    def rows(self, as_known_at: str | None = None, subject: str | None = None) -> Computed:
        """Cached rows; past the TTL (same views file) the stale entry is served while one thread recomputes."""
        ident = self.reader.identity()
        key = (ident, as_known_at, subject)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                if time.monotonic() - hit.created < self.ttl:
                    return hit
                if key in self._refreshing:
                    return hit
                self._refreshing.add(key)
        if hit is not None:
            threading.Thread(target=self._refresh, args=(key, as_known_at, subject), daemon=True).start()
            return hit
        return self._compute(as_known_at, subject)

    def _refresh(self, key: tuple, as_known_at: str | None, subject: str | None) -> None:
        try:
            self._compute(as_known_at, subject)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _compute(self, as_known_at: str | None, subject: str | None) -> Computed:
        cur, ident = self.reader.cursor()
        try:
            rows = municipal_rows(cur, SOURCES, as_known_at, subject)
        finally:
            cur.close()
        done = Computed(rows, datetime.now(UTC).replace(microsecond=0), ident, time.monotonic())
        with self._lock:
            self._cache[(ident, as_known_at, subject)] = done
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return done

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """A read-only query on the current views file (fixed SQL from this package only)."""
        cur, _ = self.reader.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()

    def has(self, relation: str) -> bool:
        rows = self.query("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [relation])
        return bool(rows and rows[0][0])


_SERVICES: dict[str, IndicatorService] = {}
_SERVICES_LOCK = threading.Lock()


def service(paths: Paths) -> IndicatorService:
    """The process-wide service for one KIBAN_HOME."""
    with _SERVICES_LOCK:
        key = str(paths.home)
        if key not in _SERVICES:
            _SERVICES[key] = IndicatorService(paths)
        return _SERVICES[key]
