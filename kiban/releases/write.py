"""Write one dataset of a release: zstd Parquet sorted by ``sort_by``, Hive-partitioned by ``partition_by``.

Partition folders are named ``part_<column>=<value>`` while the column itself stays *inside* every file with its
contract type. Engines that infer Hive partitions (Spark, PyArrow, Polars turn ``pref=01`` into the integer 1)
only ever infer the extra ``part_*`` column; the real, zero-padded ``prefecture_code`` string is never replaced.
Spatial contracts are written as GeoParquet 1.0: the first geometry column becomes a DuckDB ``GEOMETRY`` and the
spatial extension records the ``geo`` metadata; other geometry columns stay WKB (BLOB).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from kiban.duck import quote_ident, quote_literal
from schemas.contract import Contract

PART_PREFIX = "part_"


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


def write_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, source: str, target: Path
                  ) -> list[WrittenFile]:
    """Copy relation ``source`` (a view name) into ``target/``; returns every file written with its rows."""
    target.mkdir(parents=True, exist_ok=True)
    available = {r[0] for r in con.execute(f"DESCRIBE {quote_ident(source)}").fetchall()}
    select = select_list(contract, available)
    order = ", ".join(quote_ident(c) for c in (*contract.partition_by, *contract.sort_by)) or "ALL"
    parts = [f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(partition_dir(c))}" for c in contract.partition_by]
    options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
    empty = con.execute(f"SELECT count(*) = 0 FROM {quote_ident(source)}").fetchone()[0]
    if contract.partition_by and not empty:
        part_cols = ", ".join(quote_ident(partition_dir(c)) for c in contract.partition_by)
        sql = (f"COPY (SELECT {select}, {', '.join(parts)} FROM {quote_ident(source)} ORDER BY {order}) "
               f"TO {quote_literal(str(target))} ({options}, PARTITION_BY ({part_cols}), "
               f"FILENAME_PATTERN 'data_{{i}}', WRITE_PARTITION_COLUMNS false)")
    else:
        sql = (f"COPY (SELECT {select} FROM {quote_ident(source)} ORDER BY {order}) "
               f"TO {quote_literal(str(target / 'data_0.parquet'))} ({options})")
    con.execute(sql)
    files = sorted(target.rglob("*.parquet"))
    if not files:
        return []
    # row counts from the footers: no scan of what was just written
    return [WrittenFile(f, pq.read_metadata(f).num_rows) for f in files]
