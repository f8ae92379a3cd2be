"""GeoParquet 1.1 'geo' file metadata for the staged ``parcels`` file (WKB columns).

The staged file is already GeoParquet: ``geometry`` (EPSG:6668, PROJJSON in the metadata) is the primary
column; ``local_geometry`` (任意座標系 plane coordinates) is declared with ``crs: null`` (unknown CRS).
"""

from __future__ import annotations

import json
from functools import lru_cache

from pyproj import CRS

from registries.moj_map.crs import TARGET_EPSG


@lru_cache(maxsize=1)
def _projjson() -> dict:
    return CRS.from_epsg(TARGET_EPSG).to_json_dict()


def geo_metadata(bbox: tuple[float, float, float, float] | None) -> bytes:
    """The value of the ``geo`` key; ``bbox`` is (xmin, ymin, xmax, ymax) of ``geometry`` or None when empty."""
    primary: dict = {"encoding": "WKB", "geometry_types": ["Polygon"], "crs": _projjson(), "edges": "planar"}
    if bbox is not None:
        primary["bbox"] = list(bbox)
    meta = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": primary,
            "local_geometry": {"encoding": "WKB", "geometry_types": ["Polygon"], "crs": None},
        },
    }
    return json.dumps(meta, ensure_ascii=False).encode()
