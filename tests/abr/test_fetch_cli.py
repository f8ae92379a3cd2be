"""ABR through the DCAT feed (offline, httpx.MockTransport): only changed files move; and the CLI commands."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import httpx
from click.testing import CliRunner

from kiban import query
from kiban.cli import main
from registries.abr.catalog import FEED_URL
from registries.abr.load import ingest_targets


class FakeAbrSite:
    """The DCAT feed and the town files, with ETags and 304 on If-None-Match; counts file downloads."""

    def __init__(self, folder) -> None:
        feed = json.loads((folder / "dcat.json").read_text(encoding="utf-8"))
        feed["dataset"] = [d for d in feed["dataset"] if d["title"].startswith("mt_town")]
        self.feed = feed
        self.files = {d["distribution"][0]["accessURL"]: (folder / d["title"]).with_suffix(".csv.zip").read_bytes()
                      for d in feed["dataset"]}
        self.downloads: list[str] = []

    def update(self, name: str, data: bytes, updated: str) -> None:
        for d in self.feed["dataset"]:
            if d["title"] == name:
                d["description"] = f"{name}\n最終更新日: {updated}"
                self.files[d["distribution"][0]["accessURL"]] = data

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == FEED_URL:
            return httpx.Response(200, json=self.feed)
        data = self.files[url]
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        self.downloads.append(url.rsplit("/", 1)[-1])
        return httpx.Response(200, content=data, headers={"ETag": etag, "Content-Type": "application/zip"})


def _moved(zip_bytes: bytes) -> bytes:
    """The 浜松市 town point moved a little (a new publication of mt_town_pos_pref22)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        inner = zf.namelist()[0]
        text = zf.read(inner).decode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(inner, text.replace("137.734", "137.735"))
    return buf.getvalue()


def test_dcat_feed_downloads_only_what_changed(home, samples):
    site = FakeAbrSite(samples)
    client = httpx.Client(transport=httpx.MockTransport(site.handler))

    first = ingest_targets(home, [FEED_URL], client=client)
    assert [(r.source_file, r.status) for r in first] == [("mt_town_all.set.zip", "loaded")]
    assert sorted(site.downloads) == ["mt_town_all.csv.zip", "mt_town_pos_pref13.csv.zip",
                                      "mt_town_pos_pref22.csv.zip"]

    site.downloads.clear()
    second = ingest_targets(home, [FEED_URL], client=client)
    assert site.downloads == [] and [r.status for r in second] == ["duplicate"]

    pos22 = next(u for u in site.files if u.endswith("mt_town_pos_pref22.csv.zip"))
    site.update("mt_town_pos_pref22", _moved(site.files[pos22]), "2025-10-31T00:00:00.000Z")
    third = ingest_targets(home, [FEED_URL], client=client)
    assert site.downloads == ["mt_town_pos_pref22.csv.zip"]
    assert [r.status for r in third] == ["loaded"]
    out = query.run(home, "SELECT round(rep_lon, 3) AS lon FROM abr_towns WHERE lg_code = '221384'", fmt="csv")
    assert out.split()[1] == "137.735"


def test_cli_ingest_commands(loaded, samples):
    home, _ = loaded  # everything is loaded already: the commands must find the same sets and files
    runner = CliRunner()
    # a _pos file alone brings in the master next to it (the same set as loaded before)
    out = runner.invoke(main, ["--home", str(home.home), "ingest", "abr",
                               str(samples / "mt_parcel_pos_city131016.csv.zip")])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("skipped mt_parcel_city131016.set.zip: same content")
    # a folder: the .xls only (its README is not an input)
    out = runner.invoke(main, ["--home", str(home.home), "ingest", "municipalities", str(samples.parent / "municipalities")])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("skipped 000925835.xls: same content")

    out = runner.invoke(main, ["--home", str(home.home), "ingest", "abr", str(samples / "nowhere")])
    assert out.exit_code != 0 and "no such file" in out.output
