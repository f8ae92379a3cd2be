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
