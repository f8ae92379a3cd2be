"""Read-only SQL for analysts (``kiban sql``): the views file, or the catalog at a past time (``--as-of``).

Two layers keep it read-only, in both modes:

1. **Statements.** DuckDB's own parser splits the text into statements; only ``SELECT`` (with ``FROM``-first,
   ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, ``PRAGMA show_*``) and ``EXPLAIN`` run. ``COPY``, ``EXPORT``,
   ``ATTACH``, ``SET``, ``INSTALL``/``LOAD``, ``CREATE``, ``INSERT`` ... are refused before anything runs
   (:class:`ReadOnlyError`).
2. **The connection.** User SQL runs on views over Parquet files only (``--as-of``: views built from the
   snapshot's file list, then the DuckLake catalog is detached, so its file-deleting maintenance functions are
   gone), on a DuckDB connection with ``enable_external_access = false``, ``allowed_paths`` = exactly the files
   under ``KIBAN_HOME/lake/data`` (no directory, so no new file can be created anywhere) and
   ``lock_configuration = true`` (no setting can be changed back). Extensions are loaded before the lock, from
   the pip packages; nothing is installed or auto-loaded.

Spatial (``ST_*``) is loaded only when the query needs it: when the text mentions ``ST_`` or ``GEOMETRY``, or
when DuckDB answers that a function or type is missing (then the query is run once more with spatial). This keeps
``kiban sql "select count(*) from corporations"`` at a fraction of a second (``bench/bench_cold_start.py``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from kiban.config import Paths
from kiban.duck import connect, quote_literal

#: Statement types that only read (``duckdb.StatementType`` names).
READ_TYPES = frozenset({"SELECT", "EXPLAIN"})
SCRATCH = "kiban_scratch"
SNAPSHOT = "kiban_as_of"
_SPATIAL_HINT = re.compile(r"\bST_\w+|\bGEOMETRY\b|\bWKB_BLOB\b|\bPOINT_2D\b", re.IGNORECASE)
_MISSING = re.compile(r"(Scalar|Table|Aggregate) Function with name \w+ does not exist|Type with name \w+ does not "
                      r"exist", re.IGNORECASE)


class ReadOnlyError(duckdb.PermissionException):
    """A statement that would write or reconfigure (COPY, CREATE, ATTACH, SET, ...): ``kiban sql`` only reads."""


def read_only_statements(sql: str) -> list[tuple[str, str]]:
    """``(type, text)`` of each statement of ``sql``, or :class:`ReadOnlyError` naming the first that would write."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise ValueError("no SQL statement given")
    for st in statements:
        kind = st.type.name
        if kind not in READ_TYPES:
            text = " ".join(st.query.split())
            text = text if len(text) <= 60 else text[:57] + "..."
            raise ReadOnlyError(
                f"kiban sql is read-only: {kind} statements are not run ({text!r}); use SELECT, and "
                "--format csv|json > FILE to export")
    return [(st.type.name, st.query) for st in statements]


def readable_files(paths: Paths) -> list[str]:
    """Every file under the lake's data folder: the only paths a user query may open (read)."""
    root = paths.lake_data.resolve()
    home = paths.home.resolve()
    out = []
    for folder, _dirs, files in os.walk(root):
        for f in files:
            full = os.path.join(folder, f)
            # as the views write them: relative to KIBAN_HOME (file_search_path), and absolute
            out += [full, os.path.relpath(full, home)]
    return out


def remote_data(paths: Paths) -> list[str]:
    """The lake's data prefix on object storage (cluster profile: ``s3://bucket/prefix/``), else nothing."""
    from kiban import lakeconfig

    data = lakeconfig.backend(paths).data_path
    return [data] if "://" in data else []


def sandbox(con: duckdb.DuckDBPyConnection, readable: list[str], prefixes: list[str] | None = None) -> None:
    """No file access but ``readable`` (and the object-storage ``prefixes`` of the lake's data), no other network,
    no extension loading, and no setting may change afterwards."""
    # literal lists, not bound parameters: DuckDB imports pandas to convert Python parameters (+1 s start-up);
    # the paths come from os.walk over the lake (or the configured data prefix), not from the user
    con.execute(f"SET allowed_directories = [{', '.join(quote_literal(p) for p in prefixes or [])}]")
    con.execute(f"SET allowed_paths = [{', '.join(quote_literal(p) for p in readable)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET allow_community_extensions = false")
    con.execute("SET lock_configuration = true")


def _views_connection(paths: Paths, spatial: bool) -> duckdb.DuckDBPyConnection:
    """The views file attached read-only; when it is missing or stale (a writer died between its commit and its
    views), views over the catalog's current snapshot instead (:meth:`kiban.lake.Lake.reader` decides)."""
    if not paths.views_db.exists() or (paths.lake / ".views-stale").exists():
        from kiban.lake import Lake

        con = Lake(paths).reader(spatial=spatial)  # NoKibanData when there is no lake
        if con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'lake'").fetchone()[0]:
            _snapshot_views(con)
        return con
    # a fresh in-memory database with the views file attached: DuckDB caches instances by path within a process
    con = connect(extensions=("spatial",) if spatial else ())
    # the views' relative paths resolve against the home (a literal: a bound parameter makes DuckDB import pandas)
    con.execute(f"SET GLOBAL file_search_path = {quote_literal(str(paths.home))}")
    con.execute(f"ATTACH {quote_literal(str(paths.views_db))} AS views (READ_ONLY)")
    con.execute("USE views")
    return con


def _scratch(con: duckdb.DuckDBPyConnection) -> None:
    """An in-memory database for the result head (not the temp schema: SHOW TABLES would list it)."""
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")


@contextlib.contextmanager
def read_connection(paths: Paths, as_of: str | None = None, *, spatial: bool = True
                    ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sandboxed connection: the views file (current state) or the DuckLake catalog at ``as_of``."""
    if as_of is None:
        con = _views_connection(paths, spatial)
        try:
            _scratch(con)
            sandbox(con, readable_files(paths), remote_data(paths))
            yield con
        finally:
            con.close()
    else:
        from kiban.lake import Lake

        with Lake(paths).catalog_reader(as_of=as_of) as con:  # ducklake + spatial, catalog attached read-only
            _snapshot_views(con)
            _scratch(con)
            sandbox(con, readable_files(paths), remote_data(paths))
            yield con


def _snapshot_views(con: duckdb.DuckDBPyConnection) -> None:
    """Views over the Parquet files of the attached snapshot, then the catalog detached.

    User SQL never sees the DuckLake catalog: its maintenance functions (``ducklake_cleanup_old_files`` ...) delete
    files, and a read-only attach does not stop them. What remains is the same surface as the views file.
    """
    from kiban.duck import quote_ident
    from kiban.lake import LAKE, derived_views, existing_tables, files_view_sql

    con.execute(f"ATTACH ':memory:' AS {SNAPSHOT}")
    tables = existing_tables(con)
    for table in tables:
        files = con.execute("SELECT data_file, delete_file FROM ducklake_list_files(?, ?)", [LAKE, table]).fetchall()
        columns = con.execute(f"DESCRIBE {LAKE}.{quote_ident(table)}").fetchall()
        body = files_view_sql([c[0] for c in columns], files) if files else (
            "SELECT " + ", ".join(f"CAST(NULL AS {c[1]}) AS {quote_ident(c[0])}" for c in columns) + " WHERE false")
        con.execute(f"CREATE VIEW {SNAPSHOT}.{quote_ident(table)} AS {body}")
    con.execute(f"USE {SNAPSHOT}")
    for name, sql in derived_views(set(tables)).items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {sql}")
    con.execute(f"DETACH {LAKE}")


@dataclass(frozen=True)
class Result:
    """What ``kiban sql`` prints, and the true number of rows of the last statement's result."""

    text: str
    rows: int
    shown: int
    #: False for a plan (EXPLAIN): its rows are not data, no row count is printed
    counted: bool = True


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _render_box(relation: duckdb.DuckDBPyRelation, rows: int) -> str:
    """DuckDB's box rendering of every row of ``relation`` without its own row-count footer."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        relation.show(max_rows=max(rows, 1))
    lines = buf.getvalue().rstrip("\n").split("\n")
    while lines and not lines[-1].startswith(("└", "┘")) and ("row" in lines[-1] or lines[-1].strip() == ""
                                                              or "shown" in lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _table(con: duckdb.DuckDBPyConnection, kind: str, statement: str, max_rows: int) -> Result:
    if kind == "EXPLAIN":  # the plan as DuckDB prints it, not squeezed into a box
        rows = con.execute(statement).fetchall()
        return Result("\n".join(str(r[-1]).rstrip() for r in rows), len(rows), len(rows), counted=False)
    wrapped = f"(\n{statement}\n)"  # a newline before ')' so a trailing -- comment cannot swallow it
    limit = f" LIMIT {max_rows + 1}" if max_rows > 0 else ""
    try:
        con.execute(f"CREATE OR REPLACE TABLE {SCRATCH}.head AS FROM {wrapped}{limit}")
    except duckdb.ParserException:  # PRAGMA ...: small results that cannot be a subquery
        rel = con.sql(statement)
        n = len(rel.fetchall())
        return Result(_render_box(rel, n), n, n)
    head = con.execute(f"SELECT count(*) FROM {SCRATCH}.head").fetchone()[0]
    if max_rows <= 0 or head <= max_rows:
        total, shown = head, head
    else:  # truncated: count the whole result (DuckDB counts without materialising it)
        total, shown = con.execute(f"SELECT count(*) FROM {wrapped}").fetchone()[0], max_rows
    return Result(_render_box(con.sql(f"FROM {SCRATCH}.head LIMIT {shown}"), shown), total, shown)


def execute(paths: Paths, sql: str, *, fmt: str = "table", as_of: str | None = None, max_rows: int = 40) -> Result:
    """Run read-only SQL; the last statement's result rendered as ``table``, ``csv`` (header) or ``json``."""
    if fmt not in ("table", "csv", "json"):
        raise ValueError(f"unknown format {fmt!r} (table, csv, json)")
    statements = read_only_statements(sql)
    spatial = as_of is not None or bool(_SPATIAL_HINT.search(sql))
    try:
        return _run(paths, statements, fmt, as_of, max_rows, spatial)
    except duckdb.CatalogException as e:
        if spatial or not _MISSING.search(str(e)):
            raise
        return _run(paths, statements, fmt, as_of, max_rows, True)


def _run(paths: Paths, statements: list[tuple[str, str]], fmt: str, as_of: str | None, max_rows: int, spatial: bool
         ) -> Result:
    with read_connection(paths, as_of, spatial=spatial) as con:
        for _kind, statement in statements[:-1]:
            con.execute(statement)
        kind, last = statements[-1]
        if fmt == "table":
            return _table(con, kind, last, max_rows)
        rel = con.sql(last)
        columns = rel.columns
        rows = rel.fetchall()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in row] for row in rows])
        return Result(buf.getvalue(), len(rows), len(rows))
    records = [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    return Result(json.dumps(records, ensure_ascii=False, indent=1), len(rows), len(rows))


def footer(result: Result) -> str:
    """The row count line under a table: the true total, and how to see every row when some are not shown."""
    noun = "row" if result.rows == 1 else "rows"
    if result.shown >= result.rows:
        return f"{result.rows:,} {noun}"
    return (f"{result.rows:,} {noun}, first {result.shown:,} shown (--max-rows 0 shows all; --format csv or json "
            "writes every row)")


def run(paths: Paths, sql: str, *, fmt: str = "table", as_of: str | None = None, max_rows: int = 40) -> str:
    """Run read-only SQL and return the rendered text (tables end with the true row count)."""
    return render(execute(paths, sql, fmt=fmt, as_of=as_of, max_rows=max_rows), fmt)


def render(result: Result, fmt: str) -> str:
    if fmt == "table":
        return f"{result.text}\n{footer(result)}\n" if result.counted else f"{result.text}\n"
    return result.text


__all__ = ["ReadOnlyError", "Result", "execute", "footer", "read_connection", "read_only_statements", "render", "run",
           "sandbox"]
