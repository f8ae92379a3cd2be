"""筆 geometry: resolve idrefs to rings, project plane -> EPSG:6668 in batches, derive the staged columns.

Rings are built by chaining the GM_Curve segments of a GM_CompositeCurve in order; a segment whose end (not
start) meets the ring so far is reversed, so either orientation of a shared 筆界線 works. The idref lookups
(surface -> curves -> points) are vectorised per batch of 筆 (:func:`resolve_batch`); a 筆 with an undefined
idref is resolved again one id at a time (:func:`surface_rings`) so its error names the first bad idref in
document order. Projection and the shapely work (WKB, validity, bbox, point_on_surface) are vectorised too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import GeometryType

from registries.moj_map import crs as crs_mod
from registries.moj_map.idrefs import Columns, IdTable, Primitives, encode, ranges

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


def _one(ids: IdTable, ref: str) -> int:
    return int(ids.lookup(np.array([ref.encode("utf-8")], dtype=np.bytes_))[0])


def _segment(curve_id: str, cols: Columns) -> list[Coord]:
    c = _one(cols.curve_ids, curve_id)
    if c < 0:
        raise Dangling("GM_Curve", curve_id)
    out: list[Coord] = []
    items = np.arange(cols.item_start[c], cols.item_start[c] + cols.item_count[c])
    is_direct, at = cols.direct(items)
    for it, d, k in zip(items.tolist(), is_direct.tolist(), at.tolist(), strict=True):
        if d:
            out.append((float(cols.direct_east[k]), float(cols.direct_north[k])))
            continue
        ref = cols.item_refs[it].decode("utf-8")
        p = _one(cols.point_ids, ref)
        if p < 0:
            raise Dangling("GM_Point", ref)
        out.append((float(cols.point_east[p]), float(cols.point_north[p])))
    return out


def surface_rings(surface_ref: str | None, prims: Primitives) -> list[Ring]:
    """Exterior ring first, then interior rings, in plane (easting, northing); raises Dangling/Degenerate.

    One 筆 at a time, ids looked up in document order: the error names the first undefined idref.
    """
    cols = prims.columns()
    s = _one(cols.surface_ids, surface_ref) if surface_ref else -1
    if s < 0 or cols.ring_count[s] == 0:
        raise Dangling("GM_Surface", surface_ref)
    rings = []
    for r in range(int(cols.ring_start[s]), int(cols.ring_start[s] + cols.ring_count[s])):
        members = range(int(cols.member_start[r]), int(cols.member_start[r] + cols.member_count[r]))
        rings.append(chain([_segment(cols.member_refs[m].decode("utf-8"), cols) for m in members]))
    return rings


def resolve_batch(surface_refs: list[str | None], prims: Primitives) -> list[list[Ring] | Dangling | Degenerate]:
    """The rings of each 筆 (by its 形状 idref), or the error :func:`surface_rings` would raise for it."""
    cols = prims.columns()
    n = len(surface_refs)
    sid = cols.surface_ids.lookup(encode(surface_refs))
    sid[np.fromiter((not r for r in surface_refs), dtype=bool, count=n)] = -1  # no 形状 idref
    has = sid >= 0
    has[has] = cols.ring_count[sid[has]] > 0
    fude = np.flatnonzero(has)
    sid = sid[fude]
    ring_count = cols.ring_count[sid]
    rings = ranges(cols.ring_start[sid], ring_count)
    ring_owner = np.repeat(np.arange(len(fude)), ring_count)
    member_count = cols.member_count[rings]
    members = ranges(cols.member_start[rings], member_count)
    seg_ring = np.repeat(np.arange(len(rings)), member_count)
    cid = cols.curve_ids.lookup(cols.member_refs[members])
    bad_ring = np.zeros(len(rings), dtype=bool)
    bad_ring[seg_ring[cid < 0]] = True
    found = cid >= 0
    cid = np.where(found, cid, 0)
    item_count = np.where(found, cols.item_count[cid], 0)
    items = ranges(cols.item_start[cid], item_count)
    item_seg = np.repeat(np.arange(len(cid)), item_count)
    is_direct, at = cols.direct(items)
    east, north = np.empty(len(items)), np.empty(len(items))
    east[is_direct], north[is_direct] = cols.direct_east[at[is_direct]], cols.direct_north[at[is_direct]]
    indirect = ~is_direct
    pid = cols.point_ids.lookup(cols.item_refs[items[indirect]])
    bad_ring[seg_ring[item_seg[indirect][pid < 0]]] = True
    pid = np.where(pid >= 0, pid, 0)
    east[indirect], north[indirect] = cols.point_east[pid], cols.point_north[pid]
    bad = np.zeros(len(fude), dtype=bool)
    bad[ring_owner[bad_ring]] = True

    out: list[list[Ring] | Dangling | Degenerate] = [
        Dangling("GM_Surface", r) for r in surface_refs]
    pts = list(zip(east.tolist(), north.tolist(), strict=True))
    seg_end = np.cumsum(item_count).tolist()
    ring_end = np.cumsum(member_count).tolist()
    fude_end = np.cumsum(ring_count).tolist()
    seg = ring = 0
    for k, at in enumerate(fude.tolist()):
        if bad[k]:
            try:
                out[at] = surface_rings(surface_refs[at], prims)
            except (Dangling, Degenerate) as exc:
                out[at] = exc
            ring = fude_end[k]
            seg = ring_end[ring - 1] if ring else 0
            continue
        result: list[Ring] | Degenerate = []
        for r in range(ring, fude_end[k]):
            segments = []
            for g in range(seg, ring_end[r]):
                segments.append(pts[seg_end[g - 1] if g else 0:seg_end[g]])
            seg = ring_end[r]
            if isinstance(result, list):
                try:
                    result.append(chain(segments))
                except Degenerate as exc:
                    result = exc
        ring = fude_end[k]
        out[at] = result
    return out


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
