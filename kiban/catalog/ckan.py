"""CKAN-compatible payloads (CKAN API v3 ``package_show`` / ``resource_show`` shapes), read-only.

Japanese catalog harvesters (e.g. the data.go.jp / e-Gov CKAN harvester) read ``package_list``, ``package_show``
and ``package_search`` with CKAN's ``{"help", "success", "result"}`` envelope; the dicts here follow CKAN 2.10's
field names. Ids are stable UUIDv5s, so a harvester updates the same package across releases.
"""

from __future__ import annotations

from typing import Any

from kiban.catalog.links import Links, stable_id
from schemas.contract import Contract

ORGANIZATION = {"id": stable_id("org", "kiban"), "name": "kiban", "title": "Kiban 基盤", "type": "organization",
                "state": "active", "is_organization": True}


def _resource(package_id: str, position: int, *, name: str, url: str, fmt: str, description: str,
              mimetype: str, size: int | None = None, sha256: str | None = None, created: str | None = None
              ) -> dict[str, Any]:
    return {
        "id": stable_id(package_id, name), "package_id": package_id, "name": name, "description": description,
        "format": fmt, "url": url, "mimetype": mimetype, "size": size,
        "hash": f"sha256:{sha256}" if sha256 else "", "created": created, "last_modified": created,
        "position": position, "state": "active", "url_type": None, "resource_type": None,
    }


def resources(contract: Contract, manifest: dict[str, Any] | None, links: Links) -> list[dict[str, Any]]:
    pid = stable_id("package", contract.name)
    out = [_resource(pid, 0, name=f"{contract.name} データ辞書 (data dictionary)", url=links.page(contract.name),
                     fmt="HTML", mimetype="text/html", description="Columns, code tables and quality results")]
    if manifest is None or contract.name not in manifest["datasets"]:
        return out
    entry = manifest["datasets"][contract.name]
    fmt = "GeoParquet" if entry["format"] == "geoparquet" else "Parquet"
    for f in (f for f in manifest["files"] if f.get("dataset") == contract.name and f["path"].endswith(".parquet")):
        out.append(_resource(
            pid, len(out), name=f["path"], url=links.file(f["path"]), fmt=fmt,
            mimetype="application/vnd.apache.parquet", size=f["bytes"], sha256=f["sha256"],
            created=manifest["created_at"], description=f"{f.get('rows')} rows, release {manifest['version']}"))
    return out


def package(contract: Contract, manifest: dict[str, Any] | None, links: Links) -> dict[str, Any]:
    pid = stable_id("package", contract.name)
    res = resources(contract, manifest, links)
    tags = [{"name": contract.group, "display_name": contract.group}] + [
        {"name": t.ja, "display_name": t.ja} for t in contract.code_tables()]
    released = manifest is not None and contract.name in manifest["datasets"]
    extras = {
        "schema_version": contract.version, "schema_hash": contract.schema_hash(),
        "attribution": contract.attribution, "title_en": contract.title_en,
        "release": manifest["version"] if released and manifest else "",
        "rows": str(manifest["datasets"][contract.name]["rows"]) if released and manifest else "",
    }
    return {
        "id": pid, "name": contract.name.replace("_", "-"), "title": contract.title_ja,
        "notes": f"{contract.title_en}\n\n{contract.description}", "url": links.page(contract.name),
        "version": contract.version, "license_id": "other-at", "license_title": contract.licence,
        "author": contract.owner, "maintainer": contract.owner, "organization": ORGANIZATION,
        "owner_org": ORGANIZATION["id"], "state": "active", "private": False, "type": "dataset",
        "metadata_created": manifest["created_at"] if manifest else None,
        "metadata_modified": manifest["created_at"] if manifest else None,
        "num_resources": len(res), "num_tags": len(tags), "tags": tags,
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "resources": res, "groups": [],
    }


def find_package(contracts: dict[str, Contract], ident: str) -> Contract | None:
    """By CKAN name (hyphens), dataset name (underscores) or package id."""
    for c in contracts.values():
        if ident in (c.name, c.name.replace("_", "-"), stable_id("package", c.name)):
            return c
    return None


def search(packages: list[dict[str, Any]], q: str, rows: int, start: int) -> dict[str, Any]:
    """``package_search``: every term of ``q`` must occur in the name, title, notes or tags (case-insensitive)."""
    terms = [t.lower() for t in q.split() if t and t != "*:*"]

    def text(p: dict[str, Any]) -> str:
        return " ".join([p["name"], p["title"], p["notes"], *[t["name"] for t in p["tags"]]]).lower()

    hits = [p for p in packages if all(t in text(p) for t in terms)]
    return {"count": len(hits), "sort": "score desc, metadata_modified desc", "facets": {},
            "search_facets": {}, "results": hits[start:start + rows]}
