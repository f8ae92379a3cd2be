"""The lake: Kiban's system of record (DuckLake: catalog in a DuckDB file, data as Parquet). See docs/adr/0001.

Writes go through :meth:`Lake.writer`: one writer at a time (an OS file lock, plus the Dagster concurrency
pool ``lake``), every batch of table changes in one DuckLake transaction, so a reader never sees a half-written
table and a failed write leaves the previous snapshot intact.

Readers never touch the catalog: after each commit the writer rebuilds ``KIBAN_HOME/kiban.duckdb``, a small
DuckDB file of read-only views over the exact Parquet files of the new snapshot, and swaps it in atomically
(write a temporary file, then rename). Parquet files are immutable, so a reader holding the previous views file
keeps reading a consistent previous snapshot; rows removed by a DuckLake delete file are left out by the views
as the catalog leaves them out (:func:`files_view_sql`). Time travel (``as_of``) attaches the catalog read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from kiban.config import Paths
from kiban.duck import connect, quote_ident, quote_literal
from schemas.contract import Contract

LAKE = "lake"


class NoKibanData(FileNotFoundError):
    """A read-only command found no Kiban data: it never creates a home."""

    def __init__(self, home: Path) -> None:
        super().__init__(f"no Kiban data at {home}; set KIBAN_HOME (or --home) to a Kiban home, "
                         "or create one with `kiban demo` or `kiban ingest ...`")
        self.home = home

def derived_views(tables: set[str]) -> dict[str, str]:
    """Views over lake tables that some contracts are (``Contract.derived_sql``), given the tables that exist."""
    from schemas import all_contracts

    return {c.name: c.derived_sql for c in all_contracts().values()
            if c.derived_sql is not None and set(c.derived_from) <= tables}


def cast_expression(contract: Contract, column: str, source: str) -> str:
    """SQL that casts a staged (possibly text) value to the contract type; empty text becomes NULL."""
    col = contract.column(column)
    if col.type in ("string", "json"):
        return f"CAST({source} AS VARCHAR)"
    if col.type == "geometry":
        return source
    if col.type == "bool":
        return (f"CASE lower(CAST({source} AS VARCHAR)) WHEN '1' THEN true WHEN 'true' THEN true "
                f"WHEN '0' THEN false WHEN 'false' THEN false END")
    return f"CAST(NULLIF(CAST({source} AS VARCHAR), '') AS {col.duckdb_type})"


def contract_select(contract: Contract, available: list[str], extras: Mapping[str, str] | None = None) -> str:
    """A SELECT list producing exactly the contract's columns, in order, from a staged relation.

    ``extras`` maps column names to SQL expressions (lineage, derived flags); other columns are cast from the
    staged column of the same name, or NULL where the staged relation lacks it.
    """
    extras = dict(extras or {})
    parts = []
    for c in contract.columns:
        if c.name in extras:
            expr = f"CAST({extras[c.name]} AS {c.duckdb_type})"
        elif c.name in available:
            expr = cast_expression(contract, c.name, quote_ident(c.name))
        else:
            expr = f"CAST(NULL AS {c.duckdb_type})"
        parts.append(f"{expr} AS {quote_ident(c.name)}")
    return ", ".join(parts)


def files_view_sql(columns: list[str], files: list[tuple]) -> str:
    """SELECT of ``columns`` over a table's current data files, without the rows its delete files remove.

    ``files`` are ``(data_file, delete_file)`` rows of ``ducklake_list_files``. A DuckLake delete file lists the
    deleted row positions (``pos``) of one data file; they are matched by file number, not by path text.
    """
    select = ", ".join(quote_ident(c) for c in columns)
    data = [quote_literal(str(Path(f[0]).resolve())) for f in files]
    deletes = [(i, quote_literal(str(Path(f[1]).resolve()))) for i, f in enumerate(files) if f[1]]
    file_list = ", ".join(data)
    if not deletes:
        return f"SELECT {select} FROM read_parquet([{file_list}], union_by_name = true)"
    data_numbers = ", ".join(f"({path}, {i})" for i, path in enumerate(data))
    delete_numbers = ", ".join(f"({path}, {i})" for i, path in deletes)
    delete_list = ", ".join(path for _, path in deletes)
    return (
        f"SELECT {select} FROM read_parquet([{file_list}], union_by_name = true, filename = true, "
        f"file_row_number = true) AS d JOIN (VALUES {data_numbers}) AS df(path, file_no) ON d.filename = df.path "
        f"WHERE NOT EXISTS (SELECT 1 FROM read_parquet([{delete_list}], filename = true) AS x "
        f"JOIN (VALUES {delete_numbers}) AS xf(path, file_no) ON x.filename = xf.path "
        f"WHERE xf.file_no = df.file_no AND x.pos = d.file_row_number)"
    )


@dataclass
class LakeWriter:
    """Table changes inside one open DuckLake transaction."""

    con: duckdb.DuckDBPyConnection
    data_path: Path | None = None  # the lake's DATA_PATH: where adopted files are placed
    adopted: list[Path] = field(default_factory=list)  # files placed by adopt(); removed if the write fails

    ensured: set[str] = field(default_factory=set)

    def ensure_table(self, contract: Contract) -> None:
        """Create the table, or add the columns a newer contract version has (existing rows read NULL there)."""
        if contract.name in self.ensured:
            return
        table = f"{LAKE}.{quote_ident(contract.name)}"
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({contract.duckdb_columns()})")
        have = {r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}
        for c in contract.columns:
            if c.name not in have:
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(c.name)} {c.duckdb_type}")
        self.ensured.add(contract.name)

    def append(self, contract: Contract, select_sql: str) -> int:
        """Append the rows of ``select_sql`` (which must yield the contract's columns in order)."""
        self.ensure_table(contract)
        n = self.con.execute(f"INSERT INTO {LAKE}.{quote_ident(contract.name)} {select_sql}").fetchone()
        return int(n[0]) if n else 0

    def replace(self, contract: Contract, select_sql: str) -> int:
        """Replace the whole table with the rows of ``select_sql`` (whole-file replacement: no delete files)."""
        self.ensure_table(contract)
        self.con.execute(f"DELETE FROM {LAKE}.{quote_ident(contract.name)}")
        return self.append(contract, select_sql)

    def adopt(self, contract: Contract, parquet: Path, *, name: str, link: bool = False) -> int:
        """Make an already written Parquet file part of the table, without rewriting it.

        The file is moved (``link=True``: hard-linked, for a file another table keeps too) into the table's
        folder under the data path and registered with ``ducklake_add_data_files``; columns the table does not
        have are ignored (they stay in the file, invisible through the lake and the views). The file must carry
        every table column with the table's type. Returns its row count. If the transaction fails the placed
        file is removed again.
        """
        if self.data_path is None:
            raise RuntimeError("adopt() needs the lake's data path")
        self.ensure_table(contract)
        folder = self.data_path / "main" / contract.name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        try:
            os.link(parquet, target) if link else os.replace(parquet, target)
        except OSError:  # another file system (or no hard links there): copy, then rename into place
            tmp = folder / f".{name}.tmp"
            shutil.copyfile(parquet, tmp)
            os.replace(tmp, target)
            if not link:
                Path(parquet).unlink()
        self.adopted.append(target)
        self.con.execute("CALL ducklake_add_data_files(?, ?, ?, ignore_extra_columns => true)",
                         [LAKE, contract.name, str(target)])
        import pyarrow.parquet as pq

        return pq.read_metadata(target).num_rows

    def table_exists(self, name: str) -> bool:
        return name in existing_tables(self.con)


def existing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' ORDER BY 1",
        [LAKE],
    ).fetchall()
    return [r[0] for r in rows]


class Lake:
    """The lake under one ``KIBAN_HOME``."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    @property
    def _stale_marker(self) -> Path:
        """Present from just before a commit until the views file shows it: a kill in between leaves it."""
        return self.paths.lake / ".views-stale"

    def exists(self) -> bool:
        return self.paths.catalog.exists()

    def readable(self) -> bool:
        return self.paths.views_db.exists() or self.exists()

    def _writer_active(self) -> bool:
        lock_path = self.paths.lake / ".writer.lock"
        if not lock_path.exists():
            return False
        with open(lock_path) as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False

    # -- connections -------------------------------------------------------------------------------------------
    def _attach(self, con: duckdb.DuckDBPyConnection, *, read_only: bool, as_of: datetime | str | None = None
                ) -> None:
        options = [f"DATA_PATH {quote_literal(str(self.paths.lake_data) + '/')}"]
        if read_only:
            options.append("READ_ONLY")
        else:
            options.append("DATA_INLINING_ROW_LIMIT 0")
        if as_of is not None:
            options.append(f"SNAPSHOT_TIME {quote_literal(str(as_of))}")
        con.execute(
            f"ATTACH {quote_literal('ducklake:' + str(self.paths.catalog))} AS {LAKE} ({', '.join(options)})"
        )

    @contextlib.contextmanager
    def writer(self, *, extra_views: Mapping[str, str] | None = None) -> Iterator[LakeWriter]:
        """One atomic write: everything done on the yielded writer commits together or not at all."""
        self.paths.ensure()
        lock_path = self.paths.lake / ".writer.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            con = connect(extensions=("ducklake",))
            try:
                self._attach(con, read_only=False)
                if self._stale_marker.exists():  # a writer was killed between its commit and its views
                    self.refresh_views(con, extra_views=extra_views)
                    self._stale_marker.unlink(missing_ok=True)
                con.execute("BEGIN TRANSACTION")
                writer = LakeWriter(con, self.paths.lake_data)
                try:
                    yield writer
                    self._stale_marker.touch()
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    for placed in writer.adopted:
                        placed.unlink(missing_ok=True)
                    self._stale_marker.unlink(missing_ok=True)
                    raise
                self.refresh_views(con, extra_views=extra_views)
                self._stale_marker.unlink(missing_ok=True)
            finally:
                con.close()

    @contextlib.contextmanager
    def catalog_reader(self, as_of: datetime | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection on the catalog itself (time travel); waits while a writer holds the file."""
        con = connect(extensions=("ducklake", "spatial"))
        try:
            for attempt in range(50):
                try:
                    self._attach(con, read_only=True, as_of=as_of)
                    break
                except duckdb.IOException:
                    if attempt == 49:
                        raise
                    time.sleep(0.2)
            con.execute(f"USE {LAKE}")
            yield con
        finally:
            con.close()

    def reader(self, *, spatial: bool = True) -> duckdb.DuckDBPyConnection:
        """A read-only connection on the views file: the current published state, never blocked by writers.

        ``spatial`` loads DuckDB spatial for analysts (ST_* functions); internal look-ups skip it (0.3 s).
        """
        if not self.readable():
            raise NoKibanData(self.paths.home)
        if not self.paths.views_db.exists() or (self._stale_marker.exists() and not self._writer_active()):
            # no views file yet, or a writer died after its commit: read the catalog itself (read-only), so
            # every commit is seen; the next writer rebuilds the views file
            con = connect(extensions=("ducklake", "spatial") if spatial else ("ducklake",))
            self._attach(con, read_only=True)
            con.execute(f"USE {LAKE}")
            for name, sql in derived_views(set(existing_tables(con))).items():
                con.execute(f"CREATE TEMP VIEW {quote_ident(name)} AS {sql}")
            return con
        # Attach into a fresh in-memory database rather than connect(path): DuckDB caches open database
        # instances by path within a process, so connect(path) could hand back the previous views file.
        con = connect(extensions=("spatial",) if spatial else ())
        con.execute(f"ATTACH {quote_literal(str(self.paths.views_db))} AS views (READ_ONLY)")
        con.execute("USE views")
        return con

    # -- views -------------------------------------------------------------------------------------------------
    def refresh_views(self, con: duckdb.DuckDBPyConnection, *, extra_views: Mapping[str, str] | None = None
                      ) -> Path:
        """Rebuild ``kiban.duckdb`` with one view per lake table over its current Parquet files; swap atomically."""
        statements = []
        for table in existing_tables(con):
            files = con.execute(
                "SELECT data_file, delete_file FROM ducklake_list_files(?, ?)", [LAKE, table]
            ).fetchall()
            columns = con.execute(f"DESCRIBE {LAKE}.{quote_ident(table)}").fetchall()
            if files:
                body = files_view_sql([c[0] for c in columns], files)
            else:
                body = "SELECT " + ", ".join(
                    f"CAST(NULL AS {c[1]}) AS {quote_ident(c[0])}" for c in columns
                ) + " WHERE false"
            statements.append(f"CREATE VIEW {quote_ident(table)} AS {body}")
        tables = set(existing_tables(con))
        for name, sql in {**derived_views(tables), **(extra_views or {})}.items():
            statements.append(f"CREATE VIEW {quote_ident(name)} AS {sql}")
        snapshot = con.execute(f"SELECT max(snapshot_id) FROM {LAKE}.snapshots()").fetchone()[0]
        target = self.paths.views_db
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        views = connect(tmp)
        try:
            for stmt in statements:
                views.execute(stmt)
            views.execute("CREATE TABLE _kiban_snapshot AS SELECT ? AS snapshot_id, now() AS refreshed_at",
                          [snapshot])
            views.execute("CHECKPOINT")
        finally:
            views.close()
        os.replace(tmp, target)
        return target

    def snapshot_id(self) -> int | None:
        if not self.paths.views_db.exists() or not self.readable():
            return None
        with contextlib.closing(self.reader(spatial=False)) as con:
            try:
                return con.execute("SELECT snapshot_id FROM _kiban_snapshot").fetchone()[0]
            except duckdb.CatalogException:  # reading the catalog itself (see reader)
                return con.execute(f"SELECT max(snapshot_id) FROM {LAKE}.snapshots()").fetchone()[0]
