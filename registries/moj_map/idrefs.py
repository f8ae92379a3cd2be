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
    """Strings appended one by one, packed as UTF-8 into numpy ``S`` chunks of :data:`CHUNK`."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._pending: list[bytes] = []
        self._size = 0

    def append(self, value: str) -> None:
        self._pending.append(value.encode("utf-8"))
        self._size += 1
        if len(self._pending) >= CHUNK:
            self._pack()

    def extend(self, values: list[str]) -> None:
        for v in values:
            self.append(v)

    def __len__(self) -> int:
        return self._size

    def _pack(self) -> None:
        if self._pending:
            self._chunks.append(np.array(self._pending, dtype=np.bytes_))
            self._pending = []

    def values(self) -> np.ndarray:
        """All values in order as one ``S`` array (packed into a single chunk)."""
        self._pack()
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

    def append(self, value: str) -> None:
        self._sorted = None
        super().append(value)

    def lookup(self, refs: np.ndarray) -> np.ndarray:
        """Position (document order) of each idref in ``refs`` (an ``S`` array), ``-1`` where undefined."""
        if self._sorted is None:
            keys = self.values()
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]
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
        self.ids.append(ident)
        self.east.append(east)
        self.north.append(north)



class Curves:
    """GM_Curve: id and its control points, each an idref of a GM_Point or a direct (easting, northing)."""

    def __init__(self) -> None:
        self.ids = IdTable()
        self.item_count = array("q")
        self.refs = StrColumn()        # per item: the GM_Point idref ('' for a direct position)
        self.direct = array("b")       # per item: 1 for GM_Position.direct
        self.east = array("d")         # per item: the direct position (NaN for an idref)
        self.north = array("d")

    def add(self, ident: str, items: list[str | tuple[float, float]]) -> None:
        self.ids.append(ident)
        self.item_count.append(len(items))
        for item in items:
            if isinstance(item, str):
                self.refs.append(item)
                self.direct.append(0)
                self.east.append(float("nan"))
                self.north.append(float("nan"))
            else:
                self.refs.append("")
                self.direct.append(1)
                self.east.append(item[0])
                self.north.append(item[1])

    def add_refs(self, ident: str, refs: list[str]) -> None:
        """The common case: every control point an idref."""
        self.ids.append(ident)
        self.item_count.append(len(refs))
        n = len(refs)
        self.refs.extend(refs)
        self.direct.extend(bytes(n))
        self.east.extend(_NAN * n)
        self.north.extend(_NAN * n)


_NAN = array("d", [float("nan")])


class Surfaces:
    """GM_Surface: id and its rings (exterior first), each a list of GM_Curve idrefs."""

    def __init__(self) -> None:
        self.ids = IdTable()
        self.ring_count = array("q")
        self.curve_count = array("q")  # per ring
        self.curve_refs = StrColumn()  # per ring member

    def add(self, ident: str, rings: list[list[str]]) -> None:
        self.ids.append(ident)
        self.ring_count.append(len(rings))
        for ring in rings:
            self.curve_count.append(len(ring))
            self.curve_refs.extend(ring)


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
        self.item_direct = _np(c.direct, np.int8).astype(bool)
        self.item_east, self.item_north = _np(c.east, np.float64), _np(c.north, np.float64)
        self.ring_count = _np(s.ring_count, np.int64)
        self.ring_start = _starts(self.ring_count)
        self.member_count = _np(s.curve_count, np.int64)
        self.member_start = _starts(self.member_count)
        self.member_refs = s.curve_refs.values()
