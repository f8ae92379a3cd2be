"""Fetching 法務省 登記所備付地図データ (地図XML): one zip per 市区町村 as published on G空間情報センター.

- :func:`download_changed`: the official files, requested conditionally (ETag / Last-Modified kept per URL in
  ``KIBAN_HOME/downloads/moj_map/state.json``): a file that did not change is not transferred again;
- :func:`sample_files`: the zips at the top of a folder (the bundled sample; its ``broken/`` subfolder is not
  taken).

Both archive what they get (sha256) and return the archived objects. The Dagster resources
(``pipelines/moj_map/resources.py``) and ``kiban ingest moj-map`` call these functions; nothing here imports Dagster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths


def state_path(paths: Paths) -> Path:
    return paths.home / "downloads" / "moj_map" / "state.json"


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save_state(path: Path, state: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def download_changed(paths: Paths, urls: Sequence[str], *, client: httpx.Client | None = None) -> list[RawObject]:
    """Download each URL unless the server says it did not change since the last call (304); archive the
    downloaded files. The state is saved after each file, so an interrupted fetch keeps what it finished."""
    from registries.http import NotModified, download, redact

    archive = RawArchive(paths.raw)
    path = state_path(paths)
    state = _load_state(path)
    out = []
    for url in urls:
        known = state.get(url, {})
        dl = download(url, paths.staging, client=client, etag=known.get("etag"),
                      last_modified=known.get("last_modified"))
        if isinstance(dl, NotModified):
            continue
        try:
            out.append(archive.put_file(dl.path, original_name=dl.name, source=redact(url), sha256=dl.sha256))
        finally:
            Path(dl.path).unlink(missing_ok=True)
        state[url] = {"etag": dl.etag, "last_modified": dl.last_modified, "sha256": dl.sha256}
        _save_state(path, state)
    return out


def sample_files(paths: Paths, folder: Path) -> list[RawObject]:
    """Archive the ``*.zip`` files at the top of ``folder`` (sorted by name)."""
    archive = RawArchive(paths.raw)
    return [archive.put_file(p, source=str(p.resolve())) for p in sorted(folder.glob("*.zip")) if p.is_file()]
