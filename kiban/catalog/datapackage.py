"""Frictionless ``datapackage.json`` of a release (Data Package v1 shape with multipart Parquet resources)."""

from __future__ import annotations

from typing import Any

from schemas.contract import Contract

_TYPES = {"string": "string", "int32": "integer", "int64": "integer", "double": "number", "bool": "boolean",
          "date": "date", "timestamp": "datetime", "json": "string", "geometry": "any"}


def field(contract: Contract, name: str) -> dict[str, Any]:
    c = contract.column(name)
    f: dict[str, Any] = {"name": c.name, "type": _TYPES[c.type], "title": c.ja, "description": c.en}
    constraints: dict[str, Any] = {}
    if not c.nullable:
        constraints["required"] = True
    if c.pattern:
        constraints["pattern"] = c.pattern
    if c.codes:
        constraints["enum"] = list(c.codes.codes)
    if c.type == "geometry":
        f["format"] = "wkb"
    if c.type == "json":
        f["format"] = "json"
    if constraints:
        f["constraints"] = constraints
    return f


def resource(contract: Contract, entry: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    res: dict[str, Any] = {
        "name": contract.name,
        "title": contract.title_ja,
        "description": f"{contract.title_en}. {contract.description}",
        "profile": "tabular-data-resource",
        "path": [f["path"] for f in files],
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "bytes": sum(f["bytes"] for f in files),
        "schema": {"fields": [field(contract, c) for c in contract.column_names],
                   **({"primaryKey": list(contract.primary_key)} if contract.primary_key else {})},
        "licenses": [{"name": "other-at", "title": contract.licence}],
        "sources": [{"title": contract.attribution}] if contract.attribution else [],
        "kiban": {"rows": entry["rows"], "schema_version": contract.version, "schema_hash": contract.schema_hash(),
                  "partition_dirs": entry["partition_dirs"], "format": entry["format"]},
    }
    if len(files) == 1:
        res["hash"] = f"sha256:{files[0]['sha256']}"
    return res


def datapackage(manifest: dict[str, Any], contracts: dict[str, Contract]) -> dict[str, Any]:
    version = manifest["version"]
    return {
        "profile": "data-package",
        "name": f"kiban-{version.replace('.', '-')}",
        "title": f"Kiban 基盤 open data release {version}",
        "version": version,
        "created": manifest["created_at"],
        "resources": [
            resource(contracts[n], e, [f for f in manifest["files"] if f.get("dataset") == n])
            for n, e in manifest["datasets"].items()
        ],
    }
