"""XPT002 GeoJSON -> typed ``land_prices`` rows (contract column order plus ``_source_row``).

Property values arrive as formatted strings or numbers depending on the field (``u_current_years_price_ja``
is e.g. ``"5,200,000(円/㎡)"``; ``last_years_price`` a number): prices are parsed to integers yen per ㎡,
the change rate to a float, and every property is kept verbatim in ``properties`` (JSON) except the
Elasticsearch ``_id``/``_index`` that leak into the response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import shapely

from registries.municipalities.codes import with_check_digit
from schemas.land_price import LAND_PRICES

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_LEAKED = ("_id", "_index")
_TEXT = {
    "target_year_name": "target_year_name_ja", "prefecture_name": "prefecture_name_ja",
    "city_county_name": "city_county_name_ja", "ward_town_village_name": "ward_town_village_name_ja",
    "standard_lot_number": "standard_lot_number_ja", "use_category": "use_category_name_ja",
    "place_name": "place_name_ja", "residence_display": "residence_display_name_ja",
    "location_number": "location_number_ja", "cadastral_area": "u_cadastral_ja",
    "nearest_station": "nearest_station_name_ja", "usage_status": "usage_status_name_ja",
}


def staged_schema() -> pa.Schema:
    return LAND_PRICES.arrow_schema().append(pa.field("_source_row", pa.int64(), nullable=False))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_number(value: Any) -> float | None:
    """``"5,200,000(円/㎡)"`` -> 5200000.0, ``"-1.5"`` -> -1.5, ``2.0`` -> 2.0; None for blanks and text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _NUMBER.search(str(value))
    return float(m.group().replace(",", "")) if m else None


def _int(value: Any) -> int | None:
    n = parse_number(value)
    return int(round(n)) if n is not None else None


def _code(value: Any, width: int) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return text.zfill(width) if text.isdigit() else text


def _classification(props: Mapping[str, Any], requested: str | None) -> str | None:
    value = _text(props.get("land_price_type"))
    if value in ("0", "1"):
        return value
    return requested


def rows_from_collection(
    collection: Mapping[str, Any], *, year: int, z: int, x: int, y: int, price_classification: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per Point feature (features without a point geometry are skipped)."""
    rows = []
    for index, feature in enumerate(collection.get("features") or [], start=1):
        geom = feature.get("geometry") or {}
        coords = geom.get("coordinates") or []
        if geom.get("type") != "Point" or len(coords) < 2:
            continue
        lon, lat = float(coords[0]), float(coords[1])
        props = dict(feature.get("properties") or {})
        for key in _LEAKED:
            props.pop(key, None)
        city = _code(props.get("city_code"), 5)
        row: dict[str, Any] = {
            "point_id": _text(props.get("point_id")),
            "year": year,
            "price_classification": _classification(props, price_classification),
            "prefecture_code": _code(props.get("prefecture_code"), 2),
            "city_code": city,
            "lg_code": with_check_digit(city) if city and re.fullmatch(r"[0-9]{5}", city) else None,
            "price_per_sqm": _int(props.get("u_current_years_price_ja")),
            "last_years_price": _int(props.get("last_years_price")),
            "year_on_year_change_rate": parse_number(props.get("year_on_year_change_rate")),
            "lon": lon, "lat": lat,
            "geometry": shapely.to_wkb(shapely.Point(lon, lat)),
            "tile_z": z, "tile_x": x, "tile_y": y,
            "properties": json.dumps(props, ensure_ascii=False, sort_keys=True),
            "_source_row": index,
        }
        for column, key in _TEXT.items():
            row[column] = _text(props.get(key))
        rows.append(row)
    return rows


def to_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows -> Arrow table in the staged schema (typed: ints, doubles, WKB)."""
    schema = staged_schema()
    rows = list(rows)
    return pa.Table.from_pydict({f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema)
