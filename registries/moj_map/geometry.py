"""筆 geometry: resolve idrefs to rings, project plane -> EPSG:6668 in batches, derive the staged columns.

Rings are built by chaining the GM_Curve segments of a GM_CompositeCurve in order; a segment whose end (not
start) meets the ring so far is reversed, so either orientation of a shared 筆界線 works. Projection and the
shapely work (WKB, validity, bbox, point_on_surface) are vectorised per batch of 筆.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import GeometryType

from registries.moj_map import crs as crs_mod
from registries.moj_map.xmlstream import Primitives

Coord = tuple[float, float]
Ring = list[Coord]


class Dangling(LookupError):
    """An idref that points at nothing (``kind`` is GM_Surface, GM_Curve or GM_Point)."""

    def __init__(self, kind: str, idref: str | None) -> None:
        super().__init__(f"{kind} {idref!r} is not defined in this file")
        self.kind = kind
        self.idref = idref


class Degenerate(ValueError):
    """A ring with fewer than three distinct vertices: no polygon can be formed."""


def _segment(curve_id: str, prims: Primitives) -> list[Coord]:
    items = prims.curves.get(curve_id)
    if items is None:
        raise Dangling("GM_Curve", curve_id)
    out: list[Coord] = []
    for item in items:
        if isinstance(item, str):
            xy = prims.points.get(item)
            if xy is None:
                raise Dangling("GM_Point", item)
            out.append(xy)
        else:
            out.append(item)
    return out


def chain(segments: Sequence[Sequence[Coord]]) -> Ring:
    """Join line segments into one closed ring (first vertex repeated at the end)."""
    ring: Ring = []
    for k, seg in enumerate(segments):
        if not seg:
            continue
        if not ring:
            ring.extend(seg)
            continue
        if seg[0] == ring[-1]:
            ring.extend(seg[1:])
        elif seg[-1] == ring[-1]:
            ring.extend(reversed(seg[:-1]))
        elif k == 1 and ring[0] in (seg[0], seg[-1]):  # the first segment ran backwards
            ring.reverse()
            ring.extend(seg[1:] if seg[0] == ring[-1] else list(reversed(seg[:-1])))
        else:
            ring.extend(seg)  # a gap in the boundary: connect straight (the polygon may come out invalid)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(set(ring)) < 3:
        raise Degenerate(f"ring with {len(set(ring))} distinct vertices")
    return ring


def surface_rings(surface_ref: str | None, prims: Primitives) -> list[Ring]:
    """Exterior ring first, then interior rings, in plane (easting, northing); raises Dangling/Degenerate."""
    rings = prims.surfaces.get(surface_ref) if surface_ref else None
    if rings is None or not rings:
        raise Dangling("GM_Surface", surface_ref)
    return [chain([_segment(cid, prims) for cid in ring_ids]) for ring_ids in rings]


@dataclass(frozen=True)
class Derived:
    """Per-筆 geometry columns of one batch (lists aligned with the input)."""

    geometry: list[bytes | None]
    local_geometry: list[bytes | None]
    is_valid: list[bool]
    bbox_xmin: list[float | None]
    bbox_ymin: list[float | None]
    bbox_xmax: list[float | None]
    bbox_ymax: list[float | None]
    rep_lon: list[float | None]
    rep_lat: list[float | None]


def _polygons(polys: list[list[Ring]], coords: np.ndarray) -> np.ndarray:
    ring_offsets = [0]
    poly_offsets = [0]
    for rings in polys:
        for ring in rings:
            ring_offsets.append(ring_offsets[-1] + len(ring))
        poly_offsets.append(poly_offsets[-1] + len(rings))
    return shapely.from_ragged_array(
        GeometryType.POLYGON, coords,
        (np.asarray(ring_offsets, dtype=np.int64), np.asarray(poly_offsets, dtype=np.int64)),
    )


def derive(polys: list[list[Ring]], source_epsg: int | None) -> Derived:
    """Project (unless ``source_epsg`` is None, i.e. 任意座標系) and compute every geometry column."""
    n = len(polys)
    if n == 0:
        return Derived([], [], [], [], [], [], [], [], [])
    flat = np.array([xy for rings in polys for ring in rings for xy in ring], dtype=np.float64)
    if source_epsg is None:
        geoms = _polygons(polys, flat)
        valid = shapely.is_valid(geoms)
        none = [None] * n
        return Derived(none, list(shapely.to_wkb(geoms)), valid.tolist(), none, none, none, none, none, none)
    lon, lat = crs_mod.to_lonlat(source_epsg).transform(flat[:, 0], flat[:, 1])
    geoms = _polygons(polys, np.column_stack([lon, lat]))
    valid = shapely.is_valid(geoms)
    fixed = geoms.copy()
    if not valid.all():
        fixed[~valid] = shapely.make_valid(geoms[~valid])
    rep = shapely.point_on_surface(fixed)
    bounds = shapely.bounds(geoms)
    return Derived(
        list(shapely.to_wkb(geoms)), [None] * n, valid.tolist(),
        bounds[:, 0].tolist(), bounds[:, 1].tolist(), bounds[:, 2].tolist(), bounds[:, 3].tolist(),
        shapely.get_x(rep).tolist(), shapely.get_y(rep).tolist(),
    )
