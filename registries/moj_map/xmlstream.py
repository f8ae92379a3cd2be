"""Streaming reader of one 地図XML document (lxml ``iterparse``), clearing elements as it goes.

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
the (emptied) elements on the path to it and what libxml2 has parsed ahead of the current event (a few hundred
elements; under 1,000 measured on a 200 MB file): every processed element is cleared and its earlier siblings
are deleted. What grows with the file is the idref tables needed to resolve geometry
(:class:`~registries.moj_map.idrefs.Primitives`), held as columns: about the length of the id plus 8–16 bytes
per primitive (ids as UTF-8 in numpy arrays, coordinates as doubles), e.g. ~25 MB for a 500 MB file. 筆
attribute records are handed to the caller as they end and are not retained here.
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

# Root children and section children we act on; anything else is deleted with its siblings.
_TAGS = (
    *(T + f for f in HEADER_FIELDS), _POINT, _CURVE, _SURFACE, _FUDE, _SPATIAL, _SUBJECT,
    T + "図郭", T + "基準点", T + "筆界点", T + "筆界線",
)

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


_RELEASE_EVERY = 256  # processed siblings deleted in one go every this many elements


def _release(elem: etree._Element) -> None:
    """Empty ``elem`` and delete the siblings before it, so the tree stays O(depth)."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def read_document(stream: IO[bytes], doc: Document) -> Iterator[FudeRecord]:
    """Yield the 筆 of one document in order while filling ``doc.header`` and ``doc.prims``.

    Raises ``lxml.etree.XMLSyntaxError`` for malformed XML (including characters illegal in XML) and
    :class:`BadCoordinate` for a non-numeric coordinate; the caller maps both to ``SourceError``.
    """
    context = etree.iterparse(
        stream, events=("end",), tag=_TAGS, huge_tree=True, resolve_entities=False, no_network=True,
        remove_comments=True,
    )
    prims = doc.prims
    points, curves, surfaces = prims.points, prims.curves, prims.surfaces
    root: etree._Element | None = None
    spatial = subject = None  # the section elements, once met
    done = 0  # elements cleared since their siblings were last deleted
    for _event, elem in context:
        tag = elem.tag
        parent = elem.getparent()
        if parent is not None and (parent is spatial or parent is subject):
            pass
        elif parent is not None and parent.tag == _SPATIAL:
            spatial = parent
        elif parent is not None and parent.tag == _SUBJECT:
            subject = parent
        else:  # the root's children (header, sections, 図郭) or the root itself
            if root is None:
                root = doc.root = elem.getroottree().getroot()
            if parent is not None and parent is root:
                if tag == _SPATIAL:
                    prims.spatial_done = True
                elif tag.startswith(T) and tag[len(T):] in HEADER_FIELDS:
                    doc.header[tag[len(T):]] = _text(elem)
                _release(elem)
            continue
        if parent is spatial:
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
        elif tag == _FUDE:
            doc.fude_count += 1
            record = _fude(elem, doc.fude_count)
            if doc.fude_count % 1024 == 1:
                doc.retained_peak = max(doc.retained_peak, sum(1 for _ in elem.getroottree().getroot().iter()))
            yield record
        elem.clear(keep_tail=False)
        done += 1
        if done >= _RELEASE_EVERY:
            del parent[:parent.index(elem)]
            done = 0
            prims.pack()
    if root is not None:
        doc.retained_peak = max(doc.retained_peak, sum(1 for _ in root.iter()))
