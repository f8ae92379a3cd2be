"""Matching a handful or millions of addresses: the entry points the CLI, the HTTP API and the datasets use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from kiban.addresses import match, reference


def match_many(con: duckdb.DuckDBPyConnection, texts: Sequence[str], *, prepared: bool = False
               ) -> list[dict[str, Any]]:
    """Match ``texts`` in order; one dict of :data:`match.FIELDS` per text (``others`` a list)."""
    con.register("_address_input", pa.table({"id": pa.array(range(len(texts)), pa.int64()),
                                             "input": pa.array(list(texts), pa.string())}))
    try:
        match.run(con, "SELECT id, input FROM _address_input", prepared=prepared)
    finally:
        con.unregister("_address_input")
    cols = ", ".join(match.FIELDS)
    cur = con.execute(f"SELECT {cols} FROM address_matches ORDER BY id")
    return [dict(zip(match.FIELDS, row, strict=True)) for row in cur.fetchall()]


def prepare(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build the reference tables once on ``con`` (then call :func:`match_many` with ``prepared=True``)."""
    return reference.build(con)


class AddressService:
    """A matcher over the current views file: one connection with the reference tables, rebuilt when the
    lake publishes a new snapshot; requests are served one at a time on it (a lock), each in milliseconds."""

    def __init__(self, paths) -> None:
        import threading

        self.paths = paths
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple | None = None

    def _identity_now(self) -> tuple | None:
        import os

        try:
            st = os.stat(self.paths.views_db)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _open(self) -> duckdb.DuckDBPyConnection:
        from kiban.duck import connect
        from kiban.lake import attach_views

        con = connect()
        attach_views(con, self.paths)
        reference.build(con)
        return con

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The prepared connection (call with the lock held)."""
        ident = self._identity_now()
        if self._con is None or ident != self._identity:
            if ident is None:
                from kiban.duck import connect

                con = connect()
                reference.build(con)
            else:
                con = self._open()
            if self._con is not None:
                self._con.close()
            self._con, self._identity = con, ident
        return self._con

    def match(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        with self._lock:
            return match_many(self.connection(), texts, prepared=True)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Read-only SQL over the views (fixed statements of this package; values bound as parameters)."""
        with self._lock:
            cur = self.connection().execute(sql, list(params))
            return [d[0] for d in cur.description], cur.fetchall()

    def has(self, table: str) -> bool:
        with self._lock:
            return table in reference.available(self.connection())
