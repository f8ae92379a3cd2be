"""DCAT 2 catalog as JSON-LD (DCAT-AP / 行政データ連携標準 harvesters read it): one ``dcat:Dataset`` per contract,
one ``dcat:Distribution`` per released Parquet file, plus the data dictionary."""

from __future__ import annotations

from typing import Any

from kiban.catalog.links import Links
from schemas.contract import Contract

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
}

MEDIA = {"parquet": "application/vnd.apache.parquet", "geoparquet": "application/vnd.apache.parquet"}


def _text(ja: str, en: str) -> list[dict[str, str]]:
    return [{"@value": ja, "@language": "ja"}, {"@value": en, "@language": "en"}]


def distributions(name: str, manifest: dict[str, Any], links: Links) -> list[dict[str, Any]]:
    entry = manifest["datasets"][name]
    out = []
    for f in (f for f in manifest["files"] if f.get("dataset") == name and f["path"].endswith(".parquet")):
        out.append({
            "@id": links.file(f["path"]) + "#distribution" if not links.embedded else f"#{f['path']}",
            "@type": "dcat:Distribution",
            "dct:title": f["path"],
            "dcat:downloadURL": {"@id": links.file(f["path"])},
            "dcat:accessURL": {"@id": links.file(f["path"])},
            "dcat:mediaType": MEDIA[entry["format"]],
            "dct:format": "GeoParquet" if entry["format"] == "geoparquet" else "Parquet",
            "dcat:byteSize": {"@value": str(f["bytes"]), "@type": "xsd:nonNegativeInteger"},
            "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": "spdx:checksumAlgorithm_sha256",
                              "spdx:checksumValue": f["sha256"]},
            "dct:license": entry["licence"],
        })
    return out


def dataset(contract: Contract, manifest: dict[str, Any] | None, links: Links) -> dict[str, Any]:
    released = manifest is not None and contract.name in manifest["datasets"]
    keywords = [contract.group, *[t.ja for t in contract.code_tables()]]
    out: dict[str, Any] = {
        "@id": links.dataset_id(contract.name),
        "@type": "dcat:Dataset",
        "dct:identifier": contract.name,
        "dct:title": _text(contract.title_ja, contract.title_en),
        "dct:description": contract.description,
        "dcat:keyword": keywords,
        "dct:license": contract.licence,
        "dct:rights": contract.attribution or contract.licence,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": contract.owner},
        "adms:version": contract.version,
        "dct:conformsTo": {"@id": links.page(contract.name)},
        "dcat:landingPage": {"@id": links.page(contract.name)},
    }
    if released:
        assert manifest is not None
        out["dct:modified"] = {"@value": manifest["created_at"], "@type": "xsd:dateTime"}
        out["dcat:distribution"] = distributions(contract.name, manifest, links)
    return out


def catalog(contracts: dict[str, Contract], manifest: dict[str, Any] | None, links: Links) -> dict[str, Any]:
    """The DCAT catalog of ``contracts``; distributions come from ``manifest`` (a release) where given."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": links.catalog(),
        "@type": "dcat:Catalog",
        "dct:title": _text("Kiban 基盤 ベース・レジストリ オープンデータ", "Kiban base registry open data"),
        "dct:description": "Validated, versioned releases of Japanese base registries and municipal reports.",
        "dcat:dataset": [dataset(c, manifest, links) for c in contracts.values()],
    }
    if manifest is not None:
        doc["adms:version"] = manifest["version"]
        doc["dct:modified"] = {"@value": manifest["created_at"], "@type": "xsd:dateTime"}
    return doc
