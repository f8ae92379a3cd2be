"""SQL entry points for releases: a DuckDB file of read-only views per release and one for ``latest``.

The views files are portable: they hold no absolute path. ``releases/<v>/release.duckdb`` reads
``corporations/part_prefecture_code=13/data_0.parquet`` and so on *relative to the folder it is opened from*
(DuckDB resolves a relative path against the working directory, or against ``file_search_path`` when that is
set), so a release folder copied to another path or machine answers SQL as it is::

    cd /mnt/copy/2026-11-05.1 && duckdb -readonly release.duckdb
    duckdb -readonly -cmd "SET file_search_path = '/mnt/copy/2026-11-05.1'" /mnt/copy/2026-11-05.1/release.duckdb

``releases/latest.duckdb`` reads ``<version>/<dataset>/...`` relative to ``releases/``.

No stale reads: every view first checks that the folder it reads from holds *this* release -- the ``version`` and
``created`` of ``datapackage.json`` there must be the ones the views were built for -- and fails with
``error()`` otherwise, so a views file opened from another release's folder never answers with that release's
rows. Opened from a folder without the release, DuckDB fails with "No files found that match the pattern". The
relative paths are written as globs matching exactly one file (``data_0.parque[t]``): DuckDB falls back from
``file_search_path`` to the working directory for a plain path, never for a glob.

Every dataset also gets a table macro ``<dataset>_at(root)`` reading the same files under any root: a local
folder, an HTTP(S) mirror (no directory listing needed: the files are listed) or an S3 prefix::

    ATTACH 'https://mirror.example.invalid/kiban/releases/2026-11-05.1/release.duckdb' AS r (READ_ONLY);
    SELECT count(*) FROM r.corporations_at('https://mirror.example.invalid/kiban/releases/2026-11-05.1');

``_release`` holds the version, lake snapshot and creation time. Derived views (``corporations_with_lg_code``)
are added when the datasets they join are in the release (:mod:`kiban.derived_views`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import duckdb

from kiban import derived_views
from kiban.duck import connect, quote_ident, quote_literal

RELEASE_DB = "release.duckdb"
#: the release's identity, read by every view: written with the catalog, before the views file is built
IDENTITY_FILE = "datapackage.json"
NOTE = ("views over this release's Parquet by paths relative to the folder release.duckdb is opened from "
        "(cd there, or SET file_search_path); <dataset>_at(root) reads the release under any root (HTTP, S3)")


def _identity_guard(version: str, created: str, identity_path: str) -> str:
    """A condition that is true iff ``identity_path`` (SQL text) is this release's datapackage.json, else error()."""
    message = (f"this views file belongs to Kiban release {version} ({created}) but the folder it reads from "
               f"holds release ")
    hint = (": open it from its own release folder (cd there) or SET file_search_path to that folder")
    return (f"(SELECT CASE WHEN version = {quote_literal(version)} AND created = {quote_literal(created)} "
            f"THEN true ELSE error({quote_literal(message)} || coalesce(version, '?') || ' (' || "
            f"coalesce(created, '?') || ')' || {quote_literal(hint)}) END "
            f"FROM read_json({identity_path}, columns = {{version: 'VARCHAR', created: 'VARCHAR'}}))")


def exact_glob(path: str) -> str:
    """``a/data_0.parquet`` -> ``a/data_0.parque[t]``: a glob that matches exactly that file.

    With ``file_search_path`` set, DuckDB looks a plain relative path up in the search path and, if it is not
    there, falls back to the working directory; a glob is looked up in the search path only. A file missing from a
    partial copy must fail, not be read from whatever folder the client happens to run in.
    """
    return f"{path[:-1]}[{path[-1]}]"


def dataset_sql(columns: list[dict[str, Any]], files: list[str], version: str, created: str,
                prefix: str = "", root_expr: str | None = None) -> str:
    """SELECT of a dataset's columns over its files, guarded by the release identity.

    ``files`` are paths relative to the release folder. Without ``root_expr`` they are written as literals
    prefixed with ``prefix`` (``""`` for ``release.duckdb``, ``"<version>/"`` for ``latest.duckdb``); with it
    (a SQL expression, the macro parameter) as ``root || '/<file>'``.
    """
    def path(rel: str) -> str:
        if root_expr is None:
            return quote_literal(exact_glob(prefix + rel))
        return f"{root_expr} || {quote_literal('/' + rel)}"

    if not files:  # an empty dataset: typed, no rows, nothing read
        cols = ", ".join(f"CAST(NULL AS {c['duckdb_type']}) AS {quote_ident(c['name'])}" for c in columns)
        return f"SELECT {cols} WHERE false"
    guard = _identity_guard(version, created, path(IDENTITY_FILE))
    cols = ", ".join(quote_ident(c["name"]) for c in columns)
    file_list = ", ".join(path(f) for f in files)
    return f"SELECT {cols} FROM read_parquet([{file_list}], hive_partitioning = false) WHERE {guard}"


def _dataset_files(ds: dict[str, Any]) -> list[str]:
    return [f for f in ds["files"] if f.endswith(".parquet")]


def build_views(root: Path, manifest: dict[str, Any], target: Path | None = None) -> Path:
    """Write the views file for the release at ``root`` (atomically: temporary name, then rename).

    ``target`` defaults to ``root/release.duckdb``; for another folder (``releases/latest.duckdb``) the paths are
    written relative to the target's folder, which must contain ``root``.
    """
    root = root.resolve()
    target = (target or root / RELEASE_DB).resolve()
    base = target.parent
    prefix = "" if base == root else root.relative_to(base).as_posix() + "/"
    version, created = manifest["version"], manifest["created_at"]
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    con = connect(tmp)  # GEOMETRY is a core type in DuckDB 1.5: no extension needed to read GeoParquet
    try:
        con.execute("SET file_search_path = ?", [str(base)])  # views are bound (files opened) at creation
        macros: dict[str, str] = {}  # dataset -> SELECT under the macro parameter root
        for name, ds in manifest["datasets"].items():
            files = _dataset_files(ds)
            macros[name] = dataset_sql(ds["schema"], files, version, created, root_expr="root")
            con.execute(f"CREATE VIEW {quote_ident(name)} AS "
                        f"{dataset_sql(ds['schema'], files, version, created, prefix)}")
            comment = (f"{ds.get('title_en') or name}, release {version}: reads {prefix}{name}/ relative to "
                       f"the folder this file is opened from (working directory or file_search_path)")
            con.execute(f"COMMENT ON VIEW {quote_ident(name)} IS {quote_literal(comment)}")
            con.execute(f"CREATE MACRO {quote_ident(name + '_at')}(root) AS TABLE {macros[name]}")
        released = set(manifest["datasets"])
        for name, sql in derived_views.derived_views(released).items():
            con.execute(f"CREATE VIEW {quote_ident(name)} AS {sql}")
            con.execute(f"COMMENT ON VIEW {quote_ident(name)} IS "
                        f"{quote_literal(derived_views.description(name))}")
        # a macro resolves names where it is called (r.x_at(...) cannot see x_at): inline the datasets' SELECTs
        for name, sql in derived_views.derived_views(released, lambda t: f"({macros[t]})").items():
            con.execute(f"CREATE MACRO {quote_ident(name + '_at')}(root) AS TABLE {sql}")
        con.execute(
            "CREATE TABLE _release AS SELECT ? AS version, ? AS lake_snapshot_id, ?::TIMESTAMPTZ AS created_at, "
            "? AS paths_relative_to", [version, manifest["lake"]["snapshot_id"], created,
                                       "the folder this views file is opened from (working directory or "
                                       "file_search_path); " + (f"data under {prefix}" if prefix else
                                                                "the release folder itself")])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def open_views(views_file: Path, *, extensions: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    """A read-only connection on a views file (``release.duckdb``, ``latest.duckdb``) wherever it lies, its
    relative paths resolved against its own folder: the Python form of ``cd <folder> && duckdb release.duckdb``."""
    views_file = Path(views_file).resolve()
    con = connect(views_file, read_only=True, extensions=extensions)
    con.execute("SET GLOBAL file_search_path = ?", [str(views_file.parent)])  # and its cursors
    return con
