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


@dataclass(frozen=True)
class Polygons:
    """Rings of the resolved 筆 of a batch as flat arrays (the layout of ``shapely.from_ragged_array``)."""

    east: np.ndarray          # vertex coordinates, every ring closed
    north: np.ndarray
    ring_offsets: np.ndarray  # len = rings + 1
    poly_offsets: np.ndarray  # len = polygons + 1

    def __len__(self) -> int:
        return len(self.poly_offsets) - 1

    @classmethod
    def from_rings(cls, polys: list[list[Ring]]) -> Polygons:
        """From rings as lists of (easting, northing) (tests, and the one-at-a-time path)."""
        flat = [xy for rings in polys for ring in rings for xy in ring]
        ring_sizes = [len(ring) for rings in polys for ring in rings]
        xy = np.array(flat, dtype=np.float64).reshape(-1, 2)
        return cls(xy[:, 0].copy(), xy[:, 1].copy(), _offsets(ring_sizes), _offsets([len(r) for r in polys]))

    def rings(self, k: int) -> list[Ring]:
        """The rings of polygon ``k`` as lists of (easting, northing)."""
        out = []
        for r in range(int(self.poly_offsets[k]), int(self.poly_offsets[k + 1])):
            a, b = int(self.ring_offsets[r]), int(self.ring_offsets[r + 1])
            out.append(list(zip(self.east[a:b].tolist(), self.north[a:b].tolist(), strict=True)))
        return out


def _offsets(counts) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(counts, dtype=np.int64))]).astype(np.int64)


def _orient(seg_count: np.ndarray, item_count: np.ndarray, first_e: np.ndarray, first_n: np.ndarray,
            last_e: np.ndarray, last_n: np.ndarray) -> np.ndarray:
    """How :func:`chain` takes each segment, for many rings at once (segments grouped by ring, in order).

    Codes: 0 all points in order (a ring's first segment, or after a gap), 1 all but the first in order,
    2 all but the last reversed, 3 all reversed (a first segment that :func:`chain` turns round).
    """
    code = np.zeros(len(item_count), dtype=np.int8)
    seg_start = np.cumsum(seg_count) - seg_count
    n_rings = len(seg_count)
    started = np.zeros(n_rings, dtype=bool)
    head_e, head_n = np.zeros(n_rings), np.zeros(n_rings)   # ring[0]
    tail_e, tail_n = np.zeros(n_rings), np.zeros(n_rings)   # ring[-1]
    for j in range(int(seg_count.max()) if n_rings else 0):
        r = np.flatnonzero(seg_count > j)
        g = seg_start[r] + j
        keep = item_count[g] > 0
        r, g = r[keep], g[keep]
        new = ~started[r]
        rn, gn = r[new], g[new]
        started[rn] = True
        head_e[rn], head_n[rn], tail_e[rn], tail_n[rn] = first_e[gn], first_n[gn], last_e[gn], last_n[gn]
        r, g = r[~new], g[~new]
        fwd = (first_e[g] == tail_e[r]) & (first_n[g] == tail_n[r])
        rev = ~fwd & (last_e[g] == tail_e[r]) & (last_n[g] == tail_n[r])
        other = ~fwd & ~rev
        turn = other & (j == 1) & (((first_e[g] == head_e[r]) & (first_n[g] == head_n[r]))
                                   | ((last_e[g] == head_e[r]) & (last_n[g] == head_n[r])))
        code[g[fwd]] = 1
        code[g[rev]] = 2
        if turn.any():  # the first segment ran backwards: reverse the ring so far (only segment 0)
            rt, gt = r[turn], g[turn]
            g0 = seg_start[rt]
            code[g0] = 3
            head_e[rt], head_n[rt] = last_e[g0], last_n[g0]
            tail_e[rt], tail_n[rt] = first_e[g0], first_n[g0]
            meets = (first_e[gt] == tail_e[rt]) & (first_n[gt] == tail_n[rt])
            code[gt] = np.where(meets, 1, 2)
            fwd[turn] = meets
            rev[turn] = ~meets
        gap = other & ~turn
        code[g[gap]] = 0
        ahead = fwd | gap
        tail_e[r[ahead]], tail_n[r[ahead]] = last_e[g[ahead]], last_n[g[ahead]]
        tail_e[r[rev]], tail_n[r[rev]] = first_e[g[rev]], first_n[g[rev]]
    return code


def chain_many(seg_count: np.ndarray, item_count: np.ndarray, east: np.ndarray,
               north: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`chain` for many rings at once: ``east``/``north`` hold the points of each segment in order.

    Returns the closed rings' coordinates, their vertex counts and whether each ring is degenerate (fewer
    than three distinct vertices).
    """
    first = np.cumsum(item_count) - item_count
    last = first + item_count - 1
    ok = item_count > 0
    fi, la = np.where(ok, first, 0), np.where(ok, last, 0)
    if len(east) == 0:
        east = north = np.zeros(1)
    code = _orient(seg_count, item_count, east[fi], north[fi], east[la], north[la])
    start = np.where(code == 0, first, np.where(code == 1, first + 1, np.where(code == 2, last - 1, last)))
    step = np.where(code <= 1, 1, -1)
    count = np.where(ok, np.where((code == 1) | (code == 2), item_count - 1, item_count), 0)
    total = int(count.sum())
    local = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    idx = np.repeat(start, count) + np.repeat(step, count) * local
    ve, vn = east[idx], north[idx]
    seg_ring = np.repeat(np.arange(len(seg_count)), seg_count)
    ring_size = np.bincount(seg_ring, weights=count, minlength=len(seg_count)).astype(np.int64)
    # close the rings whose last vertex is not their first
    ring_first = np.cumsum(ring_size) - ring_size
    nonempty = ring_size > 0
    a = np.where(nonempty, ring_first, 0)
    b = np.where(nonempty, ring_first + ring_size - 1, 0)
    if total:
        open_ = nonempty & ((ve[a] != ve[b]) | (vn[a] != vn[b]))
    else:
        open_ = np.zeros(len(seg_count), dtype=bool)
    insert_at = (ring_first + ring_size)[open_]
    ve = np.insert(ve, insert_at, ve[a[open_]]) if total else ve
    vn = np.insert(vn, insert_at, vn[a[open_]]) if total else vn
    ring_size = ring_size + open_
    return ve, vn, ring_size, _degenerate(ve, vn, ring_size)


def _degenerate(east: np.ndarray, north: np.ndarray, ring_size: np.ndarray) -> np.ndarray:
    """Rings with fewer than three distinct vertices."""
    n = len(ring_size)
    if len(east) == 0:
        return np.ones(n, dtype=bool)
    ring_of = np.repeat(np.arange(n), ring_size)
    start = np.cumsum(ring_size) - ring_size
    e0, n0 = east[np.where(ring_size > 0, start, 0)][ring_of], north[np.where(ring_size > 0, start, 0)][ring_of]
    differs = (east != e0) | (north != n0)
    at = np.flatnonzero(differs)
    rings_with_two, first_at = np.unique(ring_of[at], return_index=True)
    e1, n1 = np.full(n, np.nan), np.full(n, np.nan)
    e1[rings_with_two], n1[rings_with_two] = east[at[first_at]], north[at[first_at]]
    third = differs & ((east != e1[ring_of]) | (north != n1[ring_of]))
    return np.bincount(ring_of[third], minlength=n) == 0


def resolve_batch(surface_refs: list[str | None], prims: Primitives
                  ) -> tuple[np.ndarray, Polygons, dict[int, Dangling | Degenerate]]:
    """Resolve the 形状 idref of each 筆 of a batch.

    Returns the positions of the 筆 that resolved, their polygons (in that order) and, for the others, the
    error :func:`surface_rings` raises for them (one-at-a-time resolution, so the error is the same).
    """
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
    ve, vn, ring_size, degenerate = chain_many(member_count, item_count, east, north)
    bad = np.zeros(len(fude), dtype=bool)
    bad[ring_owner[bad_ring | degenerate]] = True

    errors: dict[int, Dangling | Degenerate] = {
        k: Dangling("GM_Surface", surface_refs[k]) for k in np.flatnonzero(~has).tolist()}
    for k in fude[bad].tolist():  # one at a time: the first bad idref / ring in document order
        try:
            surface_rings(surface_refs[k], prims)
        except (Dangling, Degenerate) as exc:
            errors[k] = exc
        else:  # pragma: no cover - the batch and one-at-a-time paths decide alike
            raise AssertionError(f"筆 {k}: batch and one-at-a-time resolution disagree")
    good_ring = ~bad[ring_owner]
    vertex_keep = np.repeat(good_ring, ring_size)
    polys = Polygons(ve[vertex_keep], vn[vertex_keep], _offsets(ring_size[good_ring]),
                     _offsets(ring_count[~bad]))
    return fude[~bad], polys, errors


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


def _polygons(polys: Polygons, east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return shapely.from_ragged_array(GeometryType.POLYGON, np.column_stack([east, north]),
                                     (polys.ring_offsets, polys.poly_offsets))


def derive(polys: Polygons, source_epsg: int | None) -> Derived:
    """Project (unless ``source_epsg`` is None, i.e. 任意座標系) and compute every geometry column."""
    n = len(polys)
    if n == 0:
        return Derived([], [], [], [], [], [], [], [], [])
    if source_epsg is None:
        geoms = _polygons(polys, polys.east, polys.north)
        valid = shapely.is_valid(geoms)
        none = [None] * n
        return Derived(none, list(shapely.to_wkb(geoms)), valid.tolist(), none, none, none, none, none, none)
    lon, lat = crs_mod.to_lonlat(source_epsg).transform(polys.east, polys.north)
    geoms = _polygons(polys, np.asarray(lon), np.asarray(lat))
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
