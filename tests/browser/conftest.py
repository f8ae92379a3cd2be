"""A uvicorn server on 127.0.0.1 serving the status page over a lake with crafted reports."""

from __future__ import annotations

import importlib.util
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
    from kiban.serve import snapshot, status

    home = paths(tmp_path_factory.mktemp("browser") / "home").ensure()
    crafted.land_crafted(home)
    refresh.backfill(home, [crafted.T0 + timedelta(minutes=m) for m in (15, 30, 50, 70, 300)])
    app = Starlette(routes=snapshot.routes(home) + status.routes(home))
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
