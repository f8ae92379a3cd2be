"""Render a snapshot document (:func:`kiban.indicators.snapshot.build`) as JSON, CSV, GeoJSON or Parquet bytes.

CSV: one row per expected municipality of the area (silent ones too, ``reporting`` false), UTF-8 by default,
Shift_JIS (CP932, for Excel) on request. GeoJSON: a FeatureCollection of municipal representative points (ABR
``abr_cities`` rep_lon/rep_lat) with ``geometry: null`` where no point is known; the snapshot's as_of,
coverage and freshness are foreign members of the collection. Parquet: the same rows, the snapshot header in the
schema metadata under ``kiban:snapshot``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = {"json": "application/json; charset=utf-8", "csv": "text/csv", "geojson": "application/geo+json",
           "parquet": "application/vnd.apache.parquet"}


def _plain(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def header(doc: dict) -> dict:
    """The snapshot without its row lists: type, area, as_of, generated_at, coverage, freshness, indicators."""
    return {k: _plain(v) for k, v in doc.items() if k not in ("municipalities", "silent", "_all_rows", "columns")}


def to_json(doc: dict) -> bytes:
    body = {k: v for k, v in doc.items() if k != "_all_rows"}
    return json.dumps(body, ensure_ascii=False, default=_plain, separators=(",", ":")).encode("utf-8")


def to_csv(doc: dict, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    cols = doc["columns"]
    w.writerow(cols)
    for row in doc["_all_rows"]:
        w.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in cols])
    text = buf.getvalue()
    return text.encode("cp932", errors="replace") if encoding == "sjis" else text.encode("utf-8")


def to_geojson(doc: dict, points: dict[str, tuple[float, float]]) -> bytes:
    features = []
    for row in doc["_all_rows"]:
        pt = points.get(row["lg_code"])
        features.append({
            "type": "Feature", "id": row["lg_code"],
            "geometry": {"type": "Point", "coordinates": [pt[0], pt[1]]} if pt else None,
            "properties": {c: _plain(row.get(c)) for c in doc["columns"]},
        })
    head = header(doc)
    body = {"type": "FeatureCollection", "report_type": head.pop("type"), **head, "features": features}
    return json.dumps(body, ensure_ascii=False, default=_plain, separators=(",", ":")).encode("utf-8")


def to_parquet(doc: dict) -> bytes:
    cols = doc["columns"]
    table = pa.Table.from_pylist([{c: row.get(c) for c in cols} for row in doc["_all_rows"]])
    if table.num_columns == 0:
        table = pa.table({c: pa.array([], pa.string()) for c in cols})
    meta = {b"kiban:snapshot": json.dumps(header(doc), ensure_ascii=False, default=_plain).encode("utf-8")}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()
