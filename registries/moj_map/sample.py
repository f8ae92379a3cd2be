"""Write ``samples/moj_map/``: a published-style nested zip for 東京都千代田区 and a broken twin.

``python -m registries.moj_map.sample [out_dir]`` is deterministic (fixed zip timestamps, fixed coordinates).
The parcels are placed by lon/lat (EPSG:6668) and converted to 公共座標9系 (EPSG:6677) with the inverse
projection, so parsing the files must land 地番 1-1 back around :data:`ANCHOR`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from registries.moj_map import crs
from registries.moj_map.synth import SynthHeader, SynthParcel, nested_zip, render

CITY_CODE, CITY_NAME, LG_CODE = "13101", "千代田区", "131016"
OUTER = "13101-0001"
SURVEYED, ARBITRARY = "13101-0001-1", "13101-0001-2"
BROKEN_OUTER, BROKEN = "13101-0002", "13101-0002-1"
ZONE9 = 6677

# 丸の内一丁目 area. ANCHOR is the centre of 地番 1-1; the other parcels are laid out around it in metres
# (easting, northing offsets), sharing vertices and edges with their neighbours as 筆 in a real 地図 do.
ANCHOR = (139.76500, 35.68300)
LAYOUT: dict[str, list[tuple[float, float]]] = {
    "1-1": [(-10, -8), (10, -8), (10, 8), (-10, 8)],
    "1-2": [(10, -8), (30, -8), (30, 8), (10, 8)],                   # east of 1-1
    "2": [(-10, 8), (10, 8), (30, 8), (30, 24), (-10, 24)],         # north of 1-1 and 1-2
    "地区外": [(30, -8), (40, -8), (40, 2), (30, 2)],                 # excluded: 地区外
    "別図": [(-20, -8), (-10, -8), (-10, 2), (-20, 2)],               # excluded: 別図
}
KEYS = {"oaza_code": "001", "chome_code": "001", "koaza_code": "0000", "yobi_code": "00"}


def anchor_plane() -> tuple[float, float]:
    """ANCHOR in 公共座標9系 (easting, northing), via the inverse projection."""
    e, n = crs.from_lonlat(ZONE9).transform(*ANCHOR)
    return e, n


def _ring(chiban: str) -> list[tuple[float, float]]:
    e, n = anchor_plane()
    return [(round(e + de, 3), round(n + dn, 3)) for de, dn in LAYOUT[chiban]]


def surveyed_parcels() -> list[SynthParcel]:
    return [
        SynthParcel(chiban=chiban, ring=_ring(chiban), oaza_name="丸の内", chome_name="一丁目",
                    accuracy_class="甲一", coordinate_type="測量成果", **KEYS)
        for chiban in LAYOUT
    ]


def surveyed_xml(oaza_name: str = "丸の内") -> bytes:
    header = SynthHeader(CITY_CODE, CITY_NAME, "千代田区丸の内一丁目", crs_name="公共座標9系", datum_kind="測量",
                         map_number="09LD351")
    parcels = surveyed_parcels()
    parcels[0] = SynthParcel(**{**parcels[0].__dict__, "oaza_name": oaza_name})
    return render(header, parcels).encode("utf-8")


def arbitrary_xml() -> bytes:
    header = SynthHeader(CITY_CODE, CITY_NAME, "千代田区任意座標図", crs_name="任意座標系", datum_kind=None,
                         map_number="X1")
    ring = [(100.0, 200.0), (118.5, 200.0), (118.5, 214.25), (100.0, 214.25)]
    parcel = SynthParcel(chiban="5", ring=ring, oaza_code="002", chome_code="000", koaza_code="0000",
                         yobi_code="00", oaza_name="一ツ橋", accuracy_class=None, coordinate_type="図上測量")
    return render(header, [parcel]).encode("utf-8")


def write(out_dir: str | Path) -> list[Path]:
    """Write the sample files; returns their paths."""
    out = Path(out_dir)
    (out / "broken").mkdir(parents=True, exist_ok=True)
    good = out / f"{OUTER}.zip"
    good.write_bytes(nested_zip(OUTER, [(SURVEYED, surveyed_xml()), (ARBITRARY, arbitrary_xml())]))
    broken = out / "broken" / f"{BROKEN_OUTER}.zip"
    broken.write_bytes(nested_zip(BROKEN_OUTER, [(BROKEN, surveyed_xml(oaza_name="丸の\x0b内"))]))
    return [good, broken]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "samples" / "moj_map"
    for path in write(out):
        print(path)


if __name__ == "__main__":
    main()
