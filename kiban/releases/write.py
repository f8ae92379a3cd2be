"""Write one dataset of a release: zstd Parquet sorted by ``sort_by``, Hive-partitioned by ``partition_by``.

Partition folders are named ``part_<column>=<value>`` while the column itself stays *inside* every file with its
contract type. Engines that infer Hive partitions (Spark, PyArrow, Polars turn ``pref=01`` into the integer 1)
only ever infer the extra ``part_*`` column; the real, zero-padded ``prefecture_code`` string is never replaced.
Spatial contracts are written as GeoParquet 1.0: the first geometry column becomes a DuckDB ``GEOMETRY`` and the
spatial extension records the ``geo`` metadata; other geometry columns stay WKB (BLOB).

Every file is in ``sort_by`` order. A partitioned dataset is sorted once by (partition columns, ``sort_by``) and
streamed out of DuckDB as Arrow batches; each partition's rows arrive together and are written by a plain,
order-preserving ``COPY`` into ``part_<column>=<value>/data_0.parquet`` (the value escaped as DuckDB's own
``PARTITION_BY`` escapes it). DuckDB's ``COPY ... PARTITION_BY`` was used before: its parallel sink interleaves
the sorted rows of different threads within a partition (a 2 M-row release had a dozen out-of-order seams), and
it cost more than the sort (``docs/benchmarks.md``, Publish).
"""

from __future__ import annotations

import queue
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kiban.duck import quote_ident, quote_literal
from schemas.contract import Contract

PART_PREFIX = "part_"
#: DuckDB's folder name for a NULL partition value
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
BATCH_ROWS = 122880


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


def _partition_runs(batch: pa.RecordBatch, keys: list[str]) -> Iterator[tuple[tuple[str | None, ...], int, int]]:
    """``(values, offset, length)`` of each run of equal partition values in a batch sorted by them."""
    ends: set[int] = set()
    for k in keys:
        ends.update(pc.run_end_encode(batch.column(k)).run_ends.to_pylist())
    start = 0
    for end in sorted(ends):
        yield tuple(batch.column(k)[start].as_py() for k in keys), start, end - start
        start = end


def _write_partitions(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, available: set[str],
                      target: Path) -> None:
    """One sort, then one order-preserving ``COPY`` per partition, on a second thread while the next is read."""
    keys = [f"_kiban_part_{i}" for i in range(len(contract.partition_by))]
    raw = ", ".join(quote_ident(c.name) if c.name in available else f"CAST(NULL AS {c.duckdb_type}) AS "
                    f"{quote_ident(c.name)}" for c in contract.columns)
    parts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {k}" for c, k in zip(contract.partition_by, keys,
                                                                                 strict=True))
    order = ", ".join([*keys, *(quote_ident(c) for c in contract.sort_by)])  # each folder's rows in one run
    reader = con.execute(f"SELECT {raw}, {parts} FROM {quote_ident(source)} ORDER BY {order}"
                         ).to_arrow_reader(BATCH_ROWS)
    final = select_list(contract, {c.name for c in contract.columns})  # the geometry as GEOMETRY, from WKB
    pending: queue.Queue[tuple[str, list[pa.RecordBatch]] | None] = queue.Queue(maxsize=1)
    failed: list[BaseException] = []

    def writer() -> None:
        cur = con.cursor()
        try:
            while (item := pending.get()) is not None:
                if failed:
                    continue
                folder, batches = item
                (target / folder).mkdir(parents=True, exist_ok=True)
                cur.register("_kiban_partition", pa.Table.from_batches(batches))
                cur.execute(f"COPY (SELECT {final} FROM _kiban_partition) TO "
                            f"{quote_literal(str(target / folder / 'data_0.parquet'))} ({OPTIONS})")
                cur.unregister("_kiban_partition")
        except BaseException as e:  # reported by the reading thread; keep draining so it never blocks
            failed.append(e)
            while pending.get() is not None:
                pass
        finally:
            cur.close()

    thread = threading.Thread(target=writer, name="kiban-release-writer", daemon=True)
    thread.start()
    try:
        current: tuple[str | None, ...] | None = None
        batches: list[pa.RecordBatch] = []
        for batch in reader:
            for values, offset, length in _partition_runs(batch, keys):
                if values != current and batches:
                    pending.put((partition_folder(contract.partition_by, current), batches))
                    batches = []
                current = values
                batches.append(batch.slice(offset, length).drop_columns(keys))
            if failed:
                break
        if batches and not failed:
            pending.put((partition_folder(contract.partition_by, current), batches))
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]


def write_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, target: Path
                  ) -> list[WrittenFile]:
    """Copy relation ``source`` (a view name) into ``target/``; returns every file written with its rows."""
    target.mkdir(parents=True, exist_ok=True)
    available = {r[0] for r in con.execute(f"DESCRIBE {quote_ident(source)}").fetchall()}
    empty = con.execute(f"SELECT count(*) = 0 FROM {quote_ident(source)}").fetchone()[0]
    if contract.partition_by and not empty:
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
