"""Land prices fetched as the Dagster resource does: the XPT002 API on 127.0.0.1 (key in a header), one archived
response per tile and year with data; empty tiles (404) are not archived."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.land_price.resources import LandPriceApi
from registries.land_price.fetch import bbox_tiles

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "xpt002_13_7276_3225.json"


@pytest.fixture
def api():
    calls: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            calls.append({"path": parts.path, "key": self.headers.get("Ocp-Apim-Subscription-Key"), **query})
            if self.headers.get("Ocp-Apim-Subscription-Key") != "test-key":
                self.send_error(401)
                return
            if (query.get("z"), query.get("x"), query.get("y")) != ("13", "7276", "3225"):
                self.send_error(404)
                return
            body = FIXTURE.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ex-api/external", calls
    server.shutdown()


def test_the_api_resource_archives_the_tiles_with_data_for_each_year(home, api):
    base, calls = api
    bbox = "139.755,35.675,139.765,35.685"
    tiles = bbox_tiles(bbox, 13)
    assert (13, 7276, 3225) in tiles
    resource = LandPriceApi(key="test-key", base_url=base, bbox=bbox, years="2023,2024")
    got = resource.fetch(home)
    assert [o.original_name for o in got] == ["xpt002_2023_13_7276_3225.json", "xpt002_2024_13_7276_3225.json"]
    assert len(calls) == 2 * len(tiles)
    assert {c["path"] for c in calls} == {"/ex-api/external/XPT002"} and {c["key"] for c in calls} == {"test-key"}
    assert all(c["response_format"] == "geojson" for c in calls)
