"""Shared pieces of the address tests: a DuckDB connection holding a synthetic ABR and the municipality master."""

from __future__ import annotations

import pyarrow as pa

from kiban.duck import connect
from registries.abr import synth
from registries.municipalities.parse import as_records
from registries.municipalities.resolve import bundled_master

SCALE = 10_000  # the corpus was generated at this size (tests/addresses/corpus_gen.py)


def abr_connection(scale: int = SCALE):
    con = connect()
    synth.build(con, scale)
    con.register("_master", pa.Table.from_pylist(as_records(bundled_master())))
    con.execute("CREATE TABLE municipalities AS SELECT * FROM _master")
    con.unregister("_master")
    return con


def match_texts(con, texts: list[str]) -> list[dict]:
    from kiban.addresses.service import match_many

    return match_many(con, texts)
