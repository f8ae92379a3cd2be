"""DCAT catalog parsing and incremental fetch (httpx.MockTransport, no network)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from registries.abr.catalog import parse_catalog, parse_updated, select
from registries.abr.fetch import DOWNLOADED, NOT_MODIFIED, SAME_CONTENT, SKIPPED, fetch_resources, load_state
from registries.abr.sample import sample_tables, write_sample


def test_parse_catalog(samples):
    resources = parse_catalog((samples / "dcat.json").read_bytes())
    assert len(resources) == len(list(samples.glob("*.csv.zip")))
    by_name = {r.file_name: r for r in resources}
    r = by_name["mt_parcel_city131016.csv.zip"]
    assert r.url == "https://data.address-br.digital.go.jp/mt_parcel/city/mt_parcel_city131016.csv.zip"
    assert r.name.type == "parcel" and r.name.code == "131016"
    assert r.last_modified == datetime(2025, 9, 30, 15, 41, 43, tzinfo=UTC)
    assert {x.file_name for x in select(resources, types={"parcel"}, lg_codes={"131016"})} == {
        "mt_parcel_city131016.csv.zip", "mt_parcel_pos_city131016.csv.zip"}
    assert select(resources, types={"town"}, lg_codes={"221384"})[0].file_name == "mt_town_all.csv.zip"


def test_catalog_ignores_non_zip_and_duplicates():
    feed = {"dataset": [
        {"identifier": "a", "description": "説明\n最終更新日：2024-03-15", "distribution": [
            {"accessURL": "https://data.example.invalid/mt_pref/mt_pref_all.csv.zip"},
            {"accessURL": "https://example.org/spec.pdf"},
            {"downloadURL": "https://data.example.invalid/mt_pref/mt_pref_all.csv.zip"},
        ]},
        {"identifier": "b", "distribution": [{"accessURL": "https://x/other_file.csv.zip"}]},
    ]}
    resources = parse_catalog(json.dumps(feed))
    assert [r.file_name for r in resources] == ["mt_pref_all.csv.zip", "other_file.csv.zip"]
    assert resources[0].last_modified == datetime(2024, 3, 15, tzinfo=UTC)
    assert resources[1].name is None and resources[1].last_modified is None
    assert parse_updated("最終更新日: 2025-09-30T15:41:43.000Z").tzinfo is not None
    with pytest.raises(ValueError):
        parse_catalog("{}")


class FakeServer:
    """Serves files by URL path with strong ETags; can ignore validators (always 200)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[httpx.Request] = []
        self.honour_validators = True

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path not in self.files:
            return httpx.Response(404)
        etag = self.etag(path)
        if self.honour_validators and request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(200, content=self.files[path], headers={
            "etag": etag, "last-modified": "Tue, 30 Sep 2025 15:41:43 GMT", "content-type": "application/zip"})


@pytest.fixture
def setup(tmp_path):
    src = tmp_path / "src"
    write_sample(src)
    resources = parse_catalog((src / "dcat.json").read_bytes())
    server = FakeServer({f"/{r.url.split('/', 3)[3]}": (src / r.file_name).read_bytes() for r in resources})
    client = httpx.Client(transport=httpx.MockTransport(server))
    return resources, server, client, tmp_path / "dl", tmp_path / "state" / "abr.json"


def test_fetch_downloads_then_skips_unchanged(setup):
    resources, server, client, dest, state_path = setup
    first = fetch_resources(resources, dest, state_path, client=client)
    assert {o.status for o in first} == {DOWNLOADED}
    assert all(o.path.read_bytes() == server.files[f"/{o.url.split('/', 3)[3]}"] for o in first)
    state = load_state(state_path)
    entry = state[resources[0].url]
    assert entry["etag"] and entry["size"] == Path(entry["path"]).stat().st_size
    assert entry["sha256"] == hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
    assert entry["last_modified"] == "Tue, 30 Sep 2025 15:41:43 GMT"

    # catalog date unchanged and local copies intact: no request at all
    n = len(server.requests)
    assert {o.status for o in fetch_resources(resources, dest, state_path, client=client)} == {SKIPPED}
    assert len(server.requests) == n

    # conditional requests: 304 for every file
    second = fetch_resources(resources, dest, state_path, client=client, trust_catalog=False)
    assert {o.status for o in second} == {NOT_MODIFIED}
    assert all(r.headers.get("if-none-match") for r in server.requests[n:])

    # a server that ignores validators and sends the same bytes: recognised by sha256
    server.honour_validators = False
    third = fetch_resources(resources, dest, state_path, client=client, trust_catalog=False)
    assert {o.status for o in third} == {SAME_CONTENT}
    assert not any(o.changed for o in third)


def test_fetch_gets_only_the_changed_file(setup):
    resources, server, client, dest, state_path = setup
    fetch_resources(resources, dest, state_path, client=client)
    town = next(r for r in resources if r.file_name == "mt_town_all.csv.zip")
    path = f"/{town.url.split('/', 3)[3]}"
    server.files[path] = server.files[path] + b"\x00"  # new content, new ETag
    n = len(server.requests)
    outcomes = fetch_resources(resources, dest, state_path, client=client, trust_catalog=False)
    changed = [o.url for o in outcomes if o.changed]
    assert changed == [town.url]
    assert len(server.requests) - n == len(resources)
    assert load_state(state_path)[town.url]["sha256"] == hashlib.sha256(server.files[path]).hexdigest()


def test_fetch_refetches_when_local_copy_is_gone(setup):
    resources, server, client, dest, state_path = setup
    first = fetch_resources(resources[:1], dest, state_path, client=client)
    first[0].path.unlink()
    again = fetch_resources(resources[:1], dest, state_path, client=client)
    assert again[0].status == SAME_CONTENT and again[0].path.exists()
    assert "if-none-match" not in server.requests[-1].headers


def test_sample_is_reproducible(samples, tmp_path):
    write_sample(tmp_path)
    for p in sorted(samples.glob("*.csv.zip")) + [samples / "dcat.json"]:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name
    assert set(sample_tables()) == {p.name.removesuffix(".csv.zip") for p in samples.glob("*.csv.zip")}
