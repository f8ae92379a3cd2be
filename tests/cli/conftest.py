"""A small lake with two snapshots (for ``--as-of``) and a fingerprint of every file of the home."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from schemas.contract import Column, Contract

THINGS = Contract(
    name="things", version="1", title_ja="物", title_en="things", description="test table",
    columns=(Column("id", "string", "ID", "id", nullable=False), Column("n", "int64", "数", "count")),
)


def _fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (the lake, the views file, everything in the home)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".writer.lock"}


@pytest.fixture(scope="session")
def fingerprint():
    return _fingerprint


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """``(home, first)``: a home whose ``things`` table had 1 row at time ``first`` and has 47 rows now."""
    from kiban.config import paths
    from kiban.lake import Lake

    home = paths(tmp_path_factory.mktemp("sql") / "home").ensure()
    lake = Lake(home)
    with lake.writer() as w:
        w.append(THINGS, "SELECT 'a', 1")
    con = lake.reader(spatial=False)
    first = str(con.execute("SELECT refreshed_at FROM _kiban_snapshot").fetchone()[0])
    con.close()
    with lake.writer() as w:
        w.append(THINGS, "SELECT 'r' || range, range FROM range(46)")
    return home, first


@pytest.fixture(scope="module")
def lake_home(lake):
    return lake[0]


@pytest.fixture(scope="module")
def first_time(lake):
    return lake[1]
