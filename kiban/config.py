"""Runtime configuration: where Kiban keeps its data.

Everything lives under one directory, ``KIBAN_HOME`` (default ``./data``)::

    KIBAN_HOME/
      raw/          immutable, content-addressed archive of every input as received (sha256)
      quarantine/   rejected inputs: one folder per load with a machine-readable report.json
      staging/      scratch space for parse/validate; safe to delete
      lake/         system of record: DuckLake catalog (catalog.ducklake) + Parquet data files
      kiban.duckdb  read-only SQL entry point: views over the current lake state (rebuilt atomically)
      landing/      drop folder for municipal reports (picked up by a sensor)
      dagster/      Dagster instance storage
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Resolved locations under one ``KIBAN_HOME``."""

    home: Path

    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def staging(self) -> Path:
        return self.home / "staging"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def catalog(self) -> Path:
        return self.lake / "catalog.ducklake"

    @property
    def lake_data(self) -> Path:
        return self.lake / "data"

    @property
    def views_db(self) -> Path:
        return self.home / "kiban.duckdb"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def ensure(self) -> Paths:
        for p in (self.raw, self.quarantine, self.staging, self.lake_data, self.landing, self.dagster_home):
            p.mkdir(parents=True, exist_ok=True)
        return self


def kiban_home() -> Path:
    """``KIBAN_HOME`` or ``./data``, made absolute."""
    return Path(os.environ.get("KIBAN_HOME", "data")).resolve()


def paths(home: Paths | os.PathLike[str] | str | None = None) -> Paths:
    """The ``Paths`` of a home given as a ``Paths``, a path, or nothing (``KIBAN_HOME``); anything else raises."""
    if home is None:
        return Paths(kiban_home())
    if isinstance(home, Paths):
        return home
    if isinstance(home, str | os.PathLike):
        return Paths(Path(home).resolve())
    raise TypeError(f"a Kiban home is a path or a Paths, not {type(home).__name__}")
