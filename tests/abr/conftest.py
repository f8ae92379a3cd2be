"""ABR fixtures: the sample folder, and a lake loaded once per session with the bundled 総務省 master and ABR sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiban.config import paths as resolve_paths
from kiban.load.files import ingest_file
from registries.abr.load import abr_source, build_sets, write_set
from registries.municipalities.load import municipalities_source

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MASTER = SAMPLES / "municipalities" / "000925835.xls"
ABR = SAMPLES / "abr"


def abr_set_zips(folder: Path, dest: Path) -> list[Path]:
    """The sample's ABR files as set zips (master + overlapping _pos), in load order."""
    return [write_set(s, dest) for s in build_sets(sorted(folder.glob("mt_*.csv.zip")))]


@pytest.fixture(scope="session")
def loaded(tmp_path_factory):
    """KIBAN_HOME with the master and every ABR set loaded; the load results by file name."""
    paths = resolve_paths(tmp_path_factory.mktemp("home")).ensure()
    results = {MASTER.name: ingest_file(paths, municipalities_source(), MASTER)}
    for z in abr_set_zips(ABR, tmp_path_factory.mktemp("sets")):
        results[z.name] = ingest_file(paths, abr_source(), z)
    return paths, results


@pytest.fixture
def set_zips():
    """``set_zips(folder, dest)``: the ABR files of ``folder`` as set zips, in load order."""
    return abr_set_zips


@pytest.fixture
def abr_copy(tmp_path) -> Path:
    """A writable copy of the ABR sample folder."""
    return Path(shutil.copytree(ABR, tmp_path / "abr"))


@pytest.fixture
def samples() -> Path:
    return ABR
