"""Where the ABR files come from: the DCAT feed of the デジタル庁, or the bundled sample folder.

Two implementations of one resource, chosen per deployment; the fetch logic is :mod:`registries.abr.fetch`.
``types`` (e.g. ``pref,city,town``; env ``KIBAN_ABR_TYPES``) and ``lg_codes`` (6-digit codes; env
``KIBAN_ABR_LG_CODES``) narrow the selection; empty means every type, nationwide (one copy of each slice).
"""

from abc import ABC, abstractmethod
from pathlib import Path

import dagster as dg

from kiban.archive import RawObject
from kiban.config import Paths
from registries.abr import fetch
from registries.abr.catalog import FEED_URL


def _split(value: str) -> set[str] | None:
    items = {v.strip() for v in value.split(",") if v.strip()}
    return items or None


class AbrFiles(dg.ConfigurableResource, ABC):
    """ABR sets (master + ``_pos`` files) built from the current files, archived by content."""

    types: str = ""
    lg_codes: str = ""

    @abstractmethod
    def files(self, paths: Paths) -> dict[Path, str]:
        """The current local copy of each chosen file -> where it came from."""

    def fetch(self, paths: Paths) -> list[RawObject]:
        return fetch.archive_sets(paths, self.files(paths))

    def selection(self) -> dict[str, set[str] | None]:
        return {"types": _split(self.types), "lg_codes": _split(self.lg_codes)}


class AbrFeed(AbrFiles):
    """The DCAT-US feed at ``feed_url`` (env ``KIBAN_ABR_FEED_URL``; empty: the official feed): only files whose
    ETag / Last-Modified / catalog date moved are transferred (state under ``KIBAN_HOME/downloads/abr``)."""

    feed_url: str = ""

    def files(self, paths: Paths) -> dict[Path, str]:
        return fetch.catalog_files(paths, self.feed_url or FEED_URL, **self.selection())


class AbrSampleFeed(AbrFiles):
    """A folder holding ``dcat.json`` and the files it lists (the bundled sample)."""

    folder: str

    def files(self, paths: Paths) -> dict[Path, str]:
        return fetch.sample_catalog_files(Path(self.folder), **self.selection())
