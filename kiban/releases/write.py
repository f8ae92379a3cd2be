"""Write one dataset of a release: zstd Parquet sorted by ``sort_by``, Hive-partitioned by ``partition_by``.

Partition folders are named ``part_<column>=<value>`` while the column itself stays *inside* every file with its
contract type. Engines that infer Hive partitions (Spark, PyArrow, Polars turn ``pref=01`` into the integer 1)
only ever infer the extra ``part_*`` column; the real, zero-padded ``prefecture_code`` string is never replaced.
Spatial contracts are written as GeoParquet 1.0: the first geometry column becomes a DuckDB ``GEOMETRY`` and the
spatial extension records the ``geo`` metadata; other geometry columns stay WKB (BLOB).

Every file is in ``sort_by`` order. A partitioned dataset without a GeoParquet geometry is split by partition in
one streamed scan and each partition is then sorted and written by pyarrow (:mod:`kiban.releases.stream_write`):
no sort of the whole dataset. A partitioned spatial dataset is sorted once by (partition values, ``sort_by``) into
an uncompressed scratch Parquet file; each partition is then written from its own row groups of that file by a
plain, order-preserving ``COPY`` (DuckDB's spatial extension writes the GeoParquet metadata). Folders are
``part_<column>=<value>``, the value escaped as DuckDB's own ``PARTITION_BY`` escapes it. DuckDB's own ``COPY ...
PARTITION_BY`` of the sorted rows was used before: its parallel sink interleaves the rows of its threads within a
partition (a 2 M-row release had a dozen out-of-order seams; ``docs/benchmarks.md``, Publish).
"""

from __future__ import annotations

import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from kiban.duck import quote_ident, quote_literal
from kiban.releases.stream_write import ROW_GROUP_ROWS, SPLIT_ROWS, write_partitions
from schemas.contract import Contract

PART_PREFIX = "part_"
#: DuckDB's folder name for a NULL partition value
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
OPTIONS = f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
#: partitions written at once (each COPY of a partition is small; two keep both cores busy)
PARALLEL_PARTITIONS = 2


def partition_dir(column: str) -> str:
    return f"{PART_PREFIX}{column}"


def primary_geometry(contract: Contract) -> str | None:
    """The GeoParquet primary column of a spatial contract (its first geometry column)."""
    if not contract.spatial:
        return None
    return next((c.name for c in contract.columns if c.type == "geometry"), None)


def select_list(contract: Contract, available: set[str]) -> str:
    """Contract columns in order; the primary geometry as GEOMETRY; missing columns as typed NULLs."""
    geom = primary_geometry(contract)
    parts = []
    for c in contract.columns:
        ident = quote_ident(c.name)
        if c.name not in available:
            expr = f"CAST(NULL AS {c.duckdb_type})"
        elif c.name == geom:
            expr = f"ST_GeomFromWKB({ident})"
        else:
            expr = ident
        parts.append(f"{expr} AS {ident}")
    return ", ".join(parts)


@dataclass(frozen=True)
class WrittenFile:
    path: Path  # absolute
    rows: int


def partition_folder(columns: tuple[str, ...], values: tuple[str | None, ...]) -> str:
    """``part_<column>=<value>`` folders as DuckDB's ``PARTITION_BY`` names them (value percent-encoded)."""
    return "/".join(f"{partition_dir(c)}={HIVE_NULL if v is None else urllib.parse.quote(v, safe='')}"
                    for c, v in zip(columns, values, strict=True))


def _write_partitions_arrow(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, available: set[str],
                            target: Path) -> None:
    """Split by partition in a streamed scan, then sort and write each partition (:mod:`.stream_write`)."""
    keys = [f"_kiban_part_{i}" for i in range(len(contract.partition_by))]
    parts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {k}" for c, k in zip(contract.partition_by, keys,
                                                                                 strict=True))
    select = select_list(contract, available)  # no geometry here: the columns as they are, missing ones NULL
    reader = con.execute(f"SELECT {select}, {parts} FROM {quote_ident(source)}").to_arrow_reader(SPLIT_ROWS)
    write_partitions(reader, keys, contract.sort_by, lambda v: partition_folder(contract.partition_by, v), target)


def _write_partitions(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, available: set[str],
                      target: Path) -> None:
    """One sort into an uncompressed scratch file next to ``target``, then one order-preserving ``COPY`` per
    partition reading only its row groups (the file is sorted by the partition values), two at a time."""
    keys = [f"_kiban_part_{i}" for i in range(len(contract.partition_by))]
    raw = ", ".join(quote_ident(c.name) if c.name in available else f"CAST(NULL AS {c.duckdb_type}) AS "
                    f"{quote_ident(c.name)}" for c in contract.columns)
    parts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {k}" for c, k in zip(contract.partition_by, keys,
                                                                                 strict=True))
    order = ", ".join([*keys, *(quote_ident(c) for c in contract.sort_by)])  # each folder's rows in one run
    scratch = target.parent / f".sorted-{target.name}.parquet"
    try:
        con.execute(f"COPY (SELECT {raw}, {parts} FROM {quote_ident(source)} ORDER BY {order}) "
                    f"TO {quote_literal(str(scratch))} (FORMAT parquet, COMPRESSION uncompressed, "
                    f"ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
        scan = f"read_parquet({quote_literal(str(scratch))})"
        values = con.execute(f"SELECT DISTINCT {', '.join(keys)} FROM {scan}").fetchall()
        final = select_list(contract, {c.name for c in contract.columns})  # the geometry as GEOMETRY, from WKB

        def write(value: tuple[str | None, ...]) -> None:
            folder = target / partition_folder(contract.partition_by, value)
            folder.mkdir(parents=True, exist_ok=True)
            # the value is bound (SET VARIABLE) and read back with getvariable(), which DuckDB folds into a
            # constant while planning, so the scan prunes row groups by their statistics (a ``?`` does not)
            where = " AND ".join(f"{k} IS NULL" if v is None else f"{k} = getvariable('kiban_part_{i}')"
                                 for i, (k, v) in enumerate(zip(keys, value, strict=True)))
            cur = con.cursor()
            try:
                for i, v in enumerate(value):
                    cur.execute(f"SET VARIABLE kiban_part_{i} = ?", [v])
                cur.execute(f"COPY (SELECT {final} FROM {scan} WHERE {where}) TO "
                            f"{quote_literal(str(folder / 'data_0.parquet'))} ({OPTIONS})")
            finally:
                cur.close()

        with ThreadPoolExecutor(max_workers=PARALLEL_PARTITIONS) as pool:
            list(pool.map(write, values))
    finally:
        scratch.unlink(missing_ok=True)


def write_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, target: Path
                  ) -> list[WrittenFile]:
    """Copy relation ``source`` (a view name) into ``target/``; returns every file written with its rows."""
    target.mkdir(parents=True, exist_ok=True)
    available = {r[0] for r in con.execute(f"DESCRIBE {quote_ident(source)}").fetchall()}
    empty = con.execute(f"SELECT count(*) = 0 FROM {quote_ident(source)}").fetchone()[0]
    if contract.partition_by and not empty:
        if primary_geometry(contract) is None:
            _write_partitions_arrow(con, contract, source, available, target)
        else:  # GeoParquet needs DuckDB's writer (the spatial extension writes the ``geo`` metadata)
            _write_partitions(con, contract, source, available, target)
    else:
        select = select_list(contract, available)
        order = ", ".join(quote_ident(c) for c in (*contract.partition_by, *contract.sort_by)) or "ALL"
        con.execute(f"COPY (SELECT {select} FROM {quote_ident(source)} ORDER BY {order}) "
                    f"TO {quote_literal(str(target / 'data_0.parquet'))} ({OPTIONS})")
    files = sorted(target.rglob("*.parquet"))
    if not files:
        return []
    # row counts from the footers: no scan of what was just written
    return [WrittenFile(f, pq.read_metadata(f).num_rows) for f in files]
