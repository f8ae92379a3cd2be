"""DuckDB connections with the extensions that ship as pip packages (air-gapped: nothing is downloaded).

Each extension binary is checked once per process against the sha256 its wheel recorded at install (RECORD; the
wheel itself was checked against the hash pinned in ``uv.lock``), and a connection that loads extensions is
opened with ``allow_unsigned_extensions`` so that DuckDB does not hash the 10-40 MB binaries again on every
connection (0.4-0.7 s per connection: most of a small load's time on the shared lake). The trust is the one
``duckdb`` itself gets: it is native code from the same locked install. A tampered binary is refused by name.
Connections that run users' SQL (``kiban sql``, the indicator service) turn external access off, which refuses
any ``LOAD``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import importlib.metadata
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


def _private_folder() -> Path:
    """``$TMPDIR/kiban-duckdb-extensions-<uid>/v<duckdb>``: made 0700 by this user and refused otherwise, so no
    one else can swap the link between its check and DuckDB's ``LOAD``."""
    top = Path(tempfile.gettempdir()) / f"kiban-duckdb-extensions-{os.getuid()}"
    top.mkdir(mode=0o700, exist_ok=True)
    st = top.lstat()
    if top.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise RuntimeError(f"{top} is not a private folder of this user; remove it")
    folder = top / f"v{duckdb.__version__}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _loadable(name: str) -> Path:
    """The binary under the file name DuckDB expects (the postgres package ships ``postgres.duckdb_extension``,
    whose entry point is ``postgres_scanner``): a symbolic link in a private per-version folder."""
    path = extension_path(name)
    alias = _LOAD_AS.get(name)
    if alias is None:
        return path
    folder = _private_folder()
    link = folder / f"{alias}.duckdb_extension"
    if not (link.is_symlink() and Path(os.readlink(link)) == path):
        tmp = folder / f".{alias}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(path)
        os.replace(tmp, link)
    return link


def _recorded_sha256(name: str, path: Path) -> str:
    """The sha256 (urlsafe base64, as in RECORD) the ``duckdb-extension-NAME`` wheel recorded for ``path``."""
    for file in importlib.metadata.distribution(f"duckdb-extension-{name}").files or ():
        if file.hash is not None and file.hash.mode == "sha256" and Path(file.locate()).resolve() == path.resolve():
            return file.hash.value
    raise RuntimeError(f"DuckDB extension {name!r}: {path} is not recorded by its package; reinstall "
                       f"duckdb-extension-{name}=={duckdb.__version__}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


@functools.cache
def verified_extension(name: str) -> Path:
    """The loadable binary of extension ``name``, once its content matched its wheel's RECORD (once per
    process); a changed binary raises ``RuntimeError`` naming it."""
    path = extension_path(name)
    if file_sha256(path) != _recorded_sha256(name, path):
        raise RuntimeError(f"DuckDB extension {name!r} at {path} differs from what its package installed; "
                           f"reinstall duckdb-extension-{name}=={duckdb.__version__}")
    return _loadable(name)


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"LOAD '{verified_extension(name)}'")


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
    """A DuckDB connection that never auto-installs anything from the internet; ``extensions`` are loaded
    from their verified binaries (see the module's docstring)."""
    config = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    if extensions:
        for name in extensions:
            verified_extension(name)
        config["allow_unsigned_extensions"] = "true"
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
