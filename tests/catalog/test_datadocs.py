"""Great Expectations Data Docs: built for every validated load (quarantined too) and for each release, served at
/quality/ without loading anything from another host, linked from the Dagster asset checks."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from kiban.load import Source, Staged, StagedDataset, per_item
from kiban.load.files import ingest_file
from kiban.serve.app import create_app
from quality import docs_assets
from quality.datadocs import STALE, docs_file, ensure_index, home_location
from schemas.contract import CodeTable, Column, Contract

KIND = CodeTable("kind", "種別", "kind", {"A": "甲", "B": "乙"})
TINY = Contract(
    name="tiny_registry", version="1", title_ja="小台帳", title_en="tiny registry", description="test",
    columns=(Column("code", "string", "コード", "code", nullable=False, pattern=r"[0-9]{3}"),
             Column("kind", "string", "種別", "kind", codes=KIND)),
    primary_key=("code",), cadence="daily",
)


def _stage(arrival, workdir: Path, load_id: str) -> Staged:
    with open(arrival.raw.path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    table = pa.table({"code": [r["code"] for r in rows], "kind": [r["kind"] for r in rows],
                      "_source_row": pa.array(range(1, len(rows) + 1), pa.int64())})
    parquet = workdir / "tiny.parquet"
    pq.write_table(table, parquet)
    return Staged([StagedDataset(TINY, parquet, rows=len(rows))])


SOURCE = Source("tiny", _stage, per_item(lambda writer, item: {"tiny_registry": item.staged.datasets[0].rows}))


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("code,kind\n" + "".join(f"{c},{k}\n" for c, k in rows), encoding="utf-8")
    return path


def _assert_offline(html: str) -> None:
    assert docs_assets._EXTERNAL.search(html) is None
    assert "cdn" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html)).lower()


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    from kiban.config import paths

    root = tmp_path_factory.mktemp("docs")
    home = paths(root / "home").ensure()
    clean = ingest_file(home, SOURCE, _csv(root / "clean.csv", [("001", "A"), ("002", "B")]))
    bad = ingest_file(home, SOURCE, _csv(root / "bad.csv", [("001", "A"), ("01x", "Z"), ("001", "B")]))
    return home, clean, bad


def test_every_validated_load_gets_its_data_docs_page_quarantined_ones_too(loads):
    home, clean, bad = loads
    assert clean.status == "loaded" and bad.status == "quarantined"
    for load in (clean, bad):
        entry = load.validation[0]
        assert entry["data_docs"].startswith(f"/quality/validations/tiny_registry/{load.load_id}/")
        page = docs_file(home.home, entry["data_docs"])
        assert page == Path(entry["data_docs_file"]) and page.is_file()
        html = page.read_text(encoding="utf-8")
        assert "code__pattern" in html or "コード（code）は" in html
        _assert_offline(html)
    bad_html = Path(bad.validation[0]["data_docs_file"]).read_text(encoding="utf-8")
    assert "01x" in bad_html  # GE shows the unexpected values of the failed checks
    report = json.loads(bad.quarantine_report.read_text())
    assert report["validation"][0]["data_docs"] == bad.validation[0]["data_docs"]
    loc = home_location(home.home)
    assert (loc.site / STALE).exists()  # loads render their pages; the index is drawn when asked for
    index = ensure_index(loc).read_text(encoding="utf-8")
    assert clean.load_id in index and bad.load_id in index and not (loc.site / STALE).exists()
    _assert_offline(index)


def test_kiban_serve_serves_the_load_docs_and_their_assets_at_quality(loads):
    home, clean, bad = loads
    client = TestClient(create_app(home))
    later = ingest_file(home, SOURCE, _csv(home.home.parent / "later.csv", [("003", "A")]))
    index = client.get("/quality/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert later.load_id in index.text  # the load after the last drawing is on the index served
    page = client.get(bad.validation[0]["data_docs"])
    assert page.status_code == 200 and bad.load_id in page.text
    assets = re.findall(r'(?:src|href)="((?:\.\./)+static/[^"?]+)', page.text)
    assert any("bootstrap.min.css" in a for a in assets) and any("jquery.min.js" in a for a in assets)
    base = bad.validation[0]["data_docs"].rsplit("/", 1)[0]
    for asset in assets:
        url = httpx.URL(f"http://testserver{base}/").join(asset)
        assert client.get(url.path).status_code == 200, asset
    for bad_path in ("/quality/../kiban.duckdb", "/quality/static/../../raw", "/quality/.hidden",
                     "/quality/validations/%2e%2e/%2e%2e/index.html", "/quality/nope.html"):
        assert client.get(bad_path).status_code == 404, bad_path


def test_a_release_carries_its_data_docs_and_the_server_serves_them(release_root, server):
    manifest = json.loads((release_root / "manifest.json").read_text())
    for name, entry in manifest["datasets"].items():
        page = release_root / entry["quality"]["data_docs"]
        assert page.is_file(), name
        _assert_offline(page.read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert "quality/index.html" in listed and all(e["quality"]["data_docs"] in listed
                                                  for e in manifest["datasets"].values())
    index = httpx.get(f"{server}/quality/releases/latest/index.html")
    assert index.status_code == 200 and manifest["version"] in index.text
    page = manifest["datasets"]["parcels"]["quality"]["data_docs"].removeprefix("quality/")
    assert httpx.get(f"{server}/quality/releases/{manifest['version']}/{page}").status_code == 200
    assert httpx.get(f"{server}/quality/releases/1999-01-01.1/index.html").status_code == 404


def test_asset_checks_link_the_data_docs_page_of_the_failing_file(loads, monkeypatch):
    import dagster as dg

    from pipelines.checks import ge_check_results

    home, clean, bad = loads
    monkeypatch.delenv("KIBAN_PUBLIC_URL", raising=False)
    results = {r.check_name: r for r in ge_check_results("tiny_registry", TINY, [], [clean, bad])}
    pattern = results["code__pattern"]
    assert not pattern.passed
    assert pattern.metadata["data_docs"] == dg.MetadataValue.path(bad.validation[0]["data_docs_file"])
    assert results["columns__ordered"].metadata["data_docs"] == dg.MetadataValue.path(
        bad.validation[0]["data_docs_file"])  # passed everywhere: the last file's page
    monkeypatch.setenv("KIBAN_PUBLIC_URL", "http://127.0.0.1:8080/")
    linked = {r.check_name: r for r in ge_check_results("tiny_registry", TINY, [], [clean])}
    assert linked["code__pattern"].metadata["data_docs"] == dg.MetadataValue.url(
        "http://127.0.0.1:8080" + clean.validation[0]["data_docs"])


def test_localise_points_cdn_references_at_vendored_files_and_keeps_the_markup_around_them():
    html = ("<style>.brand{background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
            "full_logo_dark.png');}</style>\n"
            '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">\n'
            '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&x=2"/>\n'
            '<link rel="shortcut icon" href="../../../static/images/favicon.ico"/>')
    assert docs_assets.localise(html, "../../static") == (
        "<style>.brand{background: url('../../static/images/logo-long.png');}</style>\n"
        '<link rel="stylesheet" href="../../static/vendor/fontawesome-free-6.6.0/css/all.min.css">\n'
        '<img src="../../static/images/logo-long.png"/>\n'
        '<link rel="shortcut icon" href="../../static/images/favicon.ico"/>')
    with pytest.raises(docs_assets.ExternalAsset):
        docs_assets.localise('<script src="https://cdn.example.invalid/new.js"></script>', "static")
    for local in docs_assets.ASSETS.values():
        assert (docs_assets.VENDOR / local).is_file(), local
