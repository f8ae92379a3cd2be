"""Where 地図XML files and land-price responses come from: bundled samples or the official services.

No ``from __future__ import annotations`` here: Dagster inspects resource annotations at runtime.
"""

import json
import os
from datetime import date
from pathlib import Path

import dagster as dg

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from registries.land_price.load import fetch_responses
from registries.land_price.tiles import tiles_for_bbox

#: 千代田区 and its surroundings (west, south, east, north): the default XPT002 area.
DEFAULT_BBOX = "139.73,35.665,139.785,35.705"


class MojMapSource(dg.ConfigurableResource):
    """法務省 登記所備付地図データ (地図XML) zips as published on G空間情報センター (one zip per 市区町村).

    ``local_dir``: a folder of zips (the bundled samples; only its top level, not ``broken/``). Empty: download
    ``urls`` (comma-separated; env ``KIBAN_MOJ_MAP_URLS``) with conditional requests (ETag/Last-Modified kept
    in ``KIBAN_HOME/downloads/moj_map/state.json``): a file that did not change is not transferred again.
    """

    local_dir: str = ""
    urls: str = ""

    def url_list(self) -> list[str]:
        return [u.strip() for u in self.urls.split(",") if u.strip()]

    def fetch(self, paths: Paths) -> list[RawObject]:
        archive = RawArchive(paths.raw)
        if self.local_dir:
            files = sorted(p for p in Path(self.local_dir).glob("*.zip") if p.is_file())
            return [archive.put_file(p, source=str(p.resolve())) for p in files]
        from registries.http import NotModified, download, redact

        state_path = paths.home / "downloads" / "moj_map" / "state.json"
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        out = []
        for url in self.url_list():
            known = state.get(url, {})
            dl = download(url, paths.staging, etag=known.get("etag"), last_modified=known.get("last_modified"))
            if isinstance(dl, NotModified):
                continue
            try:
                out.append(archive.put_file(dl.path, original_name=dl.name, source=redact(url), sha256=dl.sha256))
            finally:
                Path(dl.path).unlink(missing_ok=True)
            state[url] = {"etag": dl.etag, "last_modified": dl.last_modified, "sha256": dl.sha256}
            state_path.write_text(json.dumps(state, ensure_ascii=False, indent=1))
        return out


class LandPriceSource(dg.ConfigurableResource):
    """不動産情報ライブラリ XPT002 (地価公示・都道府県地価調査).

    ``local_dir``: a folder of recorded responses named ``xpt002_{year}_{z}_{x}_{y}.json`` (the bundled sample).
    Empty: call the API (key from env ``KIBAN_REINFOLIB_KEY``, base URL ``KIBAN_REINFOLIB_URL``) for every tile
    at ``zoom`` covering ``bbox`` (``west,south,east,north``; env ``KIBAN_LAND_PRICE_BBOX``) and every year of
    ``years`` (comma-separated; env ``KIBAN_LAND_PRICE_YEARS``; default the previous calendar year).
    """

    local_dir: str = ""
    bbox: str = DEFAULT_BBOX
    zoom: int = 13
    years: str = ""

    def year_list(self) -> list[int]:
        years = [int(y) for y in self.years.split(",") if y.strip()]
        return years or [date.today().year - 1]

    def tiles(self) -> list[tuple[int, int, int]]:
        west, south, east, north = (float(v) for v in self.bbox.split(","))
        return list(tiles_for_bbox(west, south, east, north, self.zoom))

    def fetch(self, paths: Paths) -> list[RawObject]:
        archive = RawArchive(paths.raw)
        if self.local_dir:
            files = sorted(Path(self.local_dir).glob("xpt002_*.json"))
            return [archive.put_file(p, source=str(p.resolve())) for p in files]
        from registries.land_price.client import ReinfolibClient

        with ReinfolibClient() as client:
            return fetch_responses(paths, client, self.tiles(), self.year_list())


def moj_map_resource(samples_dir: Path | None) -> MojMapSource:
    return MojMapSource(local_dir=str(samples_dir / "moj_map") if samples_dir else "",
                        urls=os.environ.get("KIBAN_MOJ_MAP_URLS", ""))


def land_price_resource(samples_dir: Path | None) -> LandPriceSource:
    return LandPriceSource(local_dir=str(samples_dir / "land_price") if samples_dir else "",
                           bbox=os.environ.get("KIBAN_LAND_PRICE_BBOX", "") or DEFAULT_BBOX,
                           years=os.environ.get("KIBAN_LAND_PRICE_YEARS", ""))
