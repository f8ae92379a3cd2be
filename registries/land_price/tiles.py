"""XYZ tile arithmetic (Web Mercator, as the reinfolib tile APIs use) for choosing XPT002 requests."""

from __future__ import annotations

import math
from collections.abc import Iterator

MIN_ZOOM, MAX_ZOOM = 13, 15  # XPT002 accepts z 13–15


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the tile at zoom ``z`` that contains (lon, lat)."""
    n = 2 ** z
    lat_r = math.radians(lat)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees."""
    n = 2 ** z

    def lat(yy: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def tiles_for_bbox(west: float, south: float, east: float, north: float, z: int) -> Iterator[tuple[int, int, int]]:
    """Every (z, x, y) tile covering the bounding box, row by row."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise ValueError(f"XPT002 takes zoom {MIN_ZOOM}–{MAX_ZOOM}, not {z}")
    x0, y0 = lonlat_to_tile(west, north, z)
    x1, y1 = lonlat_to_tile(east, south, z)
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            yield z, x, y
