"""座標系 and 測地系判別 of a 地図XML file -> the EPSG code its plane coordinates are in.

Decision (docs/adr/0003-moj-map-datum.md):

* ``公共座標N系`` (N = 1..19) with a 世界測地系 ``測地系判別`` is read as **JGD2011** plane rectangular
  (EPSG:6669 + N − 1) and projected to JGD2011 geographic, EPSG:6668 (lon/lat). The public release started in
  2023 and the 地図情報システム coordinates in the areas moved by the 2011 earthquake were revised to 測地成果2011;
  elsewhere JGD2000 and JGD2011 coordinates are identical. PROJ without the PatchJGD grids transforms
  JGD2000 -> JGD2011 as a null transformation anyway, so reading a JGD2000 file as JGD2011 moves no vertex:
  only the label differs, and EPSG:6668 is the honest label for the stored lon/lat.
* ``測地系判別`` values that denote 世界測地系: ``世界測地系``, ``測量`` (surveyed in 世界測地系), ``変換``
  (converted to 世界測地系 from 日本測地系 coordinates), and a missing element (older files omit it).
* ``日本測地系`` (Tokyo datum) is projected from the Tokyo plane rectangular CS (EPSG:30161 + N − 1) to
  EPSG:6668 with PROJ's default Tokyo -> JGD2011 operation (metre-level accuracy without the TKY2JGD grid);
  such rows carry ``datum = 'Tokyo'`` so they can be filtered out.
* ``任意座標系`` cannot be georeferenced: rows are kept with ``is_arbitrary_crs`` and a NULL ``geometry``.
* Any other 座標系 or 測地系判別 value makes the whole file a :class:`SourceError` (``unknown_crs`` /
  ``unknown_datum``): they are file-level header values, and guessing would misplace every parcel of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import Transformer

ARBITRARY = "任意座標系"
TARGET_EPSG = 6668  # JGD2011 geographic (lon/lat with always_xy)
_ZONE = re.compile(r"公共座標([0-9０-９]{1,2})系")
_WORLD = frozenset({"世界測地系", "測量", "変換"})
_TOKYO = frozenset({"日本測地系"})


@dataclass(frozen=True)
class FileCrs:
    """How to read the coordinates of one file."""

    zone: int | None          # 1..19, None for 任意座標系
    source_epsg: int | None   # plane CRS of the file, None for 任意座標系
    datum: str | None         # 'JGD2011' | 'Tokyo' | None (任意座標系)

    @property
    def is_arbitrary(self) -> bool:
        return self.zone is None


class UnknownCrs(ValueError):
    """座標系 or 測地系判別 holds a value this parser does not know; ``rule`` names which."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def resolve(crs_name: str | None, datum_kind: str | None) -> FileCrs:
    """``('公共座標9系', '測量')`` -> ``FileCrs(9, 6677, 'JGD2011')``; raises :class:`UnknownCrs`."""
    name = (crs_name or "").strip()
    if name == ARBITRARY:
        return FileCrs(None, None, None)
    m = _ZONE.fullmatch(name)
    zone = int(m.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789"))) if m else 0
    if not 1 <= zone <= 19:
        raise UnknownCrs(f"unknown 座標系 {crs_name!r}", "unknown_crs")
    kind = (datum_kind or "").strip()
    if kind == "" or kind in _WORLD:
        return FileCrs(zone, 6669 + zone - 1, "JGD2011")
    if kind in _TOKYO:
        return FileCrs(zone, 30161 + zone - 1, "Tokyo")
    raise UnknownCrs(f"unknown 測地系判別 {datum_kind!r}", "unknown_datum")


@lru_cache(maxsize=64)
def to_lonlat(source_epsg: int) -> Transformer:
    """Transformer plane (easting, northing) -> (lon, lat) in EPSG:6668; cached per source CRS."""
    return Transformer.from_crs(f"EPSG:{source_epsg}", f"EPSG:{TARGET_EPSG}", always_xy=True)


@lru_cache(maxsize=64)
def from_lonlat(target_epsg: int) -> Transformer:
    """Inverse of :func:`to_lonlat`: (lon, lat) -> plane (easting, northing); used by the sample generator."""
    return Transformer.from_crs(f"EPSG:{TARGET_EPSG}", f"EPSG:{target_epsg}", always_xy=True)
