"""Temporal and spatial coverage of a dataset at publish time (DCAT ``dct:temporal`` / ``dcat:bbox``).

Temporal coverage is the range of the contract's ``temporal`` column (an integer column holds years); spatial
coverage is the bounding box (JGD2011 lon/lat) of the primary geometry of a spatial contract.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb

from kiban.duck import quote_ident
from schemas.contract import Contract


def _iso(value: Any, end: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):  # a year
        return f"{value:04d}-12-31" if end else f"{value:04d}-01-01"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def coverage(con: duckdb.DuckDBPyConnection, contract: Contract, relation: str,
             geometry: str | None = None) -> dict[str, Any]:
    """``{"temporal": {"start", "end"}, "bbox": [xmin, ymin, xmax, ymax]}`` of ``relation`` (keys only where known)."""
    out: dict[str, Any] = {}
    rel = quote_ident(relation)
    if contract.temporal:
        col = quote_ident(contract.temporal)
        low, high = con.execute(f"SELECT min({col}), max({col}) FROM {rel}").fetchone()
        if low is not None:
            out["temporal"] = {"start": _iso(low, False), "end": _iso(high, True)}
    if geometry:
        g = quote_ident(geometry)
        row = con.execute(
            f"SELECT min(ST_XMin(x)), min(ST_YMin(x)), max(ST_XMax(x)), max(ST_YMax(x)) "
            f"FROM (SELECT ST_GeomFromWKB({g}) AS x FROM {rel} WHERE {g} IS NOT NULL)").fetchone()
        if row and row[0] is not None:
            out["bbox"] = [round(float(v), 7) for v in row]
    return out
