"""Where the 総務省 「全国地方公共団体コード」 file comes from: soumu.go.jp, or the bundled sample.

Two implementations of one resource, chosen per deployment; the fetch logic is
:mod:`registries.municipalities.fetch`.
"""

from abc import ABC, abstractmethod
from pathlib import Path

import dagster as dg

from kiban.archive import RawObject
from kiban.config import Paths
from registries.municipalities import fetch


class MunicipalityMaster(dg.ConfigurableResource, ABC):
    """The master file (``.xls``)."""

    @abstractmethod
    def fetch(self, paths: Paths) -> RawObject:
        """The current file, archived."""


class MunicipalityMasterDownload(MunicipalityMaster):
    """Download ``url`` (env ``KIBAN_MUNICIPALITIES_URL``; empty: the R6.1.1 file on soumu.go.jp)."""

    url: str = ""

    def fetch(self, paths: Paths) -> RawObject:
        return fetch.archive_master(paths, self.url or None)


class MunicipalityMasterFile(MunicipalityMaster):
    """A local copy of the file (the bundled sample)."""

    path: str

    def fetch(self, paths: Paths) -> RawObject:
        return fetch.archive_sample_master(paths, Path(self.path))
