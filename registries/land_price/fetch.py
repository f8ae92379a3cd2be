"""Fetch XPT002 tiles and build one typed ``land_prices`` table (duplicates across tiles removed)."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from registries.land_price.client import ReinfolibClient
from registries.land_price.parse import rows_from_collection, to_table


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
