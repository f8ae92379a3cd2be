"""代表点 normalisation: published (rep_lon, rep_lat, rep_srid) -> JGD2011 lon/lat (EPSG:6668).

- ``rep_srid`` is a string such as ``EPSG:6668`` (JGD2011) or ``EPSG:4612`` (JGD2000); any EPSG CRS pyproj knows is
  transformed to EPSG:6668 (``always_xy``: lon, lat order). An unknown CRS leaves the point NULL.
- Swapped pairs (published in the 2025 parcel pos files): the latitude is outside 20–46 and the longitude outside
  122–154, but swapping them puts both inside; such pairs are swapped back and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import Transformer
from pyproj.exceptions import CRSError

TARGET = "EPSG:6668"
LON_RANGE = (122.0, 154.0)
LAT_RANGE = (20.0, 46.0)


@dataclass(frozen=True)
class NormalisedPoints:
    lon: np.ndarray  # float64, NaN where missing
    lat: np.ndarray
    swapped: np.ndarray  # bool
    srid_counts: dict[str, int]
    unknown_srid: dict[str, int]


@lru_cache(maxsize=16)
def _transformer(srid: str) -> Transformer | None:
    try:
        return Transformer.from_crs(srid, TARGET, always_xy=True)
    except CRSError:
        return None


def _inside(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def detect_swapped(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Rows whose lat/lon were published swapped: neither fits Japan's extent but the swapped pair does."""
    with np.errstate(invalid="ignore"):
        return (~_inside(lat, LAT_RANGE) & ~_inside(lon, LON_RANGE)
                & _inside(lat, LON_RANGE) & _inside(lon, LAT_RANGE))


def normalise_points(lon: np.ndarray, lat: np.ndarray, srid: list[str | None]) -> NormalisedPoints:
    """Fix swapped pairs, then transform every point to EPSG:6668 according to its ``rep_srid``."""
    lon = np.asarray(lon, dtype="float64").copy()
    lat = np.asarray(lat, dtype="float64").copy()
    swapped = detect_swapped(lon, lat)
    lon[swapped], lat[swapped] = lat[swapped], lon[swapped].copy()

    srids = np.array([(s or "").strip().upper() for s in srid], dtype=object)
    counts = Counter(s for s in srids if s)
    unknown: Counter[str] = Counter()
    for value in counts:
        if value == TARGET:
            continue
        rows = srids == value
        transformer = _transformer(value)
        if transformer is None:
            lon[rows], lat[rows] = np.nan, np.nan
            unknown[value] = int(rows.sum())
            continue
        lon[rows], lat[rows] = transformer.transform(lon[rows], lat[rows])
    missing = srids == ""
    if (missing & ~np.isnan(lon)).any():
        unknown[""] = int((missing & ~np.isnan(lon)).sum())
    lon[missing], lat[missing] = np.nan, np.nan
    return NormalisedPoints(lon=lon, lat=lat, swapped=swapped & ~np.isnan(lon), srid_counts=dict(counts),
                            unknown_srid=dict(unknown))
