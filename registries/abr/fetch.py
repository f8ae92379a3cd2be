"""Fetching the ABR: the DCAT feed -> the files it lists -> archived sets, downloading only what changed.

- :func:`catalog_files` (official feed) and :func:`sample_catalog_files` (a folder holding ``dcat.json`` and the
  files it lists, e.g. the bundled sample) give the current local copy of each chosen file
  (:func:`choose_resources`: one copy of each slice);
- :func:`archive_sets` groups files into sets (:mod:`registries.abr.sets`) and archives each set zip;
- :func:`archive_targets` is what ``kiban ingest abr`` archives (paths, folders, zips, file URLs, feed URLs).

The Dagster resources (``pipelines/abr/resources.py``) and the CLI call these functions; nothing here imports
Dagster.

Incremental download, with a small JSON state file:

Per URL the state records ``etag``, ``last_modified``, ``size``, ``sha256``, the local ``path`` and the catalog's
``最終更新日`` (``catalog_modified``). A file is requested conditionally (``If-None-Match`` /
``If-Modified-Since``) through ``registries.http.download``; a 304, or a 200 whose body has the recorded sha256,
counts as unchanged. With ``trust_catalog`` a file whose catalog date has not moved and whose local copy still has
the recorded sha256 is not requested at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from kiban.load.runner import owned
from registries.abr.catalog import Resource, parse_catalog, select
from registries.abr.sets import SCOPE_ORDER, abr_name, build_sets, load_order, write_set

DOWNLOADED = "downloaded"
NOT_MODIFIED = "not_modified"
SAME_CONTENT = "same_content"
SKIPPED = "skipped_catalog"


@dataclass(frozen=True)
class FetchOutcome:
    url: str
    path: Path | None
    status: str  # downloaded | not_modified | same_content | skipped_catalog

    @property
    def changed(self) -> bool:
        return self.status == DOWNLOADED


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_state(path: str | Path) -> dict[str, dict[str, Any]]:
    p = Path(path)
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def save_state(path: str | Path, state: dict[str, dict[str, Any]]) -> None:
    """Write the state atomically (temporary file + rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, p)


def conditional_headers(entry: dict[str, Any] | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from a state entry whose local file is still present."""
    if not entry or not entry.get("path") or not Path(entry["path"]).exists():
        return {}
    headers = {}
    if entry.get("etag"):
        headers["If-None-Match"] = entry["etag"]
    if entry.get("last_modified"):
        headers["If-Modified-Since"] = entry["last_modified"]
    return headers


def _header(result: Any, name: str) -> str | None:
    value = getattr(result, name, None)
    if value is None:
        headers = getattr(result, "headers", None)
        if headers is not None:
            value = headers.get(name.replace("_", "-"))
    return str(value) if value else None


def _interpret(result: Any) -> tuple[Path | None, str | None, str | None]:
    """(path or None when not modified, etag, last_modified) from whatever ``download`` returned."""
    if result is None:
        return None, None, None
    status = getattr(result, "status_code", None) or getattr(result, "status", None)
    if status == 304 or type(result).__name__ == "NotModified" or getattr(result, "not_modified", False):
        return None, _header(result, "etag"), _header(result, "last_modified")
    path = result if isinstance(result, str | Path) else getattr(result, "path", None)
    return (Path(path) if path is not None else None), _header(result, "etag"), _header(result, "last_modified")


def _default_download() -> Callable[..., Any]:
    from registries import http  # written separately; parse code never depends on it

    return http.download


def fetch_resources(resources: Iterable[Resource], dest_dir: str | Path, state_path: str | Path, *,
                    client: httpx.Client | None = None, download: Callable[..., Any] | None = None,
                    trust_catalog: bool = True) -> list[FetchOutcome]:
    """Download the resources that changed into ``dest_dir``; the state is saved after each file."""
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    state = load_state(state_path)
    get = download or _default_download()
    outcomes = []
    for res in resources:
        entry = state.get(res.url)
        catalog_modified = res.last_modified.isoformat() if res.last_modified else None
        local = Path(entry["path"]) if entry and entry.get("path") else None
        if (trust_catalog and entry and catalog_modified and entry.get("catalog_modified") == catalog_modified
                and local is not None and local.exists() and sha256_file(local) == entry.get("sha256")):
            outcomes.append(FetchOutcome(res.url, local, SKIPPED))
            continue
        result = get(res.url, dest, client=client, headers=conditional_headers(entry))
        path, etag, last_modified = _interpret(result)
        if path is None:
            outcomes.append(FetchOutcome(res.url, local, NOT_MODIFIED))
            if entry is not None:
                entry.update(catalog_modified=catalog_modified, checked_at=_now())
                save_state(state_path, state)
            continue
        digest = sha256_file(path)
        status = SAME_CONTENT if entry and entry.get("sha256") == digest else DOWNLOADED
        if status == SAME_CONTENT and entry is not None:  # a server that ignored the validators: keep ours
            etag, last_modified = etag or entry.get("etag"), last_modified or entry.get("last_modified")
        state[res.url] = {
            "etag": etag, "last_modified": last_modified, "size": path.stat().st_size,
            "sha256": digest, "path": str(path), "catalog_modified": catalog_modified, "checked_at": _now(),
        }
        save_state(state_path, state)
        outcomes.append(FetchOutcome(res.url, path, status))
    return outcomes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- catalog -> files -> archived sets --------------------------------------------------------------------------
def choose_resources(resources: list[Resource], *, types: set[str] | None = None,
                     lg_codes: set[str] | None = None) -> list[Resource]:
    """One copy of each slice: the catalog lists the same rows as ``all``, ``prefNN`` and ``cityNNNNNN`` files.

    Without ``lg_codes``: per file type, the ``all`` file if listed, else every prefecture file, else every
    団体 file. With ``lg_codes``: per type and code, the narrowest listed file covering the code.
    """
    chosen: dict[str, Resource] = {}
    candidates = select(resources, types=types, lg_codes=lg_codes)
    groups: dict[str, list[Resource]] = {}
    for r in candidates:
        groups.setdefault(r.name.layout, []).append(r)  # type: ignore[union-attr]
    for group in groups.values():
        if lg_codes:
            for code in lg_codes:
                covering = [r for r in group if r.name.covers(code)]  # type: ignore[union-attr]
                if covering:
                    best = max(covering, key=lambda r: SCOPE_ORDER[r.name.scope])  # type: ignore[union-attr]
                    chosen[best.url] = best
            continue
        widest = min(SCOPE_ORDER[r.name.scope] for r in group)  # type: ignore[union-attr]
        chosen.update({r.url: r for r in group if SCOPE_ORDER[r.name.scope] == widest})  # type: ignore[union-attr]
    return [r for r in candidates if r.url in chosen]


def catalog_files(paths: Paths, feed_url: str, *, client: httpx.Client | None = None,
                  types: set[str] | None = None, lg_codes: set[str] | None = None) -> dict[Path, str]:
    """The current local copy of the ABR files the DCAT feed at ``feed_url`` lists -> their URL.

    The feed is downloaded and the chosen files (:func:`choose_resources`) are fetched into
    ``KIBAN_HOME/downloads/abr`` with :func:`fetch_resources` (state file ``state.json`` there): only files
    that changed are transferred; unchanged ones are returned from the local copy.
    """
    from registries import http

    folder = paths.home / "downloads" / "abr"
    folder.mkdir(parents=True, exist_ok=True)
    paths.staging.mkdir(parents=True, exist_ok=True)
    feed_dl = http.download(feed_url, paths.staging, client=client, filename="abr_dcat.json")
    try:
        resources = parse_catalog(Path(feed_dl.path).read_bytes())  # type: ignore[union-attr]
    finally:
        Path(feed_dl.path).unlink(missing_ok=True)  # type: ignore[union-attr]
    resources = choose_resources(resources, types=types, lg_codes=lg_codes)
    outcomes = fetch_resources(resources, folder / "files", folder / "state.json", client=client)
    return {o.path: o.url for o in outcomes if o.path is not None and o.path.exists()}


def sample_catalog_files(folder: Path, *, types: set[str] | None = None,
                         lg_codes: set[str] | None = None) -> dict[Path, str]:
    """Like :func:`catalog_files` for a folder holding ``dcat.json`` and the files it lists (each ``accessURL``
    maps to the file of the same name in ``folder``); listed files absent from the folder are left out."""
    resources = parse_catalog((folder / "dcat.json").read_bytes())
    chosen = choose_resources(resources, types=types, lg_codes=lg_codes)
    return {folder / r.file_name: r.url for r in chosen if (folder / r.file_name).exists()}


def archive_sets(paths: Paths, files: dict[Path, str]) -> list[RawObject]:
    """Group ``files`` (path -> where it came from) into sets and archive each set zip (unchanged: same sha256)."""
    archive = RawArchive(paths.raw)
    paths.staging.mkdir(parents=True, exist_ok=True)
    tmp = owned(Path(tempfile.mkdtemp(dir=paths.staging, prefix="abr-sets-")))
    origins = {p.resolve(): origin for p, origin in files.items()}
    try:
        return [archive.put_file(write_set(s, tmp), source=origins.get(s.master, str(s.master)))
                for s in build_sets(files)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def archive_targets(paths: Paths, targets: Iterable[str], *, client: httpx.Client | None = None
                    ) -> list[RawObject]:
    """Archive what ``kiban ingest abr`` is given, in load order: files, folders, zips of ABR files, file URLs or
    a DCAT feed URL (``*.json``, only changed files downloaded).

    ABR-named files (and the ABR files of folders) are grouped into sets with
    :func:`registries.abr.sets.build_sets`; any other file is archived as it is (a zip of ABR files).
    Raises ``FileNotFoundError`` for a path that does not exist.
    """
    from registries import http

    files: dict[Path, str] = {}
    others: list[tuple[Path, str]] = []
    tmp = owned(Path(tempfile.mkdtemp(dir=paths.ensure().staging, prefix="abr-in-")))
    try:
        for target in targets:
            if target.startswith(("http://", "https://")):
                if urlparse(target).path.endswith(".json"):
                    files.update(catalog_files(paths, target, client=client))
                    continue
                dl = http.download(target, tmp / str(len(files) + len(others)), client=client)
                found = {Path(dl.path): http.redact(target)}  # type: ignore[union-attr]
            else:
                path = Path(target)
                if not path.exists():
                    raise FileNotFoundError(target)
                candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
                found = {p: str(p.resolve()) for p in candidates}
            for p, origin in found.items():
                if abr_name(p) is not None:
                    files[p] = origin
                elif p.suffix.lower() == ".zip" or not Path(target).is_dir():
                    others.append((p, origin))
        raws = archive_sets(paths, files)
        archive = RawArchive(paths.raw)
        raws += [archive.put_file(p, source=origin) for p, origin in others]
        return sorted(raws, key=lambda r: load_order(r.original_name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
