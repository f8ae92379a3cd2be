"""Fetching 国税庁 法人番号 files into the raw archive: 全件 (monthly) and the 差分 of one day.

Two places they come from, with the same functions for each:

- the official download pages (:func:`fetch_full`, :func:`fetch_diff`; page-token mechanics in
  :mod:`registries.corporate.site`);
- a folder of files named as published (:func:`sample_full`, :func:`sample_diff`): the bundled sample. The
  Unicode files sit at its top, the Shift-JIS variant in its ``sjis/`` subfolder.

Each returns the archived objects (sha256). The Dagster resources (``pipelines/corporate/resources.py``) call
these functions; nothing here imports Dagster.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from registries.corporate.parse import diff_file_name, kind_from_name
from registries.corporate.site import Variant, fetch_diff_files, fetch_full_files
from registries.http import Download


def declared_encoding(variant: Variant) -> str:
    """The encoding a variant is published in: CSV・Shift-JIS is cp932, the others UTF-8."""
    return "cp932" if variant == "sjis" else "utf-8"


def _archive_downloads(paths: Paths, downloads: list[Download]) -> list[RawObject]:
    archive = RawArchive(paths.raw)
    out = []
    for d in downloads:
        try:
            out.append(archive.put_file(d.path, original_name=d.name, source=d.url, sha256=d.sha256))
        finally:
            Path(d.path).unlink(missing_ok=True)
    return out


def fetch_full(paths: Paths, *, base_url: str | None = None, variant: Variant = "unicode",
               client: httpx.Client | None = None) -> list[RawObject]:
    """The current 全国 全件 file from the download page under ``base_url`` (default the official site)."""
    paths.staging.mkdir(parents=True, exist_ok=True)
    return _archive_downloads(paths, fetch_full_files(paths.staging, base_url=base_url, variant=variant,
                                                      client=client))


def fetch_diff(paths: Paths, day: date, *, base_url: str | None = None, variant: Variant = "unicode",
               client: httpx.Client | None = None) -> list[RawObject]:
    """The 差分 file created on ``day`` ([] when the page lists none for that day)."""
    paths.staging.mkdir(parents=True, exist_ok=True)
    return _archive_downloads(paths, fetch_diff_files(paths.staging, day, base_url=base_url, variant=variant,
                                                      client=client))


def sample_folder_files(folder: Path, variant: Variant = "unicode") -> list[Path]:
    """The ``.zip``/``.csv`` files of a sample folder for ``variant`` (Shift-JIS in ``sjis/``), sorted."""
    base = folder / "sjis" if variant == "sjis" else folder
    return sorted(p for p in base.iterdir() if p.is_file() and p.suffix.lower() in (".zip", ".csv"))


def sample_full(paths: Paths, folder: Path, variant: Variant = "unicode") -> list[RawObject]:
    """Every 全件 file of the folder, archived."""
    archive = RawArchive(paths.raw)
    return [archive.put_file(p, source=str(p.resolve())) for p in sample_folder_files(folder, variant)
            if kind_from_name(p.name) == "full"]


def sample_diff(paths: Paths, folder: Path, day: date, variant: Variant = "unicode") -> list[RawObject]:
    """The folder's 差分 file of ``day`` (``diff_YYYYMMDD.*``), archived; [] when there is none."""
    stem = Path(diff_file_name(day.strftime("%Y%m%d"))).stem
    archive = RawArchive(paths.raw)
    return [archive.put_file(p, source=str(p.resolve())) for p in sample_folder_files(folder, variant)
            if p.name.startswith(stem)]


def sample_diff_days(folder: Path, variant: Variant = "unicode") -> list[date]:
    """The days for which the folder holds a 差分 file."""
    days = {p.name[5:13] for p in sample_folder_files(folder, variant) if kind_from_name(p.name) == "diff"}
    return sorted(date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in days)
