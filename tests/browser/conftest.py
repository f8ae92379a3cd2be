"""A uvicorn server on 127.0.0.1 serving the status page over a lake with crafted reports, and Debian's Chromium
driven by Playwright (``executable_path``; ``playwright install`` is never used)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def _load(name: str, file: Path):
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if "indicators_reportkit" not in sys.modules:
    _load("indicators_reportkit", _HERE.parent / "indicators" / "reportkit.py")
crafted = sys.modules.get("indicators_crafted") or _load("indicators_crafted", _HERE.parent / "indicators" / "crafted.py")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: a second disaster (another prefecture), so the page's disaster picker has a choice
QUAKE = "2026-quake-02"
QUAKE_NAME = "福岡県北部地震"
QUAKE_AT = crafted.T0 + timedelta(hours=2)
#: past transaction times for the series; the last lies two months after the event (outside its window)
SERIES_MINUTES = (15, 30, 50, 70, 140, 300, 60 * 24 * 60)


def quake_report() -> dict:
    return {"report_id": "00000000-0000-4000-8000-000000000099", "report_type": "disaster_damage",
            "lg_code": crafted.D, "subject_key": QUAKE, "as_of": QUAKE_AT, "sequence_no": 1, "control": "正規",
            "update_type": "新規", "form_part": "その2", "disaster_name": QUAKE_NAME, "dead": 4, "missing": 0,
            "injured_serious": 1, "injured_minor": 2, "hq_type": "対策本部", "hq_status": "設置"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn
    from starlette.applications import Starlette

    from kiban.config import paths
    from kiban.indicators import refresh
    from kiban.indicators.service import attach
    from kiban.serve import snapshot, status

    home = paths(tmp_path_factory.mktemp("browser") / "home").ensure()
    crafted.land_crafted(home)
    kit = sys.modules["indicators_reportkit"]
    kit.land(home, kit.versions([quake_report()], QUAKE_AT + timedelta(minutes=10), "quake.json"))
    refresh.backfill(home, [crafted.T0 + timedelta(minutes=m) for m in SERIES_MINUTES])
    app = Starlette(routes=snapshot.routes(home) + status.routes(home))
    attach(app, home)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()
