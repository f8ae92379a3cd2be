"""The Dagster corporate assets against a fake 国税庁 download site on 127.0.0.1 (real HTTP, page-token POSTs)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from urllib.parse import parse_qs

import dagster as dg
import pytest

from kiban import query
from pipelines.corporate import assets as corporate
from pipelines.corporate.resources import NtaDownloads
from pipelines.lake import LakeResource

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def nta_site(samples):
    files = {"15101": samples / "00_zenkoku_all_20261030.zip",
             "16101": samples / "diff_20261102.zip"}
    posts: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            page = {"/download/zenken/index.html": "zenken.html", "/download/sabun/index.html": "sabun.html"}
            name = page.get(self.path)
            if name is None:
                self.send_error(404)
                return
            body = (FIXTURES / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            posts.append(form)
            path = files.get(form.get("selDlFileNo", ""))
            if path is None or not any(k.endswith("request.token") for k in form):
                self.send_error(403)
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Disposition", f'attachment; filename="{path.name}"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/download/", posts
    server.shutdown()


def test_monthly_and_daily_fetch_from_the_download_pages(home, nta_site):
    url, posts = nta_site
    resources = {"lake": LakeResource(home=str(home.home)), "nta": NtaDownloads(download_url=url)}
    assets = [corporate.nta_full_files, corporate.nta_diff_files, corporate.corporate_registry]
    res = dg.materialize(assets, selection=["nta_diff_files"], partition_key="2026-11-02",
                         resources=resources)
    assert res.success
    res = dg.materialize(assets, selection=["nta_full_files", "corporate_events", "corporations",
                                                      "corporate_reconciliation"], resources=resources)
    assert res.success
    assert [p["selDlFileNo"] for p in posts] == ["16101", "15101"]
    files = query.run(home, "SELECT DISTINCT source_file, source_kind FROM corporate_events ORDER BY 1", fmt="csv")
    assert files == "source_file,source_kind\n00_zenkoku_all_20261030.zip,full\ndiff_20261102.zip,diff\n"
    # the fetch log records the official URL (redacted), and the raw archive holds the bytes as served
    urls = query.run(home, "SELECT DISTINCT source_url FROM loads", fmt="csv")
    assert "127.0.0.1" in urls
