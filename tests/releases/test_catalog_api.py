"""Catalog: CKAN API envelopes, DCAT JSON-LD, datapackage.json, data dictionary, release files over HTTP."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from kiban.releases.store import ReleaseStore
from kiban.serve.app import create_app


@pytest.fixture(scope="module")
def client(shared_release):
    return TestClient(create_app(shared_release))


def test_ckan_package_list_and_show_use_the_ckan_envelope(client):
    body = client.get("/api/3/action/package_list").json()
    assert body["success"] is True and "help" in body
    assert "corporations" in body["result"] and "parcels" in body["result"] and "loads" not in body["result"]
    pkg = client.get("/api/3/action/package_show", params={"id": "corporations"}).json()
    assert pkg["success"] and pkg["result"]["name"] == "corporations"
    result = pkg["result"]
    assert result["num_resources"] == len(result["resources"]) == 1 + 3  # dictionary + one file per prefecture
    parquet = [r for r in result["resources"] if r["format"] == "Parquet"]
    assert all(r["hash"].startswith("sha256:") and r["size"] > 0 for r in parquet)
    assert {e["key"] for e in result["extras"]} >= {"schema_hash", "attribution", "release"}


def test_ckan_resource_show_and_download(client):
    pkg = client.get("/api/3/action/package_show", params={"id": "parcels"}).json()["result"]
    res = next(r for r in pkg["resources"] if r["format"] == "GeoParquet")
    shown = client.get("/api/3/action/resource_show", params={"id": res["id"]}).json()
    assert shown["success"] and shown["result"] == res
    data = client.get(res["url"])
    assert data.status_code == 200 and data.content[:4] == b"PAR1" and len(data.content) == res["size"]


def test_ckan_search_pages_and_errors(client):
    everything = client.get("/api/3/action/package_search", params={"rows": 1000}).json()["result"]
    page = client.get("/api/3/action/package_search", params={"rows": 2, "start": 1}).json()["result"]
    assert page["count"] == everything["count"] and page["results"] == everything["results"][1:3]
    hit = client.get("/api/3/action/package_search", params={"q": "法人番号 現在"}).json()["result"]
    assert [p["name"] for p in hit["results"]] == ["corporations"]
    missing = client.get("/api/3/action/package_show", params={"id": "nope"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False and missing.json()["error"]["__type"] == "Not Found Error"
    assert client.get("/api/3/action/package_show").status_code == 409


def test_dcat_jsonld_parses_with_context_and_distributions(client, shared_release):
    doc = client.get("/catalog.jsonld").json()
    assert "@context" in doc and doc["@type"] == "dcat:Catalog"
    corp = next(d for d in doc["dcat:dataset"] if d["dct:identifier"] == "corporations")
    assert len(corp["dcat:distribution"]) == 3
    assert corp["dcat:distribution"][0]["dcat:downloadURL"]["@id"].startswith("http://testserver/releases/")
    store = ReleaseStore.of(shared_release)
    embedded = json.loads((store.root / store.latest() / "catalog.jsonld").read_text())
    assert embedded["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"


def test_datapackage_json_has_a_valid_shape(shared_release):
    store = ReleaseStore.of(shared_release)
    root = store.root / store.latest()
    pkg = json.loads((root / "datapackage.json").read_text())
    assert pkg["profile"] == "tabular-data-package" and pkg["name"].islower()
    # report_submissions (receipts, a view over the ledger) is published only once there are reports
    assert {r["kiban"]["dataset"] for r in pkg["resources"]} == {"corporations", "parcels"}
    assert len(pkg["resources"]) == 3 + 1  # one resource per Parquet file: a Parquet file is no chunk of another
    for r in pkg["resources"]:
        assert (root / r["path"]).is_file() and r["profile"] == "tabular-data-resource"
        fields = r["schema"]["fields"]
        assert all({"name", "type"} <= set(f) for f in fields)
        assert {f["type"] for f in fields} <= {"string", "integer", "number", "boolean", "date", "datetime", "any"}
    kind = next(f for f in next(r for r in pkg["resources"] if r["kiban"]["dataset"] == "corporations")["schema"]
                ["fields"] if f["name"] == "kind")
    assert "301" in kind["constraints"]["enum"]


def test_data_dictionary_served_with_quality_and_code_tables(client):
    page = client.get("/datasets/corporations")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert "法人種別" in html and "株式会社" in html and "corporate_number__pattern" in html
    assert client.get("/datasets/nope").status_code == 404


def test_release_listing_and_manifest_routes(client, shared_release):
    listing = client.get("/v1/releases").json()
    assert listing["latest"] == listing["releases"][-1]
    manifest = client.get("/v1/releases/latest").json()
    assert manifest["version"] == listing["latest"]
    assert client.get("/releases/latest/../../lake/catalog.ducklake").status_code == 404
