"""Incremental download of ABR files: only what changed, with a small JSON state file.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from registries.abr.catalog import Resource

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
