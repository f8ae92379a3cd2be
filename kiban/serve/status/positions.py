"""Where each municipality is drawn on the status-page map (地図上の位置).

The exact point is the ABR representative point (``abr_cities.rep_lon/rep_lat``, デジタル庁 位置参照拡張) when the
lake has it. A municipality without one is drawn near its prefecture (都道府県庁所在地, or ``abr_prefs`` when
loaded) in a small sunflower cluster, and marked ``approx`` so the page can say so: the map never invents a
precise location, and no municipality is left off the map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

#: 都道府県庁 locations (JGD2011 lon, lat; rounded to 0.01 degrees): public facts, used only as cluster centres.
PREFECTURE_OFFICES: dict[str, tuple[float, float]] = {
    "01": (141.35, 43.06), "02": (140.74, 40.82), "03": (141.15, 39.70), "04": (140.87, 38.27),
    "05": (140.10, 39.72), "06": (140.36, 38.24), "07": (140.47, 37.75), "08": (140.45, 36.34),
    "09": (139.88, 36.57), "10": (139.06, 36.39), "11": (139.65, 35.86), "12": (140.12, 35.61),
    "13": (139.69, 35.69), "14": (139.64, 35.45), "15": (139.02, 37.90), "16": (137.21, 36.70),
    "17": (136.63, 36.59), "18": (136.22, 36.07), "19": (138.57, 35.66), "20": (138.18, 36.65),
    "21": (136.72, 35.39), "22": (138.38, 34.98), "23": (136.91, 35.18), "24": (136.51, 34.73),
    "25": (135.87, 35.00), "26": (135.76, 35.02), "27": (135.52, 34.69), "28": (135.18, 34.69),
    "29": (135.83, 34.69), "30": (135.17, 34.23), "31": (134.24, 35.50), "32": (133.05, 35.47),
    "33": (133.93, 34.66), "34": (132.46, 34.40), "35": (131.47, 34.19), "36": (134.56, 34.07),
    "37": (134.04, 34.34), "38": (132.77, 33.84), "39": (133.53, 33.56), "40": (130.42, 33.61),
    "41": (130.30, 33.25), "42": (129.87, 32.74), "43": (130.74, 32.79), "44": (131.61, 33.24),
    "45": (131.42, 31.91), "46": (130.56, 31.56), "47": (127.68, 26.21),
}
#: distance between neighbouring points of a cluster (degrees)
SPACING = 0.03
_GOLDEN = math.pi * (3 - math.sqrt(5))


def sunflower(centre: tuple[float, float], n: int, spacing: float = SPACING) -> list[tuple[float, float]]:
    """``n`` evenly spread (lon, lat) points around ``centre`` (Vogel's spiral), the first at the centre."""
    lon0, lat0 = centre
    stretch = 1 / max(math.cos(math.radians(lat0)), 0.2)  # keep the cluster round on the map
    out = []
    for i in range(n):
        r, a = spacing * math.sqrt(i), i * _GOLDEN
        out.append((round(lon0 + r * math.cos(a) * stretch, 5), round(lat0 + r * math.sin(a), 5)))
    return out


def place(municipalities: Iterable[Mapping], exact: Mapping[str, tuple[float, float]],
          prefecture_points: Mapping[str, tuple[float, float]] | None = None) -> dict[str, dict]:
    """``lg_code -> {lon, lat, approx}`` for every municipality (rows with lg_code and prefecture_code).

    ``exact``: ABR points by lg_code. ``prefecture_points`` override :data:`PREFECTURE_OFFICES` (e.g. abr_prefs).
    """
    centres = {**PREFECTURE_OFFICES, **(prefecture_points or {})}
    out: dict[str, dict] = {}
    pending: dict[str, list[str]] = {}
    for m in municipalities:
        point = exact.get(m["lg_code"])
        if point is not None:
            out[m["lg_code"]] = {"lon": point[0], "lat": point[1], "approx": False}
        elif m["prefecture_code"] in centres:
            pending.setdefault(m["prefecture_code"], []).append(m["lg_code"])
    for pref, codes in pending.items():
        for code, (lon, lat) in zip(sorted(codes), sunflower(centres[pref], len(codes)), strict=True):
            out[code] = {"lon": lon, "lat": lat, "approx": True}
    return out
