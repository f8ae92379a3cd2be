"""Load assets: one ``MaterializeResult`` per lake table, with that table's own metadata.

A load asset runs the load use case on every fetched file not loaded yet (``kiban.load.files.ingest_pending``, the
one place each domain calls it) and reports, per table: the files of this run that touched it (status, and the rows
its store reported for the table), ``dagster/row_count`` of the committed table and its column schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg

from kiban.config import Paths
from kiban.load import LoadResult
from pipelines.lake import dataset_result, row_counts, selected
from schemas.contract import Contract


def touches(load: LoadResult, table: str) -> bool:
    """Whether a load wrote ``table`` or validated a file for it."""
    return table in load.rows or any(v.get("dataset") == table for v in load.validation)


def table_metadata(loads: Sequence[LoadResult], table: str) -> dict[str, Any]:
    mine = [r for r in loads if touches(r, table)]
    return {
        "files_loaded": dg.MetadataValue.int(sum(r.status == "loaded" for r in mine)),
        "files_quarantined": dg.MetadataValue.int(sum(r.status == "quarantined" for r in mine)),
        "files": dg.MetadataValue.json([
            {"file": r.source_file, "status": r.status, "rows": r.rows.get(table, 0), "sha256": r.sha256[:16]}
            for r in mine[:200]
        ]),
    }


def load_materializations(context: dg.AssetExecutionContext, paths: Paths, contracts: Sequence[Contract],
                          loads: Sequence[LoadResult],
                          extra: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[dg.MaterializeResult]:
    """One materialisation per selected table of ``contracts``; ``extra`` adds metadata per table name."""
    chosen = [c for c in contracts if selected(context, c.name)]
    counts = row_counts(paths, [c.name for c in chosen])
    for contract in chosen:
        meta = {**table_metadata(loads, contract.name), **((extra or {}).get(contract.name) or {})}
        yield dataset_result(contract, counts.get(contract.name), meta)
