"""The columnar idref store stages the same parcels as the parser before it, and its parts behave.

``fixtures/staged_before.json`` holds the staged rows (geometry as a WKB digest) and row issues of the inputs
below as the parser before the columnar store (commit 2e1ffeb) staged them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from registries.moj_map import geometry as geo
from registries.moj_map import sample, synth
from registries.moj_map.idrefs import IdTable, Primitives, ranges
from registries.moj_map.parse import stage_moj_file

SQUARE = [(25917.765, -42247.011), (25937.765, -42247.011), (25937.765, -42227.011), (25917.765, -42227.011)]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "staged_before.json"


def _doc(parcels, **header) -> str:
    h = synth.SynthHeader(**{"city_code": "13101", "city_name": "千代田区", "map_name": "テスト", **header})
    return synth.render(h, parcels)


def _shifted(de: float, dn: float = 0.0) -> list[tuple[float, float]]:
    return [(e + de, n + dn) for e, n in SQUARE]


def _dangling() -> str:
    text = _doc([synth.SynthParcel("1", SQUARE), synth.SynthParcel("2", _shifted(20)),
                 synth.SynthParcel("3", _shifted(40)), synth.SynthParcel("4", _shifted(60))])
    text = text.replace('<形状 idref="F000002"/>', '<形状 idref="F999999"/>')
    text = text.replace('<zmn:GM_CompositeCurve.generator idref="C000008"/>',
                        '<zmn:GM_CompositeCurve.generator idref="C777777"/>', 1)
    return text.replace('<zmn:GM_PointRef.point idref="P000009"/>', '<zmn:GM_PointRef.point idref="P555555"/>', 1)


def _reversed_and_direct() -> str:
    """Curve C000002 runs backwards; C000003 gives its points as GM_Position.direct; a bow-tie parcel."""
    text = _doc([synth.SynthParcel("1", SQUARE), synth.SynthParcel("2", _shifted(20)),
                 synth.SynthParcel("bow", [(25900.0, -42200.0), (25910.0, -42190.0), (25910.0, -42200.0),
                                           (25900.0, -42190.0)])])
    a = '<zmn:GM_Curve id="C000002">'
    head, tail = text.split(a)
    body, rest = tail.split("</zmn:GM_Curve>", 1)
    p0, p1 = (part.split('"')[0] for part in body.split('idref="')[1:3])
    body = body.replace(f'idref="{p0}"', "@@").replace(f'idref="{p1}"', f'idref="{p0}"').replace("@@", f'idref="{p1}"')
    text = head + a + body + "</zmn:GM_Curve>" + rest
    points = {}
    for chunk in text.split('<zmn:GM_Point id="')[1:]:
        pid = chunk.split('"')[0]
        points[pid] = chunk.split("<zmn:DirectPosition>")[1].split("</zmn:DirectPosition>")[0]
    c = '<zmn:GM_Curve id="C000003">'
    head, tail = text.split(c)
    body, rest = tail.split("</zmn:GM_Curve>", 1)
    for pid, xy in points.items():
        body = body.replace(f'<zmn:GM_Position.indirect><zmn:GM_PointRef.point idref="{pid}"/>'
                            "</zmn:GM_Position.indirect>",
                            f"<zmn:GM_Position.direct>{xy}</zmn:GM_Position.direct>")
    return head + c + body + "</zmn:GM_Curve>" + rest


def _hole_and_degenerate() -> str:
    """筆 1 gets 筆 2's boundary as an interior ring; 筆 3's surface repeats one curve (a degenerate ring)."""
    text = _doc([synth.SynthParcel("1", [(e * 1, n) for e, n in SQUARE]),
                 synth.SynthParcel("2", [(25922.0, -42242.0), (25927.0, -42242.0), (25927.0, -42237.0),
                                         (25922.0, -42237.0)]),
                 synth.SynthParcel("3", _shifted(100))])
    f2 = text.split('<zmn:GM_Surface id="F000002">')[1].split("</zmn:GM_Surface>")[0]
    ring2 = f2.split("<zmn:GM_Ring>")[1].split("</zmn:GM_Ring>")[0]
    interior = (f"<zmn:GM_SurfaceBoundary.interior><zmn:GM_Ring>{ring2}</zmn:GM_Ring>"
                "</zmn:GM_SurfaceBoundary.interior>")
    head, tail = text.split('<zmn:GM_Surface id="F000001">')
    body, rest = tail.split("</zmn:GM_Surface>", 1)
    body = body.replace("</zmn:GM_SurfaceBoundary.exterior>", "</zmn:GM_SurfaceBoundary.exterior>" + interior)
    text = head + '<zmn:GM_Surface id="F000001">' + body + "</zmn:GM_Surface>" + rest
    head, tail = text.split('<zmn:GM_Surface id="F000003">')
    body, rest = tail.split("</zmn:GM_Surface>", 1)
    first = body.split('idref="')[1].split('"')[0]
    ring = "".join(f'<zmn:GM_CompositeCurve.generator idref="{first}"/>' for _ in range(3))
    body = body.split("<zmn:GM_Ring>")[0] + "<zmn:GM_Ring>" + ring + "</zmn:GM_Ring>" + body.split("</zmn:GM_Ring>")[1]
    return head + '<zmn:GM_Surface id="F000003">' + body + "</zmn:GM_Surface>" + rest


def cases() -> dict[str, bytes]:
    """name -> input bytes (file name suffix tells the format)."""
    return {
        "sample.zip": synth.nested_zip(sample.OUTER, [(sample.SURVEYED, sample.surveyed_xml()),
                                                      (sample.ARBITRARY, sample.arbitrary_xml())]),
        "dangling.xml": _dangling().encode(),
        "reversed_direct.xml": _reversed_and_direct().encode(),
        "hole_degenerate.xml": _hole_and_degenerate().encode(),
        "tokyo.xml": _doc([synth.SynthParcel("1", SQUARE)], datum_kind="日本測地系").encode(),
        "grid.xml": synth.grid_xml_bytes(21, 200),  # 4,200 筆: more than one batch
    }


def fingerprint(rows: list[dict], issues: list[dict]) -> dict:
    """Rows (geometry as a sha256 of the WKB) and row issues, comparable as JSON."""
    def cell(v):
        return hashlib.sha256(v).hexdigest()[:16] if isinstance(v, bytes) else v
    return {"rows": [{k: cell(v) for k, v in r.items()} for r in rows], "issues": issues}


def load_fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))



@pytest.mark.parametrize("name", sorted(cases()))
def test_staged_rows_and_issues_are_those_of_the_parser_before(tmp_path, name):
    src = tmp_path / name
    src.write_bytes(cases()[name])
    result = stage_moj_file(src, tmp_path / "out.parquet")
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    got = fingerprint(rows, [i.to_dict() for i in result.issues])
    want = load_fixture()[name]
    if "sha256" in want:
        digest = hashlib.sha256(json.dumps(got, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        assert (digest, len(rows)) == (want["sha256"], want["rows"])
    else:
        assert got == want


def test_id_lookup_finds_positions_misses_unknown_and_lets_the_last_duplicate_win():
    ids = IdTable()
    ids.pending.extend(["P2", "P10", "P1", "点１"])
    ids.pack()  # values both packed and pending are found
    ids.pending.extend(["P10", ""])
    refs = np.array([s.encode() for s in ["P1", "P10", "P3", "点１", "", "P100000"]], dtype=np.bytes_)
    assert ids.lookup(refs).tolist() == [2, 4, -1, 3, 5, -1]
    ids.pending.append("P3")  # appending after a lookup re-sorts
    assert ids.lookup(np.array([b"P3"])).tolist() == [6]


def test_ranges_concatenates_aranges():
    assert ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]
    assert ranges(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == []


def _prims() -> Primitives:
    prims = Primitives()
    for k, (e, n) in enumerate([(0, 0), (1, 0), (1, 1), (0, 1)]):
        prims.points.add(f"P{k}", float(e), float(n))
    prims.curves.add("C0", ["P0", "P1"])
    prims.curves.add("C1", ["P2", "P1"])                  # runs backwards
    prims.curves.add("C2", ["", ""], [(0, 1.0, 1.0), (1, 0.0, 1.0)])  # direct positions
    prims.curves.add("C3", ["P3", "P0"])
    prims.curves.add("C4", ["P3", "P9"])                  # P9 is not defined
    prims.surfaces.add("F0", [["C0", "C1", "C2", "C3"]])
    prims.surfaces.add("F1", [["C0", "C4", "C3"]])
    prims.surfaces.add("F2", [["C0", "C0"]])              # degenerate
    prims.surfaces.add("F3", [])
    return prims


def test_batch_resolution_agrees_with_one_at_a_time_resolution():
    prims = _prims()
    refs = ["F0", "F1", "F2", "F3", "F9", None, "F0"]
    kept, polys, errors = geo.resolve_batch(refs, prims)
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    assert kept.tolist() == [0, 6] and polys.rings(0) == [square] and polys.rings(1) == [square]
    for k, ref in enumerate(refs):
        try:
            want = geo.surface_rings(ref, prims)
        except (geo.Dangling, geo.Degenerate) as exc:
            assert type(errors[k]) is type(exc) and str(errors[k]) == str(exc)
        else:
            assert polys.rings(kept.tolist().index(k)) == want
    assert isinstance(errors[1], geo.Dangling) and errors[1].idref == "P9"
    assert isinstance(errors[2], geo.Degenerate)
    assert [errors[k].kind for k in (3, 4, 5)] == ["GM_Surface"] * 3


SEGMENTS = {
    "in order": [[(0, 0), (1, 0)], [(1, 0), (1, 1)], [(1, 1), (0, 0)]],
    "second reversed": [[(0, 0), (1, 0)], [(1, 1), (1, 0)], [(1, 1), (0, 1), (0, 0)]],
    "first reversed": [[(1, 0), (0, 0)], [(1, 0), (1, 1)], [(1, 1), (0, 0)]],
    "first reversed, second too": [[(1, 0), (0, 0)], [(1, 1), (1, 0)], [(1, 1), (0, 0)]],
    "a gap": [[(0, 0), (1, 0)], [(2, 0), (2, 2)], [(0, 2), (0, 0)]],
    "left open": [[(0, 0), (1, 0), (1, 1)]],
    "empty segments": [[], [(0, 0), (1, 0)], [], [(1, 0), (1, 1), (0, 0)]],
    "single points": [[(0, 0)], [(0, 0), (2, 0)], [(2, 0)], [(2, 0), (2, 2), (0, 0)]],
    "two distinct": [[(0, 0), (1, 0)], [(1, 0), (0, 0)]],
    "one point": [[(3, 3)]],
    "nothing": [[]],
}


def test_chaining_many_rings_at_once_matches_chaining_one():
    names = list(SEGMENTS)
    segs = [[[(float(e), float(n)) for e, n in seg] for seg in SEGMENTS[k]] for k in names]
    points = [xy for ring in segs for seg in ring for xy in seg]
    east = np.array([e for e, _ in points]) if points else np.zeros(0)
    north = np.array([n for _, n in points]) if points else np.zeros(0)
    ve, vn, sizes, degenerate = geo.chain_many(np.array([len(r) for r in segs]),
                                               np.array([len(s) for r in segs for s in r]), east, north)
    at = 0
    for name, ring, size, degen in zip(names, segs, sizes.tolist(), degenerate.tolist(), strict=True):
        got = list(zip(ve[at:at + size].tolist(), vn[at:at + size].tolist(), strict=True))
        at += size
        try:
            want = geo.chain(ring)
        except geo.Degenerate:
            assert degen, name
        else:
            assert not degen and got == want, name


def test_curve_control_points_are_read_in_the_usual_and_unusual_layouts():
    from lxml import etree

    from registries.moj_map.xmlstream import _curve

    z = 'xmlns:zmn="http://www.moj.go.jp/MINJI/tizuzumen"'
    col = "<zmn:GM_PointArray.column>{}</zmn:GM_PointArray.column>"
    body = "".join([
        col.format('<zmn:GM_Position.indirect><zmn:GM_PointRef.point idref="P1"/></zmn:GM_Position.indirect>'),
        col.format("<zmn:GM_Position.indirect><zmn:note/><zmn:wrap><zmn:GM_PointRef.point idref=\"P2\"/>"
                   "</zmn:wrap></zmn:GM_Position.indirect>"),
        col.format("<zmn:GM_Position.indirect/>"),
        col.format("<zmn:GM_Position.direct><zmn:X>5.5</zmn:X><zmn:Y>7.25</zmn:Y></zmn:GM_Position.direct>"),
    ])
    curve = etree.fromstring(f'<zmn:GM_Curve {z} id="C1">{body}</zmn:GM_Curve>'.encode())
    assert _curve(curve) == (["P1", "P2", "", ""], [(3, 7.25, 5.5)])
