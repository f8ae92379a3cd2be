"""A published release (the releases tests' lake plus a dataset with JSON and timestamp columns), served by uvicorn
on 127.0.0.1 for the ecosystems' own clients (ckanapi, frictionless, rdflib)."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def _load(name: str, file: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


lake = _load("releases_lake", _HERE.parent / "releases" / "conftest.py")

RECONCILIATION_ROWS = 4


def reconciliation_select() -> str:
    from kiban.lake import contract_select

    c = lake.contracts()["corporate_reconciliation"]
    src = """
        SELECT CAST(1000000000000 + i * 7 AS VARCHAR) AS corporate_number,
               ['missing', 'extra', 'differs'][i % 3 + 1] AS status,
               CASE WHEN i % 3 = 2 THEN '["name","city_code"]' END AS differing_columns,
               'zenken_20261101.zip' AS full_file,
               TIMESTAMPTZ '2026-11-01 09:00:00+09' + i * INTERVAL 1 MINUTE AS reconciled_at
        FROM range(4) r(i)"""
    cols = ["corporate_number", "status", "differing_columns", "full_file", "reconciled_at"]
    return f"SELECT {contract_select(c, cols)} FROM ({src}) s"


def build(root: Path):
    from kiban.config import paths
    from kiban.lake import Lake
    from kiban.releases.publish import publish

    home = paths(root).ensure()
    lake.build_lake(home)
    with Lake(home).writer() as w:
        w.append(lake.contracts()["corporate_reconciliation"], reconciliation_select())
    publish(home, contracts=lake.contracts())
    return home


@pytest.fixture(scope="session")
def release_home(tmp_path_factory):
    """One published release shared by the catalog tests (read-only)."""
    return build(tmp_path_factory.mktemp("catalog") / "home")


@pytest.fixture(scope="session")
def release_root(release_home) -> Path:
    from kiban.releases.store import ReleaseStore

    store = ReleaseStore.of(release_home)
    return store.root / store.latest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(release_home):
    """``kiban serve``'s app on a real uvicorn server (ckanapi speaks HTTP through requests)."""
    import uvicorn

    from kiban.serve.app import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(release_home), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
