"""The intake queue in PostgreSQL, shared by every replica of ``kiban serve`` (the cluster profile, ADR 0008).

A submission is queued once its row is committed (the HTTP answer says 202 after that): the row carries what
:mod:`kiban.intake.queue` keeps in a file -- content sha256, file name, channel, received_at, the submitter's
identity, attempts -- **and the bytes**, so any replica can process it whatever its local disk holds (the
processing replica puts them in its raw archive, content-addressed, before loading).

Claims: a replica takes a submission by holding a PostgreSQL *session* advisory lock on it
(``pg_try_advisory_lock``) on its own long-lived connection, for as long as it processes it; the row is deleted
after the batch committed its ledger row, then the lock is released. A replica that dies (kill -9, node lost)
loses its connection and with it its locks: another replica takes the submission; if the dead one had already
committed, the load finds the submission id in the ledger and only dequeues it (``ledger.recorded``). Two
replicas never process one submission at the same time. Attempts are counted in the row before processing, so
a submission that keeps killing replicas is processed alone, then quarantined (``kiban.intake.service``).

``KIBAN_INTAKE_QUEUE=postgres://...`` names the database; by default the lake catalog's database when the lake
is on PostgreSQL; otherwise the file queue of :mod:`kiban.intake.queue` (one process).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from kiban.intake.queue import SUBMISSION_ID, IntakeQueue, Queued, new_submission_id

QUEUE_ENV = "KIBAN_INTAKE_QUEUE"
TABLE = "kiban_intake_queue"
#: first key of every advisory lock taken here (the second is the submission's 32-bit hash)
LOCK_SPACE = 0x4B42  # "KB"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    submission_id text PRIMARY KEY,
    sha256 text NOT NULL,
    original_name text NOT NULL,
    source text NOT NULL,
    channel text NOT NULL,
    received_at timestamptz NOT NULL,
    submitted_by jsonb,
    attempts integer NOT NULL DEFAULT 0,
    body bytea NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {TABLE}_order ON {TABLE} (received_at, submission_id);
"""
_COLUMNS = "submission_id, sha256, original_name, source, channel, received_at, submitted_by, attempts"


def _lock_key(submission_id: str) -> int:
    """A stable signed 32-bit key per submission (collisions only delay a claim, never allow two)."""
    return int.from_bytes(hashlib.sha256(submission_id.encode()).digest()[:4], "big", signed=True)


class PgIntakeQueue:
    """Same interface as :class:`kiban.intake.queue.IntakeQueue`, plus :meth:`claim` / :meth:`release`."""

    shared = True

    def __init__(self, paths: Paths, dsn: str) -> None:
        self.paths = paths
        self.dsn = dsn
        self.archive = RawArchive(paths.raw)
        self._claims_con: Any = None
        self._claimed: set[str] = set()
        self._lock = threading.Lock()
        with self._connection() as con, con.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_SPACE])  # one schema creator at a time
            cur.execute(_SCHEMA)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg2

        con = psycopg2.connect(self.dsn, connect_timeout=10)
        try:
            with con:  # one transaction, committed on success
                yield con
        finally:
            con.close()

    def _claims(self) -> Any:
        """The connection that holds this process's claims (advisory locks live as long as it does)."""
        import psycopg2

        if self._claims_con is None or self._claims_con.closed:
            self._claims_con = psycopg2.connect(self.dsn, connect_timeout=10)
            self._claims_con.autocommit = True
            self._claimed.clear()
        return self._claims_con

    # -- queueing ----------------------------------------------------------------------------------------------
    def put_bytes(self, data: bytes, name: str, *, channel: str, submitted_by: Mapping[str, Any] | None,
                  received_at: datetime | None = None) -> Queued:
        raw = self.archive.put_bytes(data, original_name=name,
                                     source=f"{channel}:{(submitted_by or {}).get('lg_code', '')}")
        return self._queue(raw, data, channel, submitted_by, received_at)

    def put_file(self, path: Path, *, channel: str, received_at: datetime | None = None,
                 original_name: str | None = None) -> Queued:
        raw = self.archive.put_file(path, original_name=original_name, source=str(path))
        return self._queue(raw, raw.path.read_bytes(), channel, None, received_at)

    def _queue(self, raw: RawObject, data: bytes, channel: str, submitted_by: Mapping[str, Any] | None,
               received_at: datetime | None) -> Queued:
        import psycopg2

        at = (received_at or datetime.now(UTC)).astimezone(UTC)
        item = Queued(new_submission_id(), raw.sha256, raw.original_name, raw.source, channel, at.isoformat(),
                      dict(submitted_by) if submitted_by else None)
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"INSERT INTO {TABLE} ({_COLUMNS}, body) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s)",
                        [item.submission_id, item.sha256, item.original_name, item.source, item.channel, at,
                         json.dumps(item.submitted_by, ensure_ascii=False) if item.submitted_by else None,
                         psycopg2.Binary(data)])
        return item

    @staticmethod
    def _row(row: tuple) -> Queued:
        sid, sha, name, source, channel, received, who, attempts = row
        return Queued(sid, sha, name, source, channel, received.astimezone(UTC).isoformat(),
                      who if isinstance(who, dict) or who is None else json.loads(who), attempts)

    def get(self, submission_id: str) -> Queued | None:
        if not SUBMISSION_ID.fullmatch(submission_id):
            return None
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE submission_id = %s", [submission_id])
            row = cur.fetchone()
        return self._row(row) if row else None

    def pending(self) -> list[Queued]:
        """Every queued submission, oldest first (claimed by a replica or not)."""
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY received_at, submission_id")
            return [self._row(r) for r in cur.fetchall()]

    def waiting(self, submission_ids: list[str]) -> set[str]:
        """Which of these submissions are still queued."""
        if not submission_ids:
            return set()
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"SELECT submission_id FROM {TABLE} WHERE submission_id = ANY(%s)", [list(submission_ids)])
            return {r[0] for r in cur.fetchall()}

    # -- claims ------------------------------------------------------------------------------------------------
    def claim(self, limit: int, prefer: list[str] = ()) -> list[Queued]:
        """Take up to ``limit`` waiting submissions no other replica holds (``prefer`` first: the ones this
        replica accepted); their bytes are put in the local raw archive."""
        with self._lock:
            cur = self._claims().cursor()
            cur.execute(f"SELECT submission_id FROM {TABLE} ORDER BY (submission_id = ANY(%s)) DESC, received_at, "
                        f"submission_id LIMIT %s", [list(prefer), max(limit * 4, 16)])
            candidates = [r[0] for r in cur.fetchall() if r[0] not in self._claimed]
            got: list[str] = []
            for sid in candidates:
                if len(got) >= limit:
                    break
                cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_SPACE, _lock_key(sid)])
                if cur.fetchone()[0]:
                    got.append(sid)
            if not got:
                return []
            # re-read under the locks: a row another replica finished in the meantime is gone
            cur.execute(f"SELECT {_COLUMNS}, body FROM {TABLE} WHERE submission_id = ANY(%s)", [got])
            rows = {r[0]: r for r in cur.fetchall()}
            for sid in got:
                if sid not in rows:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, _lock_key(sid)])
            self._claimed.update(rows)
        out = []
        for sid in got:
            if sid in rows:
                row = rows[sid]
                item = self._row(row[:-1])
                if not self.archive.path_for(item.sha256).exists():
                    self.archive.put_bytes(bytes(row[-1]), original_name=item.original_name, source=item.source)
                out.append(item)
        return sorted(out, key=lambda q: (q.received_at, q.submission_id))

    def release(self, submission_ids: list[str]) -> None:
        """Give claims back without dequeuing (a platform failure: another replica, or this one, retries)."""
        with self._lock:
            if self._claims_con is None or self._claims_con.closed:
                return
            cur = self._claims_con.cursor()
            for sid in submission_ids:
                if sid in self._claimed:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, _lock_key(sid)])
                    self._claimed.discard(sid)

    def attempt(self, items: list[Queued]) -> None:
        """Count one more processing attempt for each (committed before the batch runs)."""
        if not items:
            return
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"UPDATE {TABLE} SET attempts = attempts + 1 WHERE submission_id = ANY(%s)",
                        [[i.submission_id for i in items]])
        for item in items:
            item.attempts += 1

    def done(self, submission_ids: list[str]) -> None:
        """Dequeue after the ledger rows committed, then release the claims."""
        if not submission_ids:
            return
        with self._connection() as con, con.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE submission_id = ANY(%s)", [list(submission_ids)])
        self.release(list(submission_ids))

    def close(self) -> None:
        with self._lock:
            if self._claims_con is not None and not self._claims_con.closed:
                self._claims_con.close()
            self._claims_con = None
            self._claimed.clear()


def queue_dsn(paths: Paths) -> str | None:
    """The PostgreSQL DSN of the shared intake queue, or None for the file queue (see the module doc)."""
    from kiban import lakeconfig

    url = (os.environ.get(QUEUE_ENV) or "").strip()
    if url:
        return lakeconfig.postgres_dsn(url)[0]
    lake = lakeconfig.backend(paths)
    return lake.postgres if lake.shared else None


def intake_queue(paths: Paths) -> IntakeQueue | PgIntakeQueue:
    """The intake queue this process uses: shared in PostgreSQL (cluster profile) or files under KIBAN_HOME."""
    dsn = queue_dsn(paths)
    return PgIntakeQueue(paths, dsn) if dsn else IntakeQueue(paths)
