"""Frictionless ``datapackage.json`` of a release (Data Package v1, tabular data resources over Parquet).

A Data Package resource whose ``path`` is a list means *one file cut in chunks* (the chunks are concatenated):
that is wrong for Parquet, where every file stands alone. So each Parquet file of a release is its own tabular
resource, with the dataset's Table Schema; a dataset written as one file keeps the dataset name, the files of a
partitioned dataset are named ``<dataset>/<partition>/<file>``. ``kiban.dataset`` groups them back. frictionless
(v5) reads Parquet through pyarrow and validates every row against the schema. Size and SHA-256 are under
``kiban`` (and in ``manifest.json``): frictionless counts bytes only of files it streams, which Parquet is not.

Contract types map to Table Schema types; ``json`` columns are strings holding JSON text (Table Schema has no JSON
string format), ``geometry`` columns are ``any`` (WKB bytes; GeoParquet metadata names the CRS).
"""

from __future__ import annotations

import re
from typing import Any

from kiban.catalog import vocab
from schemas.contract import Contract

_TYPES = {"string": "string", "int32": "integer", "int64": "integer", "double": "number", "bool": "boolean",
          "date": "date", "timestamp": "datetime", "json": "string", "geometry": "any"}


#: frictionless 5 reads Parquet through pandas, which turns the nulls of numeric and timestamp columns into NaN and
#: NaT; its reader compares ``str(cell)`` with the field's missing values, so these fields name them as missing.
_NAN_TYPES = frozenset({"int32", "int64", "double", "timestamp"})
MISSING_NAN = ["", "nan", "NaT"]


def field(contract: Contract, name: str) -> dict[str, Any]:
    c = contract.column(name)
    description = c.en
    if c.type == "json":
        description += " (JSON text)"
    elif c.type == "geometry":
        description += " (WKB geometry, JGD2011 lon/lat)"
    f: dict[str, Any] = {"name": c.name, "type": _TYPES[c.type], "title": c.ja, "description": description}
    constraints: dict[str, Any] = {}
    if not c.nullable:
        constraints["required"] = True
    if c.pattern and c.type == "string":
        constraints["pattern"] = c.pattern
    if c.codes:
        constraints["enum"] = list(c.codes.codes)
    if c.type in ("int32", "int64", "double", "date") and c.min_value is not None:
        constraints["minimum"] = c.min_value
    if c.type in ("int32", "int64", "double", "date") and c.max_value is not None:
        constraints["maximum"] = c.max_value
    if constraints:
        f["constraints"] = constraints
    if c.nullable and c.type in _NAN_TYPES:
        f["missingValues"] = MISSING_NAN
    elif not c.nullable and c.type in ("string", "json"):
        f["missingValues"] = []  # an empty string is a value here (e.g. ABR's 住居2番号 ""), not a missing one
    return f


def table_schema(contract: Contract) -> dict[str, Any]:
    return {"fields": [field(contract, c) for c in contract.column_names],
            **({"primaryKey": list(contract.primary_key)} if contract.primary_key else {})}


def resource_name(dataset: str, path: str, only: bool) -> str:
    """A Data Package resource name (lower case ``a-z0-9._/-``) for one file of ``dataset``."""
    if only:
        return dataset
    stem = path[:-len(".parquet")] if path.endswith(".parquet") else path
    return re.sub(r"[^a-z0-9._/-]", "-", stem.lower())


def _licences(contract: Contract) -> list[dict[str, Any]]:
    out = []
    for lic in vocab.licences(contract.licence):
        doc: dict[str, Any] = {"name": "CC-BY-4.0" if lic.uri == vocab.CC_BY_4 else "other-at", "title": lic.label}
        if lic.uri:
            doc["path"] = lic.uri
        out.append(doc)
    return out


def resources(contract: Contract, entry: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One tabular resource per Parquet file of ``contract``'s dataset."""
    parquet = [f for f in files if f["path"].endswith(".parquet")]
    out = []
    for f in parquet:
        out.append({
            "name": resource_name(contract.name, f["path"], len(parquet) == 1),
            "title": contract.title_ja,
            "description": f"{contract.title_en}. {contract.description}",
            "profile": "tabular-data-resource",
            "path": f["path"],
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "schema": table_schema(contract),
            "licenses": _licences(contract),
            "sources": [{"title": contract.attribution}] if contract.attribution else [],
            "kiban": {"dataset": contract.name, "rows": f.get("rows"), "bytes": f["bytes"], "sha256": f["sha256"],
                      "dataset_rows": entry["rows"],
                      "schema_version": contract.version, "schema_hash": contract.schema_hash(),
                      "partition_dirs": entry["partition_dirs"], "format": entry["format"],
                      "cadence": contract.cadence},
        })
    return out


def datapackage(manifest: dict[str, Any], contracts: dict[str, Contract]) -> dict[str, Any]:
    version = manifest["version"]
    return {
        "profile": "tabular-data-package",
        "name": f"kiban-{version.replace('.', '-')}",
        "title": f"Kiban 基盤 open data release {version}",
        "version": version,
        "created": manifest["created_at"],
        "resources": [
            r for n, e in manifest["datasets"].items()
            for r in resources(contracts[n], e, [f for f in manifest["files"] if f.get("dataset") == n])
        ],
    }
