"""Engine-neutral checksum over key columns, to compare what different engines read from a release.

Standard library only at import time: ``tests/releases/spark_reader.py`` imports it under the Spark interpreter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _norm(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bytes | bytearray):
        return bytes(v).hex()
    return v


def key_checksum(rows: Iterable[Sequence[Any]]) -> str:
    """sha256 over the rows (sorted, JSON-encoded with dates as ISO text): equal iff the key values are equal."""
    encoded = sorted(json.dumps([_norm(v) for v in r], ensure_ascii=False) for r in rows)
    return hashlib.sha256("\n".join(encoded).encode("utf-8")).hexdigest()


def duckdb_reference(dataset_dir: Path, columns: Sequence[str]) -> tuple[int, str]:
    """Row count and key checksum of a release dataset as DuckDB reads it."""
    from kiban.duck import connect, quote_ident  # this module also runs under a Spark-only interpreter

    con = connect()
    try:
        cols = ", ".join(quote_ident(c) for c in columns)
        rows = con.execute(f"SELECT {cols} FROM read_parquet(?, hive_partitioning = false)",
                           [str(dataset_dir / "**" / "*.parquet")]).fetchall()
    finally:
        con.close()
    return len(rows), key_checksum(rows)
