"""Where land-price responses come from: the 不動産情報ライブラリ API, or recorded responses (the sample).

Two implementations of one resource, chosen per deployment; the fetch logic is :mod:`registries.land_price.fetch`.
"""

from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path

import dagster as dg

from kiban.archive import RawObject
from kiban.config import Paths
from registries.land_price import fetch
from registries.land_price.client import DEFAULT_BASE_URL, ReinfolibClient, ReinfolibConfig

#: 千代田区 and its surroundings (west, south, east, north): the default XPT002 area.
DEFAULT_BBOX = "139.73,35.665,139.785,35.705"


class LandPriceResponses(dg.ConfigurableResource, ABC):
    """XPT002 responses, one per tile and year, archived as canonical JSON."""

    @abstractmethod
    def fetch(self, paths: Paths) -> list[RawObject]:
        """The responses, archived."""


class LandPriceApi(LandPriceResponses):
    """Call XPT002 for every tile at ``zoom`` covering ``bbox`` (``west,south,east,north``; env
    ``KIBAN_LAND_PRICE_BBOX``) and every year of ``years`` (comma-separated; env ``KIBAN_LAND_PRICE_YEARS``;
    default the previous calendar year). ``key``: env ``KIBAN_REINFOLIB_KEY`` (never logged); ``base_url``: env
    ``KIBAN_REINFOLIB_URL``."""

    key: str
    base_url: str = DEFAULT_BASE_URL
    bbox: str = DEFAULT_BBOX
    zoom: int = 13
    years: str = ""

    def year_list(self) -> list[int]:
        years = [int(y) for y in self.years.split(",") if y.strip()]
        return years or [date.today().year - 1]

    def fetch(self, paths: Paths) -> list[RawObject]:
        config = ReinfolibConfig(base_url=self.base_url or DEFAULT_BASE_URL, key=self.key)
        with ReinfolibClient(config) as client:
            return fetch.fetch_responses(paths, client, fetch.bbox_tiles(self.bbox, self.zoom), self.year_list())


class LandPriceSampleFiles(LandPriceResponses):
    """Recorded responses named ``xpt002_{year}_{z}_{x}_{y}.json`` in a folder (the bundled sample)."""

    folder: str

    def fetch(self, paths: Paths) -> list[RawObject]:
        return fetch.sample_responses(paths, Path(self.folder))
