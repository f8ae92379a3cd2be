"""Where 法人番号 files come from: the official download pages, or the bundled sample folder.

Two implementations of one resource, chosen per deployment (``pipelines/corporate/definitions.py``); the fetch
logic is :mod:`registries.corporate.fetch`.
"""

from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path
from typing import Literal

import dagster as dg

from kiban.archive import RawObject
from kiban.config import Paths
from registries.corporate import fetch


class NtaFiles(dg.ConfigurableResource, ABC):
    """国税庁 法人番号 全件/差分 files. ``variant``: ``unicode`` (CSV・Unicode, recommended) or ``sjis``."""

    variant: Literal["unicode", "sjis"] = "unicode"

    @abstractmethod
    def fetch_full(self, paths: Paths) -> list[RawObject]:
        """The current 全件 file(s), archived."""

    @abstractmethod
    def fetch_diff(self, paths: Paths, day: date) -> list[RawObject]:
        """The 差分 file of ``day`` ([] when there is none), archived."""

    def declared_encoding(self) -> str:
        return fetch.declared_encoding(self.variant)


class NtaDownloads(NtaFiles):
    """The official 基本3情報ダウンロード pages (``download_url``: env ``KIBAN_NTA_DOWNLOAD_URL``; empty: the
    official site)."""

    download_url: str = ""

    def fetch_full(self, paths: Paths) -> list[RawObject]:
        return fetch.fetch_full(paths, base_url=self.download_url or None, variant=self.variant)

    def fetch_diff(self, paths: Paths, day: date) -> list[RawObject]:
        return fetch.fetch_diff(paths, day, base_url=self.download_url or None, variant=self.variant)


class NtaSampleFiles(NtaFiles):
    """A folder of files named as published (the bundled sample)."""

    folder: str

    def fetch_full(self, paths: Paths) -> list[RawObject]:
        return fetch.sample_full(paths, Path(self.folder), self.variant)

    def fetch_diff(self, paths: Paths, day: date) -> list[RawObject]:
        return fetch.sample_diff(paths, Path(self.folder), day, self.variant)
