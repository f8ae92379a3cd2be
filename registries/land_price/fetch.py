"""Fetching 不動産情報ライブラリ XPT002 (地価公示・都道府県地価調査) responses.

- :func:`fetch_responses`: call the API for every tile and year and archive each non-empty response as canonical
  JSON (``xpt002_{year}_{z}_{x}_{y}.json``);
- :func:`sample_responses`: archive recorded responses of that name from a folder (the bundled sample);
- :func:`fetch_land_prices`: the same calls straight into one typed table (duplicates across tiles removed).

The Dagster resources (``pipelines/land_price/resources.py``) call these functions; nothing here imports Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from registries.land_price.client import ReinfolibClient
from registries.land_price.load import canonical_json, response_name
from registries.land_price.parse import rows_from_collection, to_table
from registries.land_price.tiles import tiles_for_bbox


def parse_bbox(bbox: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees."""
    west, south, east, north = (float(v) for v in bbox.split(","))
    return west, south, east, north


def bbox_tiles(bbox: str, zoom: int) -> list[tuple[int, int, int]]:
    """Every (z, x, y) tile at ``zoom`` covering ``bbox`` (``west,south,east,north``)."""
    return list(tiles_for_bbox(*parse_bbox(bbox), zoom))


def fetch_land_prices(
    client: ReinfolibClient, tiles: Iterable[tuple[int, int, int]], year: int, *,
    price_classification: str | None = None,
) -> pa.Table:
    """Call XPT002 for every (z, x, y) tile; keep the first row per (point_id, year, price_classification)."""
    seen: set[tuple] = set()
    rows = []
    for z, x, y in tiles:
        collection = client.xpt002(z, x, y, year, price_classification=price_classification)
        for row in rows_from_collection(collection, year=year, z=z, x=x, y=y,
                                        price_classification=price_classification):
            key = (row["point_id"], row["year"], row["price_classification"])
            if key in seen:
                continue
            seen.add(key)
            rows.append(row)
    return to_table(rows)


def fetch_responses(paths: Paths, client: ReinfolibClient, tiles: Iterable[tuple[int, int, int]],
                    years: Iterable[int], *, price_classification: str | None = None) -> list[RawObject]:
    """Call XPT002 for every tile and year and archive each non-empty response (canonical JSON)."""
    archive = RawArchive(paths.raw)
    tiles = list(tiles)
    out = []
    for year in years:
        for z, x, y in tiles:
            body = client.xpt002(z, x, y, year, price_classification=price_classification)
            if not body.get("features"):
                continue
            name = response_name(year, z, x, y, price_classification)
            source = f"reinfolib:XPT002?year={year}&z={z}&x={x}&y={y}"
            out.append(archive.put_bytes(canonical_json(body), original_name=name, source=source))
    return out


def sample_responses(paths: Paths, folder: Path) -> list[RawObject]:
    """Archive the recorded responses ``xpt002_*.json`` of ``folder`` (sorted by name)."""
    archive = RawArchive(paths.raw)
    return [archive.put_file(p, source=str(p.resolve())) for p in sorted(folder.glob("xpt002_*.json"))]
