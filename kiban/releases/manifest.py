"""The release manifest (公開版マニフェスト): files with checksums, schemas, snapshot, lineage, quality, licences.

``verify`` recomputes every checksum and size and returns the mismatches; a release is intact iff it is empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kiban.archive import sha256_file
from schemas.contract import Contract

MANIFEST_FORMAT = "kiban-release/1"


def file_entry(root: Path, path: Path, rows: int | None = None, dataset: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path.relative_to(root).as_posix(), "sha256": sha256_file(path),
                             "bytes": path.stat().st_size}
    if rows is not None:
        entry["rows"] = rows
    if dataset is not None:
        entry["dataset"] = dataset
    return entry


def schema_of(contract: Contract) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "type": c.type, "duckdb_type": c.duckdb_type, "nullable": c.nullable, "ja": c.ja,
         "en": c.en, **({"codes": c.codes.name} if c.codes else {}), **({"pattern": c.pattern} if c.pattern else {})}
        for c in contract.columns
    ]


def lineage(con: duckdb.DuckDBPyConnection, dataset: str) -> list[dict[str, Any]]:
    """Loads (from the ``loads`` table of the same snapshot) that stored rows into ``dataset``."""
    if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'loads'").fetchone()[0]:
        return []
    rows = con.execute(
        """SELECT load_id, source, source_file, source_url, sha256, bytes, started_at, finished_at
           FROM loads WHERE status = 'loaded'
             AND TRY_CAST(json_extract(detail, '$.rows.' || to_json(?::VARCHAR)) AS BIGINT) IS NOT NULL
           ORDER BY started_at, load_id""",
        [dataset],
    ).fetchall()
    return [
        {"load_id": r[0], "source": r[1], "source_file": r[2], "source_url": r[3], "sha256": r[4], "bytes": r[5],
         "fetched_at": r[6].isoformat() if r[6] else None, "loaded_at": r[7].isoformat() if r[7] else None}
        for r in rows
    ]


@dataclass(frozen=True)
class Mismatch:
    path: str
    problem: str  # missing | bytes | sha256 | unlisted

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def verify(root: Path, manifest: dict[str, Any]) -> list[Mismatch]:
    """Recompute sha256 and size of every file the manifest lists; report data files it does not list."""
    out: list[Mismatch] = []
    listed = set()
    for entry in manifest["files"]:
        listed.add(entry["path"])
        path = root / entry["path"]
        if not path.is_file():
            out.append(Mismatch(entry["path"], "missing"))
        elif path.stat().st_size != entry["bytes"]:
            out.append(Mismatch(entry["path"], "bytes"))
        elif sha256_file(path) != entry["sha256"]:
            out.append(Mismatch(entry["path"], "sha256"))
    for path in sorted(root.rglob("*.parquet")):
        rel = path.relative_to(root).as_posix()
        if rel not in listed:
            out.append(Mismatch(rel, "unlisted"))
    return out


def dumps(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, default=str).encode("utf-8")
