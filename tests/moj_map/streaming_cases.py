"""地図XML inputs whose staged rows were recorded with the parser before the columnar idref store
(``fixtures/staged_before.json``): the streaming parser must stage the same parcels from them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from registries.moj_map import sample, synth

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
