"""Catalog files written into every release: per-dataset ``dictionary.html``, ``datapackage.json``,
``catalog.jsonld``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiban.catalog import datapackage, dcat, dictionary
from kiban.catalog.links import Links
from schemas.contract import Contract


def _json(path: Path, payload: Any) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_release_artefacts(root: Path, manifest: dict[str, Any], contracts: dict[str, Contract],
                            quality: dict[str, dict[str, Any]]) -> list[Path]:
    """Write the catalog files of the release being built at ``root``; returns the files written."""
    released = {n: contracts[n] for n in manifest["datasets"]}
    out = []
    for name, contract in released.items():
        entry = {**manifest["datasets"][name], "version": manifest["version"]}
        page = root / "dictionary" / f"{name}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(dictionary.render(contract, quality.get(name), entry), encoding="utf-8")
        out.append(page)
    out.append(_json(root / "datapackage.json", datapackage.datapackage(manifest, released)))
    out.append(_json(root / "catalog.jsonld", dcat.catalog(released, manifest, Links())))
    return out
