"""The lake: Kiban's system of record (DuckLake: catalog in a DuckDB file, data as Parquet). See docs/adr/0001.

Writes go through :meth:`Lake.writer`: one writer at a time (an OS file lock, plus the Dagster concurrency
pool ``lake``), every batch of table changes in one DuckLake transaction, so a reader never sees a half-written
table and a failed write leaves the previous snapshot intact.

Readers never touch the catalog: after each commit the writer rebuilds ``KIBAN_HOME/kiban.duckdb``, a small
DuckDB file of read-only views over the exact Parquet files of the new snapshot, and swaps it in atomically
(write a temporary file, then rename). Parquet files are immutable, so a reader holding the previous views file
keeps reading a consistent previous snapshot; rows removed by a DuckLake delete file are left out by the views
as the catalog leaves them out (:func:`files_view_sql`). Time travel (``as_of``) attaches the catalog read-only.

A ``KIBAN_HOME`` can move: the views file holds paths relative to the home, DuckLake stores data file paths
relative to its data path, and every attach passes this home's data path (a writer records it in the catalog
after checking that every current data file came along, :class:`LakeMoved` otherwise).

Where the catalog and the data live is configuration (:mod:`kiban.lakeconfig`, ADR 0008). On a *shared* catalog
(PostgreSQL; data on S3 or a shared folder) several processes write at once: no file lock and no views file;
a commit that conflicts raises :class:`~kiban.lakeconfig.LakeConflict` (the load retries it), and readers
attach the catalog read-only, pinned to its newest snapshot.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from kiban import lakeconfig
from kiban.config import Paths
from kiban.duck import connect, quote_ident, quote_literal
from kiban.lakeconfig import LakeBackend, LakeConflict, is_conflict
from schemas.contract import Contract

LAKE = "lake"
log = logging.getLogger(__name__)


class NoKibanData(FileNotFoundError):
    """A read-only command found no Kiban data: it never creates a home."""

    def __init__(self, home: Path) -> None:
        super().__init__(f"no Kiban data at {home}; set KIBAN_HOME (or --home) to a Kiban home, "
                         "or create one with `kiban demo` or `kiban ingest ...`")
        self.home = home

def derived_views(tables: set[str]) -> dict[str, str]:
    """Views over lake tables, given the tables that exist: the datasets that are views (a contract with
    ``derived_sql``, published like any dataset), then the convenience joins of :mod:`kiban.derived_views`."""
    from kiban import derived_views as joins
    from schemas import all_contracts

    out = {c.name: c.derived_sql for c in all_contracts().values()
           if c.derived_sql is not None and set(c.derived_from) <= tables}
    out.update(joins.derived_views(tables))
    return out


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


def _path_literal(path: str, base: Path | None) -> str:
    if "://" in path:  # object storage (the cluster profile's data path): as the catalog lists it
        return quote_literal(path)
    p = Path(path)
    if base is not None:
        for candidate, root in ((p, base), (p.resolve(), base.resolve())):
            if candidate.is_relative_to(root):
                return quote_literal(candidate.relative_to(root).as_posix())
    return quote_literal(str(p.resolve()))


def files_view_sql(columns: list[str], files: list[tuple], base: Path | None = None) -> str:
    """SELECT of ``columns`` over a table's current data files, without the rows its delete files remove.

    ``files`` are ``(data_file, delete_file)`` rows of ``ducklake_list_files``. A DuckLake delete file lists the
    deleted row positions (``pos``) of one data file; they are matched by position in the file lists
    (``file_index``), never by path text, which depends on how a relative path was resolved. With ``base``, paths
    under it are written relative to it (the views file of a ``KIBAN_HOME`` that may move), others absolute.
    """
    select = ", ".join(quote_ident(c) for c in columns)
    data = [_path_literal(f[0], base) for f in files]
    deletes = [(i, _path_literal(f[1], base)) for i, f in enumerate(files) if f[1]]
    file_list = ", ".join(data)
    if not deletes:
        return f"SELECT {select} FROM read_parquet([{file_list}], union_by_name = true)"
    delete_numbers = ", ".join(f"({x}, {i})" for x, (i, _) in enumerate(deletes))
    delete_list = ", ".join(path for _, path in deletes)
    return (
        f"SELECT {select} FROM read_parquet([{file_list}], union_by_name = true, file_row_number = true) AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM read_parquet([{delete_list}]) AS x "
        f"JOIN (VALUES {delete_numbers}) AS xf(delete_no, file_no) ON x.file_index = xf.delete_no "
        f"WHERE xf.file_no = d.file_index AND x.pos = d.file_row_number)"
    )


@dataclass
class LakeWriter:
    """Table changes inside one open DuckLake transaction."""

    con: duckdb.DuckDBPyConnection
    data_path: Path | str | None = None  # the lake's DATA_PATH (a folder, or s3://...): where adopt() places files
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
        if isinstance(self.data_path, str):  # object storage: upload a copy (an aborted write leaves an orphan
            # that DuckLake's ducklake_delete_orphaned_files removes; the catalog never lists it)
            remote = f"{self.data_path}main/{contract.name}/{name}"
            self.con.execute(f"COPY (SELECT * FROM read_parquet({quote_literal(str(parquet))})) TO "
                             f"{quote_literal(remote)} (FORMAT parquet, COMPRESSION zstd)")
            self.con.execute("CALL ducklake_add_data_files(?, ?, ?, ignore_extra_columns => true)",
                             [LAKE, contract.name, remote])
            import pyarrow.parquet as pq

            return pq.read_metadata(parquet).num_rows
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
        return name in self.ensured or name in existing_tables(self.con)


class LakeMoved(RuntimeError):
    """The catalog was written under another KIBAN_HOME and the lake's files did not all come along."""


def attach_views(con: duckdb.DuckDBPyConnection, paths: Paths, alias: str = "views") -> None:
    """Attach ``kiban.duckdb`` read-only as ``alias`` and make it the default; its relative paths resolve
    against ``KIBAN_HOME`` (``file_search_path``), whatever the working directory."""
    con.execute("SET GLOBAL file_search_path = ?", [str(paths.home)])  # cursors too
    con.execute(f"ATTACH {quote_literal(str(paths.views_db))} AS {quote_ident(alias)} (READ_ONLY)")
    con.execute(f"USE {quote_ident(alias)}")


def lake_directories(paths: Paths) -> list[str]:
    """The lake's data folder as ``allowed_directories`` must name it for a locked-down reader of the views file:
    absolute, and relative to ``KIBAN_HOME`` as the views write it (DuckDB checks the path as written); plus a
    configured data path elsewhere (``s3://bucket/prefix/``, a shared folder)."""
    dirs = [str(paths.lake_data) + "/", paths.lake_data.relative_to(paths.home).as_posix() + "/"]
    configured = lakeconfig.backend(paths).data_path
    return dirs if configured in dirs else [*dirs, configured]


def existing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' ORDER BY 1",
        [LAKE],
    ).fetchall()
    return [r[0] for r in rows]


class Lake:
    """The lake under one ``KIBAN_HOME``."""

    def __init__(self, paths: Paths, backend: LakeBackend | None = None) -> None:
        self.paths = paths
        self.backend = backend or lakeconfig.backend(paths)

    @property
    def shared(self) -> bool:
        """Several writer processes at once (a PostgreSQL catalog): no file lock, no views file."""
        return self.backend.shared

    @property
    def _stale_marker(self) -> Path:
        """Present from just before a commit until the views file shows it: a kill in between leaves it."""
        return self.paths.lake / ".views-stale"

    def exists(self) -> bool:
        if self.shared:
            return self.backend.catalog_exists()
        return Path(self.backend.catalog).exists()

    def readable(self) -> bool:
        if self.shared:
            return self.exists()
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

    def repair_views(self) -> bool:
        """Rebuild the views file when a writer died between its commit and its views (the stale marker is left
        and no writer holds the lock); True if it did. Readers that need the views file itself (a publish reads
        ``_kiban_snapshot`` and the views) call this first."""
        if not self._stale_marker.exists() or self._writer_active():
            return False
        with self.writer():  # a writer repairs the views before it begins; this one then commits nothing
            pass
        return True

    # -- connections -------------------------------------------------------------------------------------------
    def _attach(self, con: duckdb.DuckDBPyConnection, *, read_only: bool, as_of: datetime | str | None = None,
                version: int | None = None) -> None:
        """Attach the catalog as ``lake`` with this home's data path.

        DuckLake stores every data file path relative to the data path and the data path itself (absolute) in
        the catalog. ``OVERRIDE_DATA_PATH`` makes a moved, copied or restored ``KIBAN_HOME`` read its own files;
        a writer also records the new data path in the catalog (:meth:`_record_data_path`). A shared lake's
        data path is configuration, the same for every process. ``version`` pins a reader to one snapshot.
        """
        self.backend.prepare(con, writer=not read_only)
        options = [] if self.shared else ["OVERRIDE_DATA_PATH true"]
        if not read_only:
            options.append("DATA_INLINING_ROW_LIMIT 0")
        if as_of is not None:
            options.append(f"SNAPSHOT_TIME {quote_literal(str(as_of))}")
        if version is not None:
            options.append(f"SNAPSHOT_VERSION {int(version)}")
        attach = self.backend.attach_sql(LAKE, read_only=read_only, options=options)
        for attempt in range(8):
            try:
                con.execute(attach)
                break
            except duckdb.Error:
                # a shared catalog being initialised by another process at the same moment
                if not self.shared or read_only or attempt == 7:
                    raise
                time.sleep(0.25 * (attempt + 1))
        if not read_only and not self.shared:
            self._record_data_path(con, self.backend.data_path)

    def _record_data_path(self, con: duckdb.DuckDBPyConnection, data_path: str) -> None:
        """After the home moved: check the lake came along whole, then store the new data path in the catalog."""
        meta = quote_ident(f"__ducklake_metadata_{LAKE}")
        row = con.execute(f"SELECT value FROM {meta}.ducklake_metadata WHERE key = 'data_path' AND scope IS NULL"
                          ).fetchone()
        if row is None or row[0] == data_path:
            return
        current = [Path(f) for table in existing_tables(con) for r in con.execute(
            "SELECT data_file, delete_file FROM ducklake_list_files(?, ?)", [LAKE, table]).fetchall()
            for f in r if f]
        missing = [f for f in current if not f.exists()]
        if missing:
            first = missing[0]
            shown = first.relative_to(self.paths.home) if first.is_relative_to(self.paths.home) else first
            raise LakeMoved(
                f"KIBAN_HOME {self.paths.home} holds a lake catalog written for {row[0]}, but {len(missing)} of "
                f"its {len(current)} current data files are missing under {data_path} (first: {shown}). Copy the "
                f"whole KIBAN_HOME, lake/catalog.ducklake together with lake/data/ "
                f"(e.g. rsync -a OLD_HOME/ {self.paths.home}/), then run the command again.")
        con.execute(f"UPDATE {meta}.ducklake_metadata SET value = ? WHERE key = 'data_path' AND scope IS NULL",
                    [data_path])
        log.warning("KIBAN_HOME moved: lake data path %s recorded in the catalog (was %s)", data_path, row[0])

    @contextlib.contextmanager
    def writer(self, *, extra_views: Mapping[str, str] | None = None) -> Iterator[LakeWriter]:
        """One atomic write: everything done on the yielded writer commits together or not at all.

        On a shared lake a conflicting concurrent commit raises :class:`LakeConflict` (nothing was written).
        """
        if self.shared:
            with self._shared_writer() as writer:
                yield writer
            return
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
                    with contextlib.suppress(duckdb.TransactionException):  # none left after a failed COMMIT
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
    def _shared_writer(self) -> Iterator[LakeWriter]:
        """A transaction on the shared catalog: no lock (DuckLake settles races), no views file to refresh."""
        self.paths.ensure()
        con = connect(extensions=self.backend.extensions)
        try:
            self._attach(con, read_only=False)
            con.execute("BEGIN TRANSACTION")
            data = self.backend.data_path
            writer = LakeWriter(con, data if self.backend.remote_data else Path(data))
            try:
                yield writer
                con.execute("COMMIT")
            except BaseException as e:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                for placed in writer.adopted:
                    placed.unlink(missing_ok=True)
                if is_conflict(e):
                    raise LakeConflict(str(e).splitlines()[-1]) from e
                raise
        finally:
            con.close()

    @contextlib.contextmanager
    def catalog_reader(self, as_of: datetime | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection on the catalog itself (time travel); waits while a writer holds the file."""
        con = connect(extensions=self.backend.extensions + ("spatial",))
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
        if self.shared:
            return self.pinned_reader(self.backend.head(), spatial=spatial)
        if not self.paths.views_db.exists() or (self._stale_marker.exists() and not self._writer_active()):
            # no views file yet, or a writer died after its commit: read the catalog itself (read-only), so
            # every commit is seen; the next writer rebuilds the views file
            return self.pinned_reader(None, spatial=spatial)
        # Attach into a fresh in-memory database rather than connect(path): DuckDB caches open database
        # instances by path within a process, so connect(path) could hand back the previous views file.
        con = connect(extensions=("spatial",) if spatial else ())
        attach_views(con, self.paths)
        return con

    def pinned_reader(self, version: int | None, *, spatial: bool = True) -> duckdb.DuckDBPyConnection:
        """The catalog attached read-only at snapshot ``version`` (None: the newest), presented as the views file
        is: an in-memory database ``views`` (the default; cursors see it too) with a view per table, the derived
        views and ``_kiban_snapshot``. Every query on it reads that one snapshot."""
        con = connect(extensions=self.backend.extensions + (("spatial",) if spatial else ()))
        self._attach(con, read_only=True, version=version)
        tables = existing_tables(con)
        con.execute("ATTACH ':memory:' AS views")
        con.execute("USE views")
        for name in tables:
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {LAKE}.main.{quote_ident(name)}")
        for name, sql in derived_views(set(tables)).items():
            con.execute(f"CREATE VIEW {quote_ident(name)} AS {sql}")
        if version is None:
            version = con.execute(f"SELECT max(snapshot_id) FROM {LAKE}.snapshots()").fetchone()[0]
        con.execute("CREATE TABLE _kiban_snapshot AS SELECT ?::BIGINT AS snapshot_id, now() AS refreshed_at, "
                    "'catalog' AS paths_relative_to", [version])
        return con

    # -- views -------------------------------------------------------------------------------------------------
    def refresh_views(self, con: duckdb.DuckDBPyConnection, *, extra_views: Mapping[str, str] | None = None
                      ) -> Path:
        """Rebuild ``kiban.duckdb`` with one view per lake table over its current Parquet files; swap atomically.

        Paths are relative to ``KIBAN_HOME`` (``lake/data/main/<table>/ducklake-<uuid>.parquet``): readers set
        ``file_search_path`` to the home (:func:`attach_views`), or open the file from the home folder. File names
        are unique and never reused (DuckLake's UUIDs; the load id for adopted files), so the views cannot read
        another home's different data under the same name.
        """
        statements = []
        for table in existing_tables(con):
            files = con.execute(
                "SELECT data_file, delete_file FROM ducklake_list_files(?, ?)", [LAKE, table]
            ).fetchall()
            columns = con.execute(f"DESCRIBE {LAKE}.{quote_ident(table)}").fetchall()
            if files:
                body = files_view_sql([c[0] for c in columns], files, base=self.paths.home)
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
            views.execute("SET file_search_path = ?", [str(self.paths.home)])  # views are bound at creation
            for stmt in statements:
                views.execute(stmt)
            views.execute("CREATE TABLE _kiban_snapshot AS SELECT ? AS snapshot_id, now() AS refreshed_at, "
                          "'KIBAN_HOME' AS paths_relative_to", [snapshot])
            views.execute("CHECKPOINT")
        finally:
            views.close()
        os.replace(tmp, target)
        return target

    def snapshot_id(self) -> int | None:
        if self.shared:
            return self.backend.head()
        if not self.paths.views_db.exists() or not self.readable():
            return None
        with contextlib.closing(self.reader(spatial=False)) as con:
            try:
                return con.execute("SELECT snapshot_id FROM _kiban_snapshot").fetchone()[0]
            except duckdb.CatalogException:  # reading the catalog itself (see reader)
                return con.execute(f"SELECT max(snapshot_id) FROM {LAKE}.snapshots()").fetchone()[0]
