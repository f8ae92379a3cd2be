"""Write 地図XML documents in the published layout: used by the sample generator, the benchmark and tests.

Coordinates are given as plane ``(easting, northing)`` and written the way 地図XML stores them: ``zmn:X`` =
northing, ``zmn:Y`` = easting, three decimals. Vertices shared by neighbouring 筆 become one GM_Point and a
shared edge one GM_Curve (a two-point segment referencing the points by idref), as in published files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO
from xml.sax.saxutils import escape

NS_DECL = ('xmlns="http://www.moj.go.jp/MINJI/tizuxml" xmlns:zmn="http://www.moj.go.jp/MINJI/tizuzumen" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
FIXED_ZIP_TIME = (2024, 2, 1, 0, 0, 0)


@dataclass(frozen=True)
class SynthParcel:
    """One 筆 to write; ``ring`` is the exterior in plane (easting, northing), not closed."""

    chiban: str
    ring: Sequence[tuple[float, float]]
    oaza_code: str = "001"
    chome_code: str = "001"
    koaza_code: str = "0000"
    yobi_code: str = "00"
    oaza_name: str | None = None
    chome_name: str | None = None
    koaza_name: str | None = None
    yobi_name: str | None = None
    accuracy_class: str | None = "甲二"
    coordinate_type: str | None = "測量成果"
    hikkai_mitei: str | None = None


@dataclass(frozen=True)
class SynthHeader:
    city_code: str
    city_name: str
    map_name: str
    crs_name: str = "公共座標9系"
    datum_kind: str | None = "測量"
    map_number: str = "1"


def _fmt(v: float) -> str:
    return f"{v:.3f}"


def _xy(e: float, n: float) -> str:
    return f"<zmn:X>{_fmt(n)}</zmn:X><zmn:Y>{_fmt(e)}</zmn:Y>"


def _opt(tag: str, value: str | None) -> str:
    return f"<{tag}>{escape(value)}</{tag}>" if value is not None else ""


def header_xml(h: SynthHeader) -> str:
    datum = f"  <測地系判別>{escape(h.datum_kind)}</測地系判別>\n" if h.datum_kind is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<地図 {NS_DECL}>\n"
        "  <version>ver1.0</version>\n"
        f"  <地図名>{escape(h.map_name)}</地図名>\n"
        f"  <市区町村コード>{h.city_code}</市区町村コード>\n"
        f"  <市区町村名>{escape(h.city_name)}</市区町村名>\n"
        f"  <座標系>{escape(h.crs_name)}</座標系>\n"
        f"{datum}"
        "  <変換プログラム>MJMAPXML</変換プログラム>\n"
        "  <変換プログラムバージョン>1.0</変換プログラムバージョン>\n"
    )


def zukaku_xml(h: SynthHeader, corners: tuple[float, float, float, float], fude_ids: Iterable[str]) -> str:
    """図郭 with its four corners (xmin, ymin, xmax, ymax in easting/northing) and 筆参照."""
    x0, y0, x1, y1 = corners
    refs = "".join(f'<筆参照 idref="{f}"/>' for f in fude_ids)
    return (
        f"  <図郭><地図番号>{escape(h.map_number)}</地図番号><縮尺分母>500</縮尺分母>"
        "<方位不明フラグ>false</方位不明フラグ>"
        f"<左下座標>{_xy(x0, y0)}</左下座標><左上座標>{_xy(x0, y1)}</左上座標>"
        f"<右下座標>{_xy(x1, y0)}</右下座標><右上座標>{_xy(x1, y1)}</右上座標>"
        "<地図種類>地図</地図種類><地図分類>法第14条1項地図</地図分類><地図材質>ポリエステル・フィルム</地図材質>"
        "<地図作成年月日><年>2010</年><月>3</月><日>31</日></地図作成年月日>"
        f"{refs}</図郭>\n"
    )


def point_xml(pid: str, e: float, n: float) -> str:
    return (f'    <zmn:GM_Point id="{pid}"><zmn:GM_Point.position><zmn:DirectPosition>{_xy(e, n)}'
            "</zmn:DirectPosition></zmn:GM_Point.position></zmn:GM_Point>\n")


def curve_xml(cid: str, p0: str, p1: str) -> str:
    cols = "".join(
        "<zmn:GM_PointArray.column><zmn:GM_Position.indirect>"
        f'<zmn:GM_PointRef.point idref="{p}"/></zmn:GM_Position.indirect></zmn:GM_PointArray.column>'
        for p in (p0, p1)
    )
    return (f'    <zmn:GM_Curve id="{cid}"><zmn:GM_Curve.segment><zmn:GM_LineString>'
            f"<zmn:GM_LineString.controlPoint>{cols}</zmn:GM_LineString.controlPoint></zmn:GM_LineString>"
            "</zmn:GM_Curve.segment><zmn:GM_OrientablePrimitive.orientation>+"
            "</zmn:GM_OrientablePrimitive.orientation></zmn:GM_Curve>\n")


def surface_xml(sid: str, curve_ids: Iterable[str]) -> str:
    gens = "".join(f'<zmn:GM_CompositeCurve.generator idref="{c}"/>' for c in curve_ids)
    return (f'    <zmn:GM_Surface id="{sid}"><zmn:GM_Surface.patch><zmn:GM_Polygon><zmn:GM_Polygon.boundary>'
            "<zmn:GM_SurfaceBoundary><zmn:GM_SurfaceBoundary.exterior><zmn:GM_Ring>"
            f"{gens}</zmn:GM_Ring></zmn:GM_SurfaceBoundary.exterior></zmn:GM_SurfaceBoundary>"
            "</zmn:GM_Polygon.boundary></zmn:GM_Polygon></zmn:GM_Surface.patch></zmn:GM_Surface>\n")


def fude_xml(fid: str, p: SynthParcel, surface_ref: str) -> str:
    return (
        f'    <筆 id="{fid}">'
        f"<大字コード>{p.oaza_code}</大字コード><丁目コード>{p.chome_code}</丁目コード>"
        f"<小字コード>{p.koaza_code}</小字コード><予備コード>{p.yobi_code}</予備コード>"
        f"{_opt('大字名', p.oaza_name)}{_opt('丁目名', p.chome_name)}{_opt('小字名', p.koaza_name)}"
        f"{_opt('予備名', p.yobi_name)}<地番>{escape(p.chiban)}</地番>"
        f"{_opt('精度区分', p.accuracy_class)}{_opt('座標値種別', p.coordinate_type)}"
        f"{_opt('筆界未定構成筆', p.hikkai_mitei)}"
        f'<形状 idref="{surface_ref}"/></筆>\n'
    )


def render(header: SynthHeader, parcels: Sequence[SynthParcel]) -> str:
    """A whole document for a handful of parcels (points and edges shared where coordinates coincide)."""
    points: dict[tuple[float, float], str] = {}
    edges: dict[frozenset[str], str] = {}
    pts, curves, surfaces, fudes = [], [], [], []
    for k, parcel in enumerate(parcels, start=1):
        ids = []
        for e, n in parcel.ring:
            key = (round(e, 3), round(n, 3))
            if key not in points:
                points[key] = f"P{len(points) + 1:06d}"
                pts.append(point_xml(points[key], *key))
            ids.append(points[key])
        cids = []
        for a, b in zip(ids, ids[1:] + ids[:1], strict=True):
            edge = frozenset((a, b))
            if edge not in edges:
                edges[edge] = f"C{len(edges) + 1:06d}"
                curves.append(curve_xml(edges[edge], a, b))
            cids.append(edges[edge])
        surfaces.append(surface_xml(f"F{k:06d}", cids))
        fudes.append(fude_xml(f"H{k:06d}", parcel, f"F{k:06d}"))
    xs = [e for e, _ in points] or [0.0]
    ys = [n for _, n in points] or [0.0]
    fude_ids = [f"H{k:06d}" for k in range(1, len(parcels) + 1)]
    return (header_xml(header) + zukaku_xml(header, (min(xs), min(ys), max(xs), max(ys)), fude_ids)
            + "  <空間属性>\n" + "".join(pts) + "".join(curves) + "".join(surfaces) + "  </空間属性>\n"
            + "  <主題属性>\n" + "".join(fudes) + "  </主題属性>\n</地図>\n")


def _grid_sections(rows: int, cols: int, origin: tuple[float, float], cell: float,
                   header: SynthHeader) -> Iterator[str]:
    e0, n0 = origin

    def pid(i: int, j: int) -> str:
        return f"P{i * (cols + 1) + j + 1}"

    def hid(i: int, j: int) -> str:  # horizontal edge from vertex (i, j) to (i, j + 1)
        return f"CH{i * cols + j + 1}"

    def vid(i: int, j: int) -> str:  # vertical edge from vertex (i, j) to (i + 1, j)
        return f"CV{i * (cols + 1) + j + 1}"

    yield header_xml(header)
    yield "  <空間属性>\n"
    for i in range(rows + 1):
        yield "".join(point_xml(pid(i, j), e0 + j * cell, n0 + i * cell) for j in range(cols + 1))
    for i in range(rows + 1):
        yield "".join(curve_xml(hid(i, j), pid(i, j), pid(i, j + 1)) for j in range(cols))
    for i in range(rows):
        yield "".join(curve_xml(vid(i, j), pid(i, j), pid(i + 1, j)) for j in range(cols + 1))
    for i in range(rows):
        yield "".join(
            surface_xml(f"F{i * cols + j + 1}", (hid(i, j), vid(i, j + 1), hid(i + 1, j), vid(i, j)))
            for j in range(cols)
        )
    yield "  </空間属性>\n  <主題属性>\n"
    for i in range(rows):
        yield "".join(
            fude_xml(f"H{i * cols + j + 1}",
                     SynthParcel(chiban=f"{i + 1}-{j + 1}", ring=(), oaza_code=f"{i % 1000:03d}",
                                 oaza_name="霞が関", chome_name="一丁目"),
                     f"F{i * cols + j + 1}")
            for j in range(cols)
        )
    yield "  </主題属性>\n</地図>\n"


def write_grid(fp: TextIO, rows: int, cols: int, *, origin: tuple[float, float] = (-6000.0, -36000.0),
               cell: float = 10.0, header: SynthHeader | None = None) -> int:
    """Stream a ``rows × cols`` grid of square 筆 (shared points and edges) to ``fp``; returns 筆 count.

    Default origin is in 公共座標9系 near 千代田区. Memory use is one grid row at a time.
    """
    header = header or SynthHeader("13101", "千代田区", "合成グリッド")
    for chunk in _grid_sections(rows, cols, origin, cell, header):
        fp.write(chunk)
    return rows * cols


def grid_xml_bytes(rows: int, cols: int, **kwargs: object) -> bytes:
    buf = io.StringIO()
    write_grid(buf, rows, cols, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue().encode("utf-8")


def zip_bytes(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deterministic zip (fixed timestamps, deflate, given order)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def nested_zip(outer_stem: str, documents: Sequence[tuple[str, bytes]]) -> bytes:
    """Published layout: ``{outer_stem}.zip`` holding ``{stem}.zip`` each holding ``{stem}.xml``."""
    return zip_bytes([(f"{stem}.zip", zip_bytes([(f"{stem}.xml", xml)])) for stem, xml in documents])
