"""CKAN's own Python client (ckanapi) reads Kiban's catalog: both API paths, GET and POST, CKAN's error shapes,
and the calls ckanext-harvest's CKAN harvester makes."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from kiban.catalog import ckan_query


@pytest.fixture(params=["api/action/", "api/3/action/"], ids=["unversioned", "v3"])
def path(request):
    return request.param


@pytest.fixture(params=[False, True], ids=["POST", "GET"])
def remote(request, server, path):
    client = ckanapi.RemoteCKAN(server, get_only=request.param, user_agent="kiban-tests")
    client.base_url = path
    yield client
    client.close()


def test_ckanapi_lists_shows_and_searches_packages_on_both_paths_by_get_and_post(remote):
    names = remote.action.package_list()
    assert names == sorted(names) and {"corporations", "parcels", "corporate-reconciliation"} <= set(names)
    assert "loads" not in names
    pkg = remote.action.package_show(id="corporations")
    assert pkg["name"] == "corporations" and pkg["owner_org"] == pkg["organization"]["id"]
    parquet = [r for r in pkg["resources"] if r["format"] == "Parquet"]
    assert len(parquet) == 3 and all(r["hash"].startswith("sha256:") and r["size"] > 0 for r in parquet)
    assert remote.action.resource_show(id=parquet[0]["id"]) == parquet[0]
    found = remote.action.package_search(q="法人番号", fq="groups:corporate", rows=1)
    assert found["count"] == 3 and len(found["results"]) == 1  # events, current state, reconciliation


def test_ckanapi_gets_ckan_errors_as_its_own_exceptions(remote):
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError) as missing:
        remote.action.resource_show()
    assert missing.value.error_dict["id"] == ["Missing value"]
    with pytest.raises(ckanapi.ValidationError) as bad_rows:
        remote.action.package_search(rows="many")
    assert bad_rows.value.error_dict["rows"] == ["Invalid integer"]
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(fq="no_such_field:x")
    with pytest.raises(ckanapi.NotFound):
        remote.action.help_show(name="no_such_action")


def test_write_actions_are_refused_with_an_authorization_error(server):
    with ckanapi.RemoteCKAN(server) as remote, pytest.raises(ckanapi.NotAuthorized):
        remote.action.package_create(name="intruder", title="Intruder")


@pytest.mark.parametrize("prefix", ["/api/action", "/api/3/action"])
def test_error_bodies_have_ckans_shape_and_status_codes(server, prefix):
    not_found = httpx.get(f"{server}{prefix}/package_show", params={"id": "nope"})
    assert not_found.status_code == 404
    body = not_found.json()
    assert body["success"] is False and body["help"] == f"{server}/api/3/action/help_show?name=package_show"
    assert body["error"] == {"__type": "Not Found Error", "message": "Not found"}
    invalid = httpx.post(f"{server}{prefix}/package_show", json={})
    assert invalid.status_code == 409
    assert invalid.json()["error"] == {"__type": "Validation Error", "name_or_id": ["Missing value"]}
    denied = httpx.post(f"{server}{prefix}/package_delete", json={"id": "corporations"})
    assert denied.status_code == 403 and denied.json()["error"]["__type"] == "Authorization Error"
    unknown = httpx.get(f"{server}{prefix}/frobnicate")
    assert unknown.status_code == 400 and unknown.json() == "Bad request - Action name not known: frobnicate"
    not_json = httpx.post(f"{server}{prefix}/package_list", content=b"[1, 2]",
                          headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and "needs to be a dictionary" in not_json.json()
    query = httpx.get(f"{server}{prefix}/package_search", params={"q": "name:(corporations"})
    assert query.status_code == 400 and query.json()["error"]["__type"] == "Search Query Error"


def test_post_accepts_a_form_body_like_ckan(server):
    r = httpx.post(f"{server}/api/3/action/package_show", data={"id": "parcels"})
    assert r.status_code == 200 and r.json()["result"]["name"] == "parcels"


def test_the_harvesters_incremental_search_pages_by_id_and_filters_by_modification_time(server):
    """ckanext-harvest's gather stage: rows=100, sort='id asc', fq with organization and metadata_modified,
    paging by ``start`` until an empty page."""
    remote = ckanapi.RemoteCKAN(server, get_only=True)
    pkg = remote.action.package_show(id="corporations")
    modified = pkg["metadata_modified"]
    assert len(modified) == 26 and modified[10] == "T"  # CKAN: naive UTC with microseconds
    since = ckan_query.parse_time(modified).strftime("%Y-%m-%dT%H:%M:%S")
    seen, start = [], 0
    while True:
        page = remote.action.package_search(fq=f"organization:kiban OR organization:other "
                                               f"metadata_modified:[{since}Z TO *]",
                                            rows=2, start=start, sort="id asc")["results"]
        if not page:
            break
        seen += page
        start += 2
    assert [p["id"] for p in seen] == sorted(p["id"] for p in seen)
    assert len(seen) == len(remote.action.package_list())
    later = remote.action.package_search(fq="metadata_modified:[NOW+1DAY TO *]")
    assert later["count"] == 0 and later["results"] == []
    org = remote.action.organization_show(id=pkg["owner_org"])
    assert org["name"] == "kiban" and org["package_count"] == len(seen)
    group = remote.action.group_show(id=pkg["groups"][0]["id"])
    assert group["name"] == "corporate" and group["package_count"] == 3


def test_facets_and_field_lists_follow_ckan(server):
    remote = ckanapi.RemoteCKAN(server)
    r = remote.action.package_search(**{"facet.field": ["groups", "res_format", "organization"], "rows": 0})
    assert r["results"] == [] and r["count"] == len(remote.action.package_list())
    assert r["facets"]["res_format"]["HTML"] == r["count"]
    assert r["facets"]["res_format"]["GeoParquet"] == 1
    assert r["facets"]["groups"]["corporate"] == 3
    items = r["search_facets"]["organization"]["items"]
    assert items == [{"name": "kiban", "display_name": "Kiban 基盤", "count": r["count"]}]
    slim = remote.action.package_search(q="name:corpor*", fl="id,name", sort="name desc")
    assert slim["results"] == [{"id": p["id"], "name": p["name"]} for p in slim["results"]]
    prefixed = sorted((n for n in remote.action.package_list() if n.startswith("corpor")), reverse=True)
    assert {"corporations", "corporate-reconciliation", "corporate-events"} <= set(prefixed)
    assert [p["name"] for p in slim["results"]] == prefixed
    negated = remote.action.package_search(fq="-groups:corporate", rows=1000)
    assert negated["count"] == r["count"] - 3


def test_lists_tags_status_and_help_answer_like_ckan(server):
    remote = ckanapi.RemoteCKAN(server, get_only=True)
    assert remote.action.organization_list() == ["kiban"]
    groups = remote.action.group_list(all_fields=True)
    assert {"corporate", "real-estate"} <= {g["name"] for g in groups}
    assert all(g["package_count"] >= 1 and g["type"] == "group" for g in groups)
    tags = remote.action.tag_list()
    assert "法人種別" in tags and tags == sorted(tags)
    status = remote.action.status_show()
    assert status["ckan_version"].startswith("2.10") and status["site_url"] == server
    assert "Searches for packages" in remote.action.help_show(name="package_search")


def test_the_search_query_subset_matches_solr_semantics():
    pkgs = [
        {"id": "1", "name": "a", "title": "住所", "notes": "", "state": "active", "type": "dataset",
         "tags": [{"name": "x"}], "groups": [{"name": "g1", "title": "G1"}], "resources": [], "extras": [],
         "metadata_modified": "2026-11-01T00:00:00.000000", "num_resources": 0},
        {"id": "2", "name": "b", "title": "法人", "notes": "", "state": "active", "type": "dataset",
         "tags": [{"name": "y"}], "groups": [{"name": "g2", "title": "G2"}], "resources": [], "extras": [],
         "metadata_modified": "2026-11-20T12:00:00.000000", "num_resources": 3},
    ]

    def hits(q: str) -> list[str]:
        node = ckan_query.parse(q)
        return [p["name"] for p in pkgs if ckan_query.matches(node, p)]

    assert hits("*:*") == hits("") == ["a", "b"]
    assert hits("groups:g1 OR groups:g2 metadata_modified:[2026-11-10T00:00:00Z TO *]") == ["b"]
    assert hits("metadata_modified:{* TO 2026-11-01T00:00:00Z}") == []
    assert hits("metadata_modified:[* TO 2026-11-01T00:00:00Z]") == ["a"]
    assert hits("+state:(active OR draft) -tags:y") == ["a"]
    assert hits("NOT name:a") == ["b"]
    assert hits("住所") == ["a"] and hits('title:"法人"') == ["b"]
    assert hits("num_resources:[1 TO *]") == ["b"]
    for bad in ("name:", "(name:a", "nofield:1", "metadata_modified:[yesterday TO *]"):
        with pytest.raises(ckan_query.QueryError):
            hits(bad)
