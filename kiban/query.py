"""Read-only SQL for analysts (``kiban sql``): the views file, or the catalog at a past time."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import duckdb

from kiban.config import Paths
from kiban.lake import Lake, lake_directories


def _lock_down(con: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """Restrict a reader to the lake's own files: no writes elsewhere, no network, no config changes."""
    con.execute("SET allowed_directories = ?", [lake_directories(paths)])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


@contextlib.contextmanager
def read_connection(paths: Paths, as_of: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    lake = Lake(paths)
    if as_of is None:
        con = lake.reader()
        try:
            _lock_down(con, paths)
            yield con
        finally:
            con.close()
    else:
        with lake.catalog_reader(as_of=as_of) as con:
            yield con


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def run(paths: Paths, sql: str, *, fmt: str = "table", as_of: str | None = None, max_rows: int = 40) -> str:
    """Run one read-only query and render it as ``table``, ``csv`` (with header) or ``json`` (records)."""
    with read_connection(paths, as_of) as con:
        rel = con.sql(sql)
        if rel is None:
            raise ValueError("kiban sql runs queries that return rows")
        if fmt == "table":
            return str(rel.limit(max_rows)) if max_rows else str(rel)
        columns = rel.columns
        rows = rel.fetchall()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in row] for row in rows])
        return buf.getvalue()
    if fmt == "json":
        records = [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        return json.dumps(records, ensure_ascii=False, indent=1)
    raise ValueError(f"unknown format {fmt!r} (table, csv, json)")
