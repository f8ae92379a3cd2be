"""`kiban ingest corporate-api` against a Web-API v4 stand-in on 127.0.0.1: paging, lineage, secret kept out."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from kiban import query
from kiban.cli import main
from registries.corporate.checkdigit import make_corporate_number
from registries.corporate.webapi import XML_FIELDS

APP_ID = "APP-ID-NEVER-PRINTED"


def _row(seq: int) -> list[str]:
    return [str(seq), make_corporate_number(f"{7000 + seq:012d}"), "12", "0", "2026-11-04", "2026-11-02",
            f"株式会社ウェブ{seq}", "", "301", "東京都", "千代田区", "霞が関１丁目１", "", "13", "101", "1000013",
            "", "", "", "", "", "", "2020-04-01", "1", "", "", "", "", "ウェブ", "0"]


def _page(page: int, size: int, rows: list[list[str]]) -> bytes:
    corps = "".join("<corporation>" + "".join(f"<{f}>{v}</{f}>" if v else f"<{f}/>"
                                              for f, v in zip(XML_FIELDS, r, strict=True)) + "</corporation>"
                    for r in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><corporations><lastUpdateDate>2026-11-05</lastUpdateDate>'
            f"<count>3</count><divideNumber>{page}</divideNumber><divideSize>{size}</divideSize>{corps}"
            "</corporations>").encode()


@pytest.fixture
def api():
    pages = {1: [_row(1), _row(2)], 2: [_row(3)]}
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            seen.append({"path": url.path, **q})
            if url.path != "/4/diff" or q.get("id") != APP_ID:
                self.send_error(403)
                return
            body = _page(int(q.get("divide", "1")), 2, pages[int(q.get("divide", "1"))])
            self.send_response(200)
            self.send_header("Content-Type", "application/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/4/", seen
    server.shutdown()


def test_diff_pages_are_loaded_as_api_events(home, api, monkeypatch):
    url, seen = api
    monkeypatch.setenv("KIBAN_NTA_API_URL", url)
    monkeypatch.setenv("KIBAN_NTA_APP_ID", APP_ID)
    result = CliRunner().invoke(main, ["--home", str(home.home), "ingest", "corporate-api", "diff",
                                       "2026-11-01", "2026-11-05"])
    assert result.exit_code == 0, result.output
    assert APP_ID not in result.output
    assert [s.get("divide", "1") for s in seen] == ["1", "2"]
    rows = json.loads(query.run(home, "SELECT source_kind, count(*) AS n FROM corporate_events GROUP BY 1",
                                fmt="json"))
    assert rows == [{"source_kind": "api", "n": 3}]
    assert query.run(home, "SELECT count(*) AS n FROM corporations", fmt="csv") == "n\n3\n"
    log = query.run(home, "SELECT source_file, source_url FROM loads", fmt="csv")
    assert "api_diff_2026-11-01_2026-11-05.csv" in log and APP_ID not in log
