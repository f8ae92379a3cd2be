"""地図XML fetched as the Dagster resource and ``kiban ingest moj-map URL`` do it: conditional downloads from a
site on 127.0.0.1 (ETag kept in KIBAN_HOME/downloads/moj_map/state.json), unchanged files not transferred."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiban.cli import main
from pipelines.moj_map.resources import MojMapDownloads
from registries.moj_map.fetch import state_path

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "moj_map" / "13101-0001.zip"


@pytest.fixture
def site():
    """Serves the sample zip with an ETag; answers 304 to a matching If-None-Match. Records the requests."""
    seen: list[dict] = []
    body = SAMPLE.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append({"path": self.path, "if_none_match": self.headers.get("If-None-Match")})
            if self.path != "/data/13101-0001.zip":
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data/13101-0001.zip", seen
    server.shutdown()


def test_the_resource_downloads_a_file_once_and_then_only_asks_whether_it_changed(home, site):
    url, seen = site
    resource = MojMapDownloads(urls=f" {url} ,")
    first = resource.fetch(home)
    assert [o.original_name for o in first] == ["13101-0001.zip"]
    assert first[0].path.read_bytes() == SAMPLE.read_bytes()
    assert json.loads(state_path(home).read_text())[url]["etag"] == '"v1"'
    assert resource.fetch(home) == []
    assert [r["if_none_match"] for r in seen] == [None, '"v1"']


def test_the_cli_loads_a_url_and_reports_an_unchanged_one(home, site):
    url, _ = site
    runner = CliRunner()
    out = runner.invoke(main, ["--home", str(home.home), "ingest", "moj-map", url])
    assert out.exit_code == 0, out.output
    assert "loaded 13101-0001.zip (parcels=4)" in out.output
    again = runner.invoke(main, ["--home", str(home.home), "ingest", "moj-map", url])
    assert f"{url}: not modified since the last download" in again.output
    assert again.exit_code == 1  # nothing was loaded
