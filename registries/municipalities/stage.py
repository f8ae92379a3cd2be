"""Stage the municipality master: parse -> the contract's columns + ``_source_row`` -> Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from registries.municipalities.parse import HISTORY_CSV, as_records, load_master
from schemas.municipalities import MUNICIPALITIES


@dataclass(frozen=True)
class StageResult:
    dataset: str
    rows: int


def to_arrow(records: list[dict]) -> pa.Table:
    """Records -> Arrow table in contract order (typed: the 総務省 file is a typed source) + ``_source_row``."""
    schema = MUNICIPALITIES.arrow_schema().append(pa.field("_source_row", pa.int64(), nullable=False))
    data = {f.name: [r["source_row"] if f.name == "_source_row" else r[f.name] for r in records] for f in schema}
    return pa.Table.from_pydict(data, schema=schema)


def write_parquet_atomic(table: pa.Table, out: str | Path) -> Path:
    """Write to a temporary name next to ``out``, then rename (a failed write leaves no broken file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out)
    return out


def stage_municipalities(xls_path: str | Path, out_parquet: str | Path,
                         history_path: str | Path | None = HISTORY_CSV) -> StageResult:
    """Parse the 総務省 file (+ history) and write the staged Parquet for dataset ``municipalities``."""
    table = to_arrow(as_records(load_master(xls_path, history_path)))
    write_parquet_atomic(table, out_parquet)
    return StageResult(dataset=MUNICIPALITIES.name, rows=table.num_rows)
