"""DuckDB connections with the extensions that ship as pip packages (air-gapped: nothing is downloaded)."""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

import duckdb

EXTENSIONS = ("ducklake", "spatial", "httpfs", "postgres")
#: Extensions whose binary must be loaded under another file name (DuckDB derives the entry point from it).
_LOAD_AS = {"postgres": "postgres_scanner"}


def extension_path(name: str) -> Path:
    """Path of the extension binary inside its ``duckdb-extension-NAME`` pip package (pinned to duckdb)."""
    module = importlib.import_module(f"duckdb_extension_{name}")
    path = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise RuntimeError(
            f"DuckDB extension {name!r} for duckdb {duckdb.__version__} not found at {path}; "
            f"install duckdb-extension-{name}=={duckdb.__version__}"
        )
    return path


def _loadable(name: str) -> Path:
    """The binary under the file name DuckDB expects (the postgres package ships ``postgres.duckdb_extension``,
    whose entry point is ``postgres_scanner``): a symbolic link in a per-version cache folder."""
    path = extension_path(name)
    alias = _LOAD_AS.get(name)
    if alias is None:
        return path
    folder = Path(tempfile.gettempdir()) / "kiban-duckdb-extensions" / f"v{duckdb.__version__}"
    link = folder / f"{alias}.duckdb_extension"
    if not (link.is_symlink() and Path(os.readlink(link)) == path):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{alias}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(path)
        os.replace(tmp, link)
    return link


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"LOAD '{_loadable(name)}'")


def resource_settings() -> list[str]:
    """Memory cap and spill directory for every DuckDB connection Kiban opens (``KIBAN_DUCKDB_MEMORY``, 3GB).

    Large sorts, joins and aggregates spill to disk instead of growing the process: the full-country registry
    loads within a few GB whatever the machine size.
    """
    limit = os.environ.get("KIBAN_DUCKDB_MEMORY", "3GB")
    spill = Path(os.environ.get("KIBAN_DUCKDB_SPILL", Path(tempfile.gettempdir()) / "kiban-duckdb-spill"))
    spill.mkdir(parents=True, exist_ok=True)
    return [f"SET memory_limit = '{limit}'", f"SET temp_directory = '{spill}'"]


def connect(database: str | Path = ":memory:", *, read_only: bool = False, extensions: tuple[str, ...] = ()
            ) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never auto-installs anything from the internet."""
    config = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    con = duckdb.connect(str(database), read_only=read_only, config=config)
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        for statement in resource_settings():
            con.execute(statement)
    load_extensions(con, *extensions)
    return con


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
