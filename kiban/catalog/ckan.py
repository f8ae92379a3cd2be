"""CKAN-shaped dicts (CKAN 2.10/2.11 ``package_show``, ``resource_show``, ``organization_show``, ``group_show``).

Harvesters (ckanext-harvest's CKAN harvester, data.go.jp-style portals) store these dicts as they come, so the
field names, the timestamp format (naive UTC ``2026-11-30T00:00:00.000000``, compared as strings by the harvester),
``extras`` as ``[{"key", "value"}]`` with string values, and stable ids (UUIDv5: a harvester updates the same
package across releases) follow CKAN. Every public contract is a package; its contract group is a CKAN group;
the Kiban operator is the one organization. DCAT-AP extras (``frequency``, ``temporal_start``/``_end``,
``spatial_uri``...) use the keys ckanext-dcat reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiban.catalog import vocab
from kiban.catalog.links import Links, stable_id
from schemas.contract import Contract

ORG_NAME = "kiban"


def ckan_time(iso: str | None) -> str | None:
    """An ISO timestamp as CKAN writes it: naive UTC with microseconds."""
    if not iso:
        return None
    t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if t.tzinfo:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def organization(created: str | None = None, package_count: int | None = None) -> dict[str, Any]:
    publisher = vocab.Publisher.from_env("Kiban 基盤")
    out: dict[str, Any] = {
        "id": stable_id("org", ORG_NAME), "name": ORG_NAME, "title": publisher.name, "display_name": publisher.name,
        "type": "organization", "description": "Validated, versioned releases of Japanese base registries and "
                                               "municipal reports (ベース・レジストリ).",
        "image_url": "", "image_display_url": "", "created": created, "is_organization": True,
        "approval_status": "approved", "state": "active",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group(name: str, created: str | None = None, package_count: int | None = None) -> dict[str, Any]:
    title = vocab.group_title(name)
    out: dict[str, Any] = {
        "id": stable_id("group", name), "name": name.replace("_", "-"), "title": title, "display_name": title,
        "type": "group", "description": "", "image_url": "", "image_display_url": "", "created": created,
        "is_organization": False, "approval_status": "approved", "state": "active",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def _resource(package_id: str, position: int, *, name: str, url: str, fmt: str, description: str,
              mimetype: str, created: str | None, size: int | None = None, sha256: str | None = None
              ) -> dict[str, Any]:
    return {
        "id": stable_id(package_id, name), "package_id": package_id, "name": name, "description": description,
        "format": fmt, "url": url, "mimetype": mimetype, "mimetype_inner": None, "size": size,
        "hash": f"sha256:{sha256}" if sha256 else "", "created": created, "last_modified": created,
        "metadata_modified": created, "position": position, "state": "active", "url_type": None,
        "resource_type": None, "cache_url": None, "cache_last_updated": None, "datastore_active": False,
    }


def resources(contract: Contract, manifest: dict[str, Any] | None, links: Links) -> list[dict[str, Any]]:
    pid = stable_id("package", contract.name)
    modified = ckan_time(manifest["created_at"]) if manifest else None
    out = [_resource(pid, 0, name=f"{contract.name} データ辞書 (data dictionary)", url=links.page(contract.name),
                     fmt="HTML", mimetype="text/html", description="Columns, code tables and quality results",
                     created=modified)]
    if manifest is None or contract.name not in manifest["datasets"]:
        return out
    entry = manifest["datasets"][contract.name]
    fmt = "GeoParquet" if entry["format"] == "geoparquet" else "Parquet"
    for f in (f for f in manifest["files"] if f.get("dataset") == contract.name and f["path"].endswith(".parquet")):
        out.append(_resource(
            pid, len(out), name=f["path"], url=links.file(f["path"]), fmt=fmt,
            mimetype="application/vnd.apache.parquet", size=f["bytes"], sha256=f["sha256"], created=modified,
            description=f"{f.get('rows')} rows, release {manifest['version']}"))
    return out


def package(contract: Contract, manifest: dict[str, Any] | None, links: Links,
            first_released: str | None = None) -> dict[str, Any]:
    """The package of ``contract``; resources from ``manifest`` (the latest release) where it has the dataset.

    ``metadata_modified`` is the latest release's time (its resources' URLs change with every release);
    ``metadata_created`` the first retained release that had the dataset (``first_released``).
    """
    pid = stable_id("package", contract.name)
    res = resources(contract, manifest, links)
    entry = (manifest or {}).get("datasets", {}).get(contract.name)
    modified = ckan_time(manifest["created_at"]) if manifest else None
    tags = [{"id": stable_id("tag", t), "name": t, "display_name": t, "state": "active", "vocabulary_id": None}
            for t in dict.fromkeys([contract.group, *[c.ja for c in contract.code_tables()]])]
    licence = vocab.licences(contract.licence)[0]
    publisher = vocab.Publisher.from_env(contract.owner)
    extras = {
        "schema_version": contract.version, "schema_hash": contract.schema_hash(),
        "attribution": contract.attribution, "title_en": contract.title_en,
        "release": manifest["version"] if entry and manifest else "",
        "rows": str(entry["rows"]) if entry else "",
        "cadence": contract.cadence or "",
        "frequency": vocab.frequency_uri(contract.cadence) or "",
        "spatial_uri": vocab.JAPAN,
        "language": vocab.LANGUAGE_JA,
        "publisher_name": publisher.name,
        **({"publisher_url": publisher.url} if publisher.url else {}),
        **({"contact_email": publisher.email} if publisher.email else {}),
    }
    if entry and entry.get("temporal"):
        extras["temporal_start"] = entry["temporal"]["start"]
        extras["temporal_end"] = entry["temporal"]["end"]
    if entry and entry.get("bbox"):
        xmin, ymin, xmax, ymax = entry["bbox"]
        extras["spatial_bbox"] = f"{xmin},{ymin},{xmax},{ymax}"
    org = organization(modified)
    return {
        "id": pid, "name": contract.name.replace("_", "-"), "title": contract.title_ja, "type": "dataset",
        "notes": f"{contract.title_en}\n\n{contract.description}", "url": links.page(contract.name),
        "version": contract.version, "license_id": licence.ckan_id, "license_title": contract.licence,
        "license_url": licence.uri or "", "isopen": licence.uri == vocab.CC_BY_4,
        "author": contract.owner, "author_email": None, "maintainer": publisher.name,
        "maintainer_email": publisher.email, "organization": org, "owner_org": org["id"], "state": "active",
        "private": False, "creator_user_id": None,
        "metadata_created": ckan_time(first_released) or modified, "metadata_modified": modified,
        "num_resources": len(res), "num_tags": len(tags), "tags": tags,
        "groups": [{k: group(contract.group)[k] for k in ("id", "name", "title", "display_name", "description",
                                                          "image_display_url")}],
        "extras": [{"key": k, "value": str(v)} for k, v in extras.items()],
        "resources": res, "relationships_as_object": [], "relationships_as_subject": [],
    }


def find_package(contracts: dict[str, Contract], ident: str) -> Contract | None:
    """By CKAN name (hyphens), dataset name (underscores) or package id."""
    for c in contracts.values():
        if ident in (c.name, c.name.replace("_", "-"), stable_id("package", c.name)):
            return c
    return None
