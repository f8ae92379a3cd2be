"""Where 地図XML zips come from: G空間情報センター (configured URLs), or the bundled sample folder.

Two implementations of one resource, chosen per deployment; the fetch logic is :mod:`registries.moj_map.fetch`.
"""

from abc import ABC, abstractmethod
from pathlib import Path

import dagster as dg

from kiban.archive import RawObject
from kiban.config import Paths
from registries.moj_map import fetch


class MojMapFiles(dg.ConfigurableResource, ABC):
    """法務省 地図XML zips (one per 市区町村)."""

    @abstractmethod
    def fetch(self, paths: Paths) -> list[RawObject]:
        """The files that changed since the last fetch, archived."""


class MojMapDownloads(MojMapFiles):
    """``urls`` (comma-separated; env ``KIBAN_MOJ_MAP_URLS``), requested conditionally: a file that did not
    change is not transferred again (state in ``KIBAN_HOME/downloads/moj_map/state.json``)."""

    urls: str = ""

    def fetch(self, paths: Paths) -> list[RawObject]:
        return fetch.download_changed(paths, [u.strip() for u in self.urls.split(",") if u.strip()])


class MojMapSampleFiles(MojMapFiles):
    """The zips at the top of a folder (the bundled sample; not its ``broken/`` subfolder)."""

    folder: str

    def fetch(self, paths: Paths) -> list[RawObject]:
        return fetch.sample_files(paths, Path(self.folder))
