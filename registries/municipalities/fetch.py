"""Download the 総務省 「全国地方公共団体コード」 file (URL from ``KIBAN_MUNICIPALITIES_URL``)."""

from __future__ import annotations

from pathlib import Path

import httpx

from registries.municipalities.resolve import master_url


def fetch_master(dest_dir: str | Path, *, client: httpx.Client | None = None, url: str | None = None,
                 headers: dict[str, str] | None = None):
    """Download the master into ``dest_dir`` with ``registries.http.download`` and return its result.

    ``url`` defaults to :func:`registries.municipalities.resolve.master_url` (env ``KIBAN_MUNICIPALITIES_URL``,
    else https://www.soumu.go.jp/main_content/000925835.xls). Parse the file with
    :func:`registries.municipalities.parse.load_master`.
    """
    from registries import http  # written separately; imported lazily so parsing never depends on it

    return http.download(url or master_url(), Path(dest_dir), client=client, headers=headers or {})
