"""The idref tables of one 地図XML file, held as columns: the only state of the reader that grows with the file.

A 筆 refers to its GM_Surface by idref, a surface to GM_Curve ids, a curve to GM_Point ids, and all spatial
primitives come before the first 筆 (主題属性 follows 空間属性), so the primitives of a file must be kept until
its 筆 are read. They are kept as columns, not as Python objects: ids as UTF-8 bytes in numpy ``S`` arrays,
coordinates and counts in ``array`` / numpy buffers. Per primitive that is the id's length plus 8–16 bytes
(was 150–250 bytes as dict entries and tuples), e.g. about 25 MB for the 900,000 primitives of a 500 MB file.

Lookups are vectorised per batch of 筆: :meth:`IdTable.lookup` sorts the ids once (stable, so the last of
duplicated ids wins, as a dict would) and answers with ``searchsorted``.
"""

from __future__ import annotations

from array import array

import numpy as np

CHUNK = 65536  # ids gathered as Python strings before they are packed into a numpy chunk


class StrColumn:
    """Strings appended to :attr:`pending` (a plain list, for speed), packed as UTF-8 into numpy ``S`` chunks."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self.pending: list[str] = []

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks) + len(self.pending)

    def pack(self) -> None:
        """Move :attr:`pending` into a numpy chunk (callers do this every :data:`CHUNK` or so)."""
        if self.pending:
            self._chunks.append(np.array([v.encode("utf-8") for v in self.pending], dtype=np.bytes_))
            self.pending = []

    def values(self) -> np.ndarray:
        """All values in order as one ``S`` array (packed into a single chunk)."""
        self.pack()
        if not self._chunks:
            return np.zeros(0, dtype="S1")
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0]


class IdTable(StrColumn):
    """The ``id`` of each primitive in document order; :meth:`lookup` gives positions for idrefs."""

    def __init__(self) -> None:
        super().__init__()
        self._sorted: np.ndarray | None = None
        self._order: np.ndarray | None = None
        self._sorted_size = -1

    def lookup(self, refs: np.ndarray) -> np.ndarray:
        """Position (document order) of each idref in ``refs`` (an ``S`` array), ``-1`` where undefined."""
        if self._sorted is None or self._sorted_size != len(self):
            keys = self.values()
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]
            self._sorted_size = len(keys)
        if len(refs) == 0 or len(self._sorted) == 0:
            return np.full(len(refs), -1, dtype=np.int64)
        pos = np.searchsorted(self._sorted, refs, side="right") - 1  # the last of equal ids = the last defined
        at = np.maximum(pos, 0)
        hit = (pos >= 0) & (self._sorted[at] == refs)
        return np.where(hit, self._order[at], -1)


def encode(refs: list[str | None]) -> np.ndarray:
    """idrefs as an ``S`` array (``None`` as ``b''``)."""
    if not refs:
        return np.zeros(0, dtype="S1")
    return np.array([(r or "").encode("utf-8") for r in refs], dtype=np.bytes_)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for each pair, vectorised."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets


def _np(values: array, dtype: type) -> np.ndarray:
    """A numpy copy of an ``array`` (a copy: the array may still grow, which a live buffer view forbids)."""
    return np.frombuffer(values, dtype=dtype).copy() if len(values) else np.zeros(0, dtype=dtype)


def _starts(counts: np.ndarray) -> np.ndarray:
    return (np.cumsum(counts) - counts).astype(np.int64)


class Points:
    """GM_Point: id and plane (easting, northing)."""

    def __init__(self) -> None:
        self.ids = IdTable()
        self.east = array("d")
        self.north = array("d")

    def add(self, ident: str, east: float, north: float) -> None:
        self.ids.pending.append(ident)
        self.east.append(east)
        self.north.append(north)


class Curves:
    """GM_Curve: id and its control points, each an idref of a GM_Point or a direct (easting, northing).

    Direct positions (rare) are kept aside by item number; their slot in :attr:`refs` holds ``''``.
    """

    def __init__(self) -> None:
        self.ids = IdTable()
        self.item_count = array("q")
        self.refs = StrColumn()
        self._items = 0
        self.direct_at = array("q")
        self.direct_east = array("d")
        self.direct_north = array("d")

    def add(self, ident: str, refs: list[str], direct: list[tuple[int, float, float]] | None = None) -> None:
        """``refs``: the idref of each control point; ``direct``: (index in refs, easting, northing)."""
        self.ids.pending.append(ident)
        self.item_count.append(len(refs))
        self.refs.pending.extend(refs)
        if direct:
            for k, east, north in direct:
                self.direct_at.append(self._items + k)
                self.direct_east.append(east)
                self.direct_north.append(north)
        self._items += len(refs)


class Surfaces:
    """GM_Surface: id and its rings (exterior first), each a list of GM_Curve idrefs."""

    def __init__(self) -> None:
        self.ids = IdTable()
        self.ring_count = array("q")
        self.curve_count = array("q")  # per ring
        self.curve_refs = StrColumn()  # per ring member

    def add(self, ident: str, rings: list[list[str]]) -> None:
        self.ids.pending.append(ident)
        self.ring_count.append(len(rings))
        for ring in rings:
            self.curve_count.append(len(ring))
            self.curve_refs.pending.extend(ring)


class Primitives:
    """The idref tables of one file, appended while 空間属性 is read."""

    def __init__(self) -> None:
        self.points = Points()
        self.curves = Curves()
        self.surfaces = Surfaces()
        self.spatial_done = False
        self._frozen: tuple | None = None

    def __len__(self) -> int:
        return len(self.points.ids) + len(self.curves.ids) + len(self.surfaces.ids)

    def pack(self) -> None:
        """Pack the pending strings into numpy chunks (the reader calls this every few thousand elements)."""
        for column in (self.points.ids, self.curves.ids, self.curves.refs, self.surfaces.ids,
                       self.surfaces.curve_refs):
            if len(column.pending) >= CHUNK:
                column.pack()

    def columns(self) -> Columns:
        """The numpy view used for lookups (rebuilt only if primitives were added since)."""
        key = (len(self.points.ids), len(self.curves.ids), len(self.surfaces.ids))
        if self._frozen is None or self._frozen[0] != key:
            self._frozen = (key, Columns(self))
        return self._frozen[1]


class Columns:
    """Numpy views of :class:`Primitives` with the start offsets of each run."""

    def __init__(self, prims: Primitives) -> None:
        p, c, s = prims.points, prims.curves, prims.surfaces
        self.point_ids, self.curve_ids, self.surface_ids = p.ids, c.ids, s.ids
        self.point_east, self.point_north = _np(p.east, np.float64), _np(p.north, np.float64)
        self.item_count = _np(c.item_count, np.int64)
        self.item_start = _starts(self.item_count)
        self.item_refs = c.refs.values()
        self.direct_at = _np(c.direct_at, np.int64)  # increasing
        self.direct_east, self.direct_north = _np(c.direct_east, np.float64), _np(c.direct_north, np.float64)
        self.ring_count = _np(s.ring_count, np.int64)
        self.ring_start = _starts(self.ring_count)
        self.member_count = _np(s.curve_count, np.int64)
        self.member_start = _starts(self.member_count)
        self.member_refs = s.curve_refs.values()

    def direct(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which curve items are direct positions, and for those their index in ``direct_east/north``."""
        if len(self.direct_at) == 0:
            return np.zeros(len(items), dtype=bool), np.zeros(len(items), dtype=np.int64)
        k = np.minimum(np.searchsorted(self.direct_at, items), len(self.direct_at) - 1)
        return self.direct_at[k] == items, k
