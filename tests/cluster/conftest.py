"""Cluster-profile fixtures: one PostgreSQL server and one S3 server (moto) per test session, started on free
ports of 127.0.0.1 and stopped at the end; each test gets its own database and bucket (``cluster``)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("cluster_parts", Path(__file__).with_name("parts.py"))
assert _spec and _spec.loader
parts = importlib.util.module_from_spec(_spec)
sys.modules["cluster_parts"] = parts
_spec.loader.exec_module(parts)

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
WRITER = Path(__file__).with_name("writer.py")


@pytest.fixture(scope="session")
def pg():
    with parts.LocalPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def s3():
    with parts.LocalS3() as server:
        yield server


@dataclass
class Cluster:
    """One lake in the cluster profile: its settings, and helpers to run Kiban processes on it."""

    env: dict[str, str]
    root: Path
    pg: object
    s3: object
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def bucket(self) -> str:
        return self.env["KIBAN_TEST_BUCKET"]

    def home(self, name: str = "home") -> Path:
        return self.root / name

    def process_env(self, home: str = "home", **extra: str) -> dict[str, str]:
        return {**os.environ, **self.env, "KIBAN_HOME": str(self.home(home)), "PYTHONPATH": str(REPO), **extra}

    def kiban(self, *args: str, home: str = "home", timeout: float = 900, **extra: str
              ) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / ".venv" / "bin" / "kiban"), *args], env=self.process_env(home, **extra),
                              capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def writer(self, *args: str, home: str = "home") -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(WRITER), *args], env=self.process_env(home),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.root)
        self.procs.append(proc)
        return proc

    def lake(self, home: str = "home"):
        from kiban.config import paths
        from kiban.lake import Lake

        return Lake(paths(self.home(home)))

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """A read-only query on the newest snapshot of the shared lake."""
        con = self.lake().reader(spatial=False)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def catalog(self, sql: str, params: list | None = None) -> list[tuple]:
        """A query on the DuckLake metadata tables in PostgreSQL."""
        con = self.pg.connect(self.env["KIBAN_TEST_DATABASE"])
        try:
            cur = con.cursor()
            cur.execute(sql, params or [])
            return cur.fetchall()
        finally:
            con.close()


@pytest.fixture
def cluster(pg, s3, tmp_path, monkeypatch):
    env = parts.cluster_env(pg, s3)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KIBAN_HOME", str(tmp_path / "home"))
    c = Cluster(env, tmp_path, pg, s3)
    yield c
    for proc in c.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
