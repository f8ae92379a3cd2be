"""SQL entry points for releases: a DuckDB file of read-only views per release and one for ``latest``.

``releases/<v>/release.duckdb`` holds one view per dataset over that release's Parquet, by absolute path (a
relative path would resolve against the reader's working directory), plus the table ``_release`` (version, lake
snapshot). If a release folder is moved, rebuild its views with :func:`build_views`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from kiban.duck import connect, quote_ident, quote_literal

RELEASE_DB = "release.duckdb"


def view_sql(root: Path, dataset: str, columns: list[str]) -> str:
    glob = str((root / dataset).resolve()) + "/**/*.parquet"
    cols = ", ".join(quote_ident(c) for c in columns)
    return f"SELECT {cols} FROM read_parquet({quote_literal(glob)}, hive_partitioning = false)"


def build_views(root: Path, manifest: dict[str, Any], target: Path | None = None) -> Path:
    """Write the views file for the release at ``root`` (atomically: temporary name, then rename)."""
    target = target or root / RELEASE_DB
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    con = connect(tmp)  # GEOMETRY is a core type in DuckDB 1.5: no extension needed to read GeoParquet
    try:
        for name, ds in manifest["datasets"].items():
            con.execute(f"CREATE VIEW {quote_ident(name)} AS "
                        f"{view_sql(root, name, [c['name'] for c in ds['schema']])}")
        con.execute(
            "CREATE TABLE _release AS SELECT ? AS version, ? AS lake_snapshot_id, ?::TIMESTAMPTZ AS created_at, "
            "? AS root", [manifest["version"], manifest["lake"]["snapshot_id"], manifest["created_at"],
                          str(root.resolve())])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    return target
