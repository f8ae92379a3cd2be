"""A KIBAN_HOME loaded from the bundled samples with two releases, built once per worker; tests copy it.

The home holds the 総務省 municipality master, the 国税庁 全件 file, one 地図XML zip (release 1) and one 差分 on
top (release 2). Tests never change it: they copy what they need (``copy_tree``), delete originals in their copies
and query the copies from clean clients (``run_client``: a fresh interpreter importing only duckdb, polars and
pyarrow, with its own HOME so no DuckDB extension is installed there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiban.cli import main
from kiban.config import Paths
from kiban.config import paths as make_paths
from kiban.releases.store import ReleaseStore

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@dataclass(frozen=True)
class Published:
    home: Paths
    first: str  # version before the 差分
    second: str  # version after it (latest)

    @property
    def releases(self) -> Path:
        return ReleaseStore.of(self.home).root

    def manifest(self, version: str) -> dict:
        return ReleaseStore.of(self.home).manifest(version)


def kiban(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    home = tmp_path_factory.mktemp("portable") / "home"
    kiban(home, "ingest", "municipalities", str(SAMPLES / "municipalities" / "000925835.xls"))
    kiban(home, "ingest", "corporate", str(SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip"))
    kiban(home, "ingest", "moj-map", str(SAMPLES / "moj_map" / "13101-0001.zip"))
    kiban(home, "publish")
    kiban(home, "ingest", "corporate", str(SAMPLES / "corporate" / "diff_20261102.zip"))
    kiban(home, "publish")
    paths = make_paths(home)
    first, second = ReleaseStore.of(paths).versions()
    return Published(paths, first, second)


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a folder as ``cp -a`` does (symbolic links stay links)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


def run_client(code: str, cwd: Path, *, home: Path | None = None, check: bool = True) -> dict:
    """Run ``code`` in a fresh interpreter (cwd ``cwd``); it prints one JSON object as its last line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIBAN_")}
    env["HOME"] = str(home or cwd)  # DuckDB's extension directory is $HOME/.duckdb: nothing installed there
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])
    return {"returncode": proc.returncode, "stderr": proc.stderr, "stdout": proc.stdout}
