"""rdflib reads the DCAT JSON-LD (served and in the release) as RDF with the DCAT-AP properties harvesters need."""

from __future__ import annotations

import json

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from kiban.catalog import vocab
from kiban.serve.catalog import public_contracts

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


@pytest.fixture(scope="module")
def served(server) -> Graph:
    return Graph().parse(data=httpx.get(f"{server}/catalog.jsonld").text, format="json-ld",
                         publicID=f"{server}/catalog.jsonld")


@pytest.fixture(scope="module")
def embedded(release_root) -> Graph:
    return Graph().parse(release_root / "catalog.jsonld", format="json-ld")


@pytest.fixture(scope="module")
def manifest(release_root) -> dict:
    return json.loads((release_root / "manifest.json").read_text())


def _dataset(g: Graph, name: str):
    return next(g.subjects(DCTERMS.identifier, Literal(name)))


@pytest.mark.parametrize("graph", ["served", "embedded"])
def test_rdflib_finds_every_dataset_and_one_distribution_per_parquet_file(graph, request, manifest):
    g: Graph = request.getfixturevalue(graph)
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))  # served: every public contract; release: what it holds
    assert len(datasets) == (len(public_contracts()) if graph == "served" else len(manifest["datasets"]))
    assert len(manifest["datasets"]) == 3
    distributions = set(g.subjects(RDF.type, DCAT.Distribution))
    parquet = [f for f in manifest["files"] if f["path"].endswith(".parquet")]
    assert len(distributions) == len(parquet) == 3 + 1 + 1
    assert len(set(g.subjects(RDF.type, DCAT.Catalog))) == 1


@pytest.mark.parametrize("graph", ["served", "embedded"])
def test_distributions_carry_byte_size_and_sha256_from_the_manifest(graph, request, manifest):
    g: Graph = request.getfixturevalue(graph)
    by_title = {str(g.value(d, DCTERMS.title)): d for d in g.subjects(RDF.type, DCAT.Distribution)}
    for f in (f for f in manifest["files"] if f["path"].endswith(".parquet")):
        d = by_title[f["path"]]
        size = g.value(d, DCAT.byteSize)
        assert size.datatype == XSD.nonNegativeInteger and int(size) == f["bytes"]
        checksum = g.value(d, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(g.value(checksum, SPDX.checksumValue)) == f["sha256"]
        assert g.value(d, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/application/"
                                                    "vnd.apache.parquet")
        assert (g.value(d, DCTERMS.license), RDF.type, DCTERMS.LicenseDocument) in g


def test_datasets_have_publisher_contact_licence_periodicity_and_coverage(served, manifest):
    contracts = public_contracts()
    for name, contract in contracts.items():
        ds = _dataset(served, name)
        publisher = served.value(ds, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in served and served.value(publisher, FOAF.name)
        contact = served.value(ds, DCAT.contactPoint)
        assert (contact, RDF.type, VCARD.Organization) in served and served.value(contact, VCARD.fn)
        assert served.value(ds, DCTERMS.accrualPeriodicity) == URIRef(vocab.frequency_uri(contract.cadence))
        assert URIRef(vocab.JAPAN) in set(served.objects(ds, DCTERMS.spatial))
        licences = list(served.objects(ds, DCTERMS.license))
        assert licences and all((lic, RDF.type, DCTERMS.LicenseDocument) in served for lic in licences)
    corp = _dataset(served, "corporations")
    assert served.value(corp, DCTERMS.accrualPeriodicity) == URIRef(vocab.FREQUENCY_BASE + "DAILY")
    period = served.value(corp, DCTERMS.temporal)
    start, end = served.value(period, DCAT.startDate), served.value(period, DCAT.endDate)
    assert start.datatype == XSD.date and (str(start), str(end)) == ("2020-01-01", "2020-02-29")  # update_date
    recon = _dataset(served, "corporate_reconciliation")
    assert str(served.value(served.value(recon, DCTERMS.temporal), DCAT.startDate)) == "2026-11-01T00:00:00+00:00"
    boxes = [served.value(s, DCAT.bbox) for s in served.objects(_dataset(served, "parcels"), DCTERMS.spatial)
             if served.value(s, DCAT.bbox) is not None]
    assert len(boxes) == 1 and str(boxes[0]).startswith("POLYGON((139.7498")
    assert manifest["datasets"]["parcels"]["bbox"][0] == pytest.approx(139.7498, abs=1e-4)


def test_the_publisher_and_contact_email_come_from_the_environment(monkeypatch):
    from kiban.catalog import dcat
    from kiban.catalog.links import Links
    from schemas import get

    monkeypatch.setenv("KIBAN_PUBLISHER_NAME", "○○市 デジタル推進課")
    monkeypatch.setenv("KIBAN_PUBLISHER_URL", "https://example.invalid/")
    monkeypatch.setenv("KIBAN_CONTACT_EMAIL", "opendata@example.invalid")
    doc = dcat.catalog({"corporations": get("corporations")}, None, Links("http://127.0.0.1:1"))
    g = Graph().parse(data=json.dumps(doc), format="json-ld")
    ds = _dataset(g, "corporations")
    publisher = g.value(ds, DCTERMS.publisher)
    assert publisher == URIRef("https://example.invalid/") and str(g.value(publisher, FOAF.name)) == "○○市 デジタル推進課"
    assert g.value(g.value(ds, DCAT.contactPoint), VCARD.hasEmail) == URIRef("mailto:opendata@example.invalid")


def test_every_contracts_temporal_column_is_a_date_timestamp_or_year():
    from schemas import all_contracts

    for name, contract in all_contracts().items():
        if contract.temporal is not None:
            assert contract.column(contract.temporal).type in ("date", "timestamp", "int32", "int64"), name
        assert contract.cadence in vocab.FREQUENCY, name
