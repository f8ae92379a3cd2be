"""Streaming reader of one 地図XML document (lxml's feed parser, 32 KB at a time), deleting elements as it goes.

Layout read (法務省 地図XML ver1.0; element names as published)::

    <地図 xmlns="http://www.moj.go.jp/MINJI/tizuxml" xmlns:zmn="http://www.moj.go.jp/MINJI/tizuzumen">
      <version/> <地図名/> <市区町村コード/> <市区町村名/> <座標系/> <測地系判別/>   header (root children)
      <図郭>…</図郭>                                                              skipped (cleared)
      <空間属性>  zmn:GM_Point id=P…  (X = 北方向 northing, Y = 東方向 easting)
                 zmn:GM_Curve id=C…  (GM_PointArray.column: GM_Position.indirect/GM_PointRef.point idref=P…
                                      or GM_Position.direct/X,Y)
                 zmn:GM_Surface id=F… (GM_SurfaceBoundary.exterior|interior/GM_Ring/
                                      GM_CompositeCurve.generator idref=C…)
      <主題属性>  筆 id=H… (大字コード, 丁目コード, 小字コード, 予備コード, 大字名…, 地番, 形状 idref=F…,
                          精度区分, 座標値種別, 筆界未定構成筆); 基準点, 筆界点, 筆界線 are skipped

Memory bound: the element tree never holds more than the header, one child of 空間属性/主題属性 being read,
the (emptied) elements on the path to it and what libxml2 has parsed of the last 32 KB block (about 1,000
elements): every complete child of the root and of the two sections is read and then deleted. What grows
with the file is the idref tables needed to resolve geometry (:class:`~registries.moj_map.idrefs.Primitives`),
held as columns: about the length of the id plus 8–16 bytes per primitive (ids as UTF-8 in numpy arrays,
coordinates as doubles), e.g. ~25 MB for a 500 MB file. 筆 attribute records are handed to the caller as
they end and are not retained here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, NamedTuple

from lxml import etree

from registries.moj_map.idrefs import Primitives

T = "{http://www.moj.go.jp/MINJI/tizuxml}"
Z = "{http://www.moj.go.jp/MINJI/tizuzumen}"

HEADER_FIELDS = ("version", "地図名", "市区町村コード", "市区町村名", "座標系", "測地系判別")
_ZX, _ZY = Z + "X", Z + "Y"
_POINT, _CURVE, _SURFACE = Z + "GM_Point", Z + "GM_Curve", Z + "GM_Surface"
_FUDE = T + "筆"
_SPATIAL, _SUBJECT = T + "空間属性", T + "主題属性"
_COLUMN = Z + "GM_PointArray.column"
_DPOS = Z + "DirectPosition"
_INDIRECT, _DIRECT = Z + "GM_Position.indirect", Z + "GM_Position.direct"
_POINTREF = Z + "GM_PointRef.point"
_EXTERIOR, _INTERIOR = Z + "GM_SurfaceBoundary.exterior", Z + "GM_SurfaceBoundary.interior"
_GENERATOR = Z + "GM_CompositeCurve.generator"
_SHAPE = T + "形状"

class BadCoordinate(ValueError):
    """A coordinate element that is missing or not a number (file-level problem)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class FudeRecord(NamedTuple):
    """One 筆 as read: attributes by local element name, the GM_Surface it points at, its 1-based index."""

    index: int
    fude_id: str | None
    attrs: dict[str, str | None]
    surface_ref: str | None
    line: int | None


@dataclass
class Document:
    """Reader state visible to the caller: header values and primitives so far."""

    header: dict[str, str | None] = field(default_factory=dict)
    prims: Primitives = field(default_factory=Primitives)
    fude_count: int = 0
    retained_peak: int = 0  # largest number of elements found in the tree at a 筆 boundary (tests, bench)
    root: etree._Element | None = None  # the (pruned) document root, for inspection


def _num(elem: etree._Element) -> float:
    try:
        return float(elem.text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadCoordinate(f"{etree.QName(elem).localname} is not a number: {elem.text!r}",
                            elem.sourceline) from None


def _position(elem: etree._Element) -> tuple[float, float]:
    """(easting, northing) from an element holding zmn:X (northing) and zmn:Y (easting)."""
    north = east = None
    for c in elem.iter(_ZX, _ZY):
        if c.tag == _ZX:
            north = _num(c)
        else:
            east = _num(c)
    if north is None or east is None:
        raise BadCoordinate("position without zmn:X and zmn:Y", elem.sourceline)
    return east, north


def _curve(elem: etree._Element) -> tuple[list[str], list[tuple[int, float, float]] | None]:
    """The control points: idrefs (``''`` in the slot of a direct position) and the direct positions."""
    refs: list[str] = []
    direct = None
    for col in elem.iter(_COLUMN):
        for pos in col:
            tag = pos.tag
            if tag == _INDIRECT:
                ref = pos[0] if len(pos) else None  # the usual layout: the first descendant is the first child
                if ref is None or ref.tag != _POINTREF:
                    ref = next(pos.iter(_POINTREF), None)
                refs.append(ref.get("idref", "") if ref is not None else "")
            elif tag == _DIRECT:
                direct = direct or []
                direct.append((len(refs), *_position(pos)))
                refs.append("")
    return refs, direct


def _surface(elem: etree._Element) -> list[list[str]]:
    rings: list[list[str]] = []
    for boundary in elem.iter(_EXTERIOR, _INTERIOR):
        ids = [g.get("idref", "") for g in boundary.iter(_GENERATOR)]
        if boundary.tag == _EXTERIOR:
            rings.insert(0, ids)
        else:
            rings.append(ids)
    return rings


def _text(elem: etree._Element) -> str | None:
    if len(elem):  # structured content (e.g. 筆界未定構成筆 listing 地番): join the leaf texts
        parts = [t.strip() for t in elem.itertext() if t.strip()]
        return ",".join(parts) or None
    text = (elem.text or "").strip()
    return text or None


_LOCAL: dict[str, str] = {}  # tag "{ns}name" -> "name", filled as tags are met


def _local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = etree.QName(tag).localname
    return name


def _fude(elem: etree._Element, index: int) -> FudeRecord:
    attrs: dict[str, str | None] = {}
    surface_ref = None
    local = _LOCAL
    for child in elem:
        tag = child.tag
        if tag == _SHAPE:
            surface_ref = child.get("idref")
            continue
        name = local.get(tag)
        if name is None:
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            name = _local(tag)
        if len(child):
            attrs[name] = _text(child)
        else:
            text = child.text
            attrs[name] = (text.strip() or None) if text else None
    return FudeRecord(index, elem.get("id"), attrs, surface_ref, elem.sourceline)


_BLOCK = 32 * 1024  # bytes fed to libxml2 at a time: what it can parse ahead of the reader (~1,000 elements)


class _Reader:
    """Walks the tree libxml2 builds while it is fed, handling each child of the root and of the two sections
    once it is complete (a later sibling has started, or the document has ended) and then deleting it."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.root: etree._Element | None = None

    def drain(self, final: bool) -> Iterator[FudeRecord]:
        """Handle every complete child; with ``final`` (the document has ended) every child is complete."""
        root = self.root
        if root is None:
            return
        complete = len(root) if final else len(root) - 1
        for _ in range(complete):
            child = root[0]
            tag = child.tag
            if tag in (_SPATIAL, _SUBJECT):
                yield from self._section(child, final=True)
                if tag == _SPATIAL:
                    self.doc.prims.spatial_done = True
            elif isinstance(tag, str) and tag.startswith(T) and tag[len(T):] in HEADER_FIELDS:
                self.doc.header[tag[len(T):]] = _text(child)
            del root[0]
        if not final and len(root) and root[0].tag in (_SPATIAL, _SUBJECT):
            yield from self._section(root[0], final=False)

    def _section(self, section: etree._Element, final: bool) -> Iterator[FudeRecord]:
        """The complete children of 空間属性 (primitives) or 主題属性 (筆), then deleted."""
        complete = len(section) if final else len(section) - 1
        if complete <= 0:
            return
        doc = self.doc
        prims = doc.prims
        if section.tag == _SPATIAL:
            points, curves, surfaces = prims.points, prims.curves, prims.surfaces
            for elem in section[:complete]:
                tag = elem.tag
                if tag == _CURVE:
                    curves.add(elem.get("id", ""), *_curve(elem))
                elif tag == _POINT:
                    ident = elem.get("id", "")
                    pos = next(elem.iter(_DPOS), None)
                    if pos is None:
                        raise BadCoordinate(f"GM_Point {ident} has no DirectPosition", elem.sourceline)
                    points.add(ident, *_position(pos))
                elif tag == _SURFACE:
                    surfaces.add(elem.get("id", ""), _surface(elem))
            del section[:complete]
            prims.pack()
            return
        records = []
        for elem in section[:complete]:
            if elem.tag == _FUDE:
                doc.fude_count += 1
                records.append(_fude(elem, doc.fude_count))
                if doc.fude_count % 1024 == 1:
                    doc.retained_peak = max(doc.retained_peak, sum(1 for _ in self.root.iter()))
        del section[:complete]
        yield from records


def read_document(stream: IO[bytes], doc: Document) -> Iterator[FudeRecord]:
    """Yield the 筆 of one document in order while filling ``doc.header`` and ``doc.prims``.

    The document is fed to libxml2 in blocks of :data:`_BLOCK` bytes (lxml's feed parser, asked only for
    the start of the two sections); after each block the children that are complete are read and deleted.
    This builds the same tree as ``iterparse`` at about half its cost, since no event is made per element.

    Raises ``lxml.etree.XMLSyntaxError`` for malformed XML (including characters illegal in XML) and
    :class:`BadCoordinate` for a non-numeric coordinate; the caller maps both to ``SourceError``.
    """
    parser = etree.XMLPullParser(
        events=("start",), tag=(_SPATIAL, _SUBJECT), huge_tree=True, resolve_entities=False, no_network=True,
        remove_comments=True,
    )
    reader = _Reader(doc)
    while block := stream.read(_BLOCK):
        parser.feed(block)
        for _event, section in parser.read_events():
            if reader.root is None:
                reader.root = doc.root = section.getroottree().getroot()
        yield from reader.drain(final=False)
    root = parser.close()
    if reader.root is None:
        reader.root = doc.root = root
    yield from reader.drain(final=True)
    doc.retained_peak = max(doc.retained_peak, sum(1 for _ in root.iter()))
