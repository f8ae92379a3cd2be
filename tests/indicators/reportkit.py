"""Fixture builder for indicator tests: stage submissions as ``report_versions`` rows and land them in a lake.

Stands in for the intake (``kiban/intake``) until it exists: ``parse`` -> accepted -> ``versions_table`` ->
``LakeWriter.append``. Rows are built from dicts with the template's column names.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from kiban.config import Paths
from kiban.lake import Lake
from registries.reports.parse import parse
from registries.reports.records import versions_table
from registries.reports.writers import json_bytes
from schemas.reports import REPORT_VERSIONS

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "reports"


def versions(rows: list[dict], received_at: datetime, name: str = "r.json") -> pa.Table:
    """``report_versions`` rows for report dicts received at ``received_at`` (all accepted)."""
    subs = parse(json_bytes(rows), name, received_at=received_at)
    return versions_table(subs, [[] for _ in subs])


def sample_versions(limit: int | None = None) -> pa.Table:
    """Every arrival of the bundled scenario (``samples/reports``), in arrival order."""
    tables = []
    lines = (SAMPLES / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[:limit]:
        a = json.loads(line)
        data = (SAMPLES / "files" / a["file"]).read_bytes()
        subs = parse(data, a["file"], received_at=datetime.fromisoformat(a["received_at"]))
        tables.append(versions_table(subs, [[] for _ in subs]))
    table = pa.concat_tables(tables)
    # a duplicate arrival re-sends identical bytes: same report_ids; the intake keeps one
    _, idx = pa.compute.unique(table["report_id"]), None
    seen: set[str] = set()
    keep = []
    for i, rid in enumerate(table["report_id"].to_pylist()):
        if rid not in seen:
            seen.add(rid)
            keep.append(i)
    del idx
    return table.take(keep)


def land(paths: Paths, table: pa.Table) -> None:
    """Append ``report_versions`` rows to the lake in one commit (views file rebuilt)."""
    with Lake(paths).writer() as w:
        w.con.register("_staged_versions", table)
        w.append(REPORT_VERSIONS, "SELECT * FROM _staged_versions")
