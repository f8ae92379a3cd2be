"""DCAT catalog as JSON-LD with the DCAT-AP properties harvesters read (DCAT-AP / 行政データ連携標準): one
``dcat:Dataset`` per contract, one ``dcat:Distribution`` per released Parquet file.

Per dataset: publisher (``foaf:Agent``), contact point (``vcard:Organization``), licence documents, accrual
periodicity from the contract's cadence (EU frequency authority table), temporal coverage (``dct:PeriodOfTime``
from the release's range of the contract's ``temporal`` column), spatial coverage (Japan, plus the bounding box of
spatial datasets), language. Per distribution: ``dcat:byteSize`` and ``spdx:checksum`` (SHA-256) from the release
manifest, media type and file type as IRIs, licence.
"""

from __future__ import annotations

from typing import Any

from kiban.catalog import vocab
from kiban.catalog.links import Links
from schemas.contract import Contract

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "locn": "http://www.w3.org/ns/locn#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}

MEDIA_TYPE = "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/PARQUET"


def _text(ja: str, en: str) -> list[dict[str, str]]:
    return [{"@value": ja, "@language": "ja"}, {"@value": en, "@language": "en"}]


def _time(value: str) -> dict[str, str]:
    return {"@value": value, "@type": "xsd:dateTime" if "T" in value else "xsd:date"}


def publisher(contract: Contract) -> dict[str, Any]:
    p = vocab.Publisher.from_env(contract.owner)
    out: dict[str, Any] = {"@type": "foaf:Agent", "foaf:name": p.name}
    if p.url:
        out["@id"] = p.url
        out["foaf:homepage"] = {"@id": p.url}
    return out


def contact_point(contract: Contract, links: Links) -> dict[str, Any]:
    p = vocab.Publisher.from_env(contract.owner)
    out: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": p.name,
                           "vcard:hasURL": {"@id": p.url or links.page(contract.name)}}
    if p.email:
        out["vcard:hasEmail"] = {"@id": f"mailto:{p.email}"}
    return out


def licence_documents(contract: Contract) -> list[dict[str, Any]]:
    return [{**({"@id": lic.uri} if lic.uri else {}), "@type": "dct:LicenseDocument", "rdfs:label": lic.label}
            for lic in vocab.licences(contract.licence)]


def _bbox_wkt(bbox: list[float]) -> str:
    x0, y0, x1, y1 = bbox
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def distributions(contract: Contract, manifest: dict[str, Any], links: Links) -> list[dict[str, Any]]:
    name = contract.name
    entry = manifest["datasets"][name]
    out = []
    for f in (f for f in manifest["files"] if f.get("dataset") == name and f["path"].endswith(".parquet")):
        out.append({
            "@id": links.file(f["path"]) + "#distribution" if not links.embedded else f"#{f['path']}",
            "@type": "dcat:Distribution",
            "dct:title": f["path"],
            "dcat:downloadURL": {"@id": links.file(f["path"])},
            "dcat:accessURL": {"@id": links.file(f["path"])},
            "dcat:mediaType": {"@id": MEDIA_TYPE},
            "dct:format": {"@id": FILE_TYPE},
            "dct:description": "GeoParquet 1.0" if entry["format"] == "geoparquet" else "Parquet (zstd)",
            "dcat:byteSize": {"@value": str(f["bytes"]), "@type": "xsd:nonNegativeInteger"},
            "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                              "spdx:checksumValue": {"@value": f["sha256"], "@type": "xsd:hexBinary"}},
            "dct:license": licence_documents(contract),
            "dct:issued": _time(manifest["created_at"]),
        })
    return out


def dataset(contract: Contract, manifest: dict[str, Any] | None, links: Links) -> dict[str, Any]:
    entry = (manifest or {}).get("datasets", {}).get(contract.name)
    keywords = [contract.group, *[t.ja for t in contract.code_tables()]]
    spatial: list[dict[str, Any]] = [{"@id": vocab.JAPAN}]
    if entry and entry.get("bbox"):
        spatial.append({"@type": "dct:Location",
                        "dcat:bbox": {"@value": _bbox_wkt(entry["bbox"]), "@type": "gsp:wktLiteral"}})
    out: dict[str, Any] = {
        "@id": links.dataset_id(contract.name),
        "@type": "dcat:Dataset",
        "dct:identifier": contract.name,
        "dct:title": _text(contract.title_ja, contract.title_en),
        "dct:description": contract.description,
        "dcat:keyword": keywords,
        "dct:license": licence_documents(contract),
        "dct:rights": contract.attribution or contract.licence,
        "dct:publisher": publisher(contract),
        "dcat:contactPoint": contact_point(contract, links),
        "dct:language": {"@id": vocab.LANGUAGE_JA},
        "dct:spatial": spatial,
        "adms:version": contract.version,
        "dct:conformsTo": {"@id": links.page(contract.name)},
        "dcat:landingPage": {"@id": links.page(contract.name)},
    }
    theme = vocab.theme_uri(contract.group)
    if theme:
        out["dcat:theme"] = {"@id": theme}
    frequency = vocab.frequency_uri(contract.cadence)
    if frequency:
        out["dct:accrualPeriodicity"] = {"@id": frequency}
    if entry:
        assert manifest is not None
        out["dct:modified"] = _time(manifest["created_at"])
        if entry.get("temporal"):
            out["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                   "dcat:startDate": _time(entry["temporal"]["start"]),
                                   "dcat:endDate": _time(entry["temporal"]["end"])}
        out["dcat:distribution"] = distributions(contract, manifest, links)
    return out


def catalog(contracts: dict[str, Contract], manifest: dict[str, Any] | None, links: Links) -> dict[str, Any]:
    """The DCAT catalog of ``contracts``; distributions come from ``manifest`` (a release) where given."""
    publisher_ = vocab.Publisher.from_env("Kiban 基盤")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": links.catalog(),
        "@type": "dcat:Catalog",
        "dct:title": _text("Kiban 基盤 ベース・レジストリ オープンデータ", "Kiban base registry open data"),
        "dct:description": "Validated, versioned releases of Japanese base registries and municipal reports.",
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher_.name,
                          **({"@id": publisher_.url} if publisher_.url else {})},
        "dct:language": {"@id": vocab.LANGUAGE_JA},
        "dcat:dataset": [dataset(c, manifest, links) for c in contracts.values()],
    }
    if manifest is not None:
        doc["adms:version"] = manifest["version"]
        doc["dct:modified"] = _time(manifest["created_at"])
    return doc
