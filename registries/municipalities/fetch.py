"""Fetching the 総務省 「全国地方公共団体コード」 file into the raw archive.

- :func:`archive_master`: download the official file (URL from the caller; :func:`fetch_master` defaults to
  ``KIBAN_MUNICIPALITIES_URL`` or the R6.1.1 file) and archive it;
- :func:`archive_sample_master`: archive a local copy (the bundled sample).

The Dagster resources (``pipelines/municipalities/resources.py``) call these functions; nothing here imports
Dagster. Parse the file with :func:`registries.municipalities.parse.load_master`.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from registries.municipalities.resolve import master_url


def fetch_master(dest_dir: str | Path, *, client: httpx.Client | None = None, url: str | None = None,
                 headers: dict[str, str] | None = None):
    """Download the master into ``dest_dir`` with ``registries.http.download`` and return its result.

    ``url`` defaults to :func:`registries.municipalities.resolve.master_url` (env ``KIBAN_MUNICIPALITIES_URL``,
    else https://www.soumu.go.jp/main_content/000925835.xls).
    """
    from registries import http  # written separately; imported lazily so parsing never depends on it

    return http.download(url or master_url(), Path(dest_dir), client=client, headers=headers or {})


def archive_master(paths: Paths, url: str | None = None, *, client: httpx.Client | None = None) -> RawObject:
    """Download the master and archive it as received (the staging copy is removed)."""
    paths.staging.mkdir(parents=True, exist_ok=True)
    dl = fetch_master(paths.staging, url=url, client=client)
    try:
        return RawArchive(paths.raw).put_file(dl.path, original_name=dl.name, source=dl.url, sha256=dl.sha256)
    finally:
        Path(dl.path).unlink(missing_ok=True)


def archive_sample_master(paths: Paths, path: Path) -> RawObject:
    """Archive a local copy of the master."""
    return RawArchive(paths.raw).put_file(path, source=str(path.resolve()))
