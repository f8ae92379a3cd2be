"""The situational snapshot of one report type for one area (全国 / 都道府県 / 市区町村), as plain data.

Built from :func:`kiban.indicators.compute.municipal_rows`; rendered by ``kiban.serve.snapshot`` as JSON, CSV,
GeoJSON or Parquet. Every snapshot carries ``as_of`` (the oldest as_of among the reporting municipalities),
``generated_at``, coverage ("k of n municipalities reported; oldest as_of ...") and freshness.
"""

from __future__ import annotations

from datetime import datetime

from kiban.indicators import freshness
from kiban.indicators.catalogue import SOURCES, Indicator, for_report_type
from kiban.indicators.compute import (
    NATIONAL,
    NATIONAL_NAME,
    Rows,
    coverage_statement,
    in_area,
    rollup,
    silent,
)

REPORT_TYPES = ("disaster_damage", "shelter_status", "population_monthly", "system_migration", "system_cost")
#: The SLA of a report type's own freshness (minutes): the SLA of its first indicator.
ROW_FIELDS = ("lg_code", "prefecture_code", "prefecture_name", "name", "reporting", "as_of", "received_at",
              "freshness")


def sources_for(report_type: str) -> list[str]:
    """Base relations needed for a snapshot of ``report_type`` (the primary one first)."""
    inds = for_report_type(report_type)
    return list(dict.fromkeys([report_type, *(i.source for i in inds)]))


def area_of(rows: Rows, area: str | None) -> dict:
    if area is None or area == NATIONAL:
        return {"grain": "national", "code": NATIONAL, "name": NATIONAL_NAME}
    if len(area) == 2:
        name = next((r["prefecture_name"] for r in rows if r["prefecture_code"] == area), None)
        return {"grain": "prefecture", "code": area, "name": name}
    name = next((r["name"] for r in rows if r["lg_code"] == area), None)
    return {"grain": "municipality", "code": area, "name": name}


def _sla(report_type: str) -> int:
    inds = for_report_type(report_type)
    return inds[0].freshness_sla_minutes if inds else 1440


def municipality_table(rows_by_source: dict[str, Rows], report_type: str, area: str | None,
                       now: datetime) -> tuple[list[Indicator], list[dict]]:
    """One row per expected municipality of the area: identity, reporting, as_of, freshness, indicator values."""
    inds = list(for_report_type(report_type))
    primary = in_area(rows_by_source[report_type], area)
    sla = _sla(report_type)
    table = [{"lg_code": r["lg_code"], "prefecture_code": r["prefecture_code"],
              "prefecture_name": r["prefecture_name"], "name": r["name"], "reporting": bool(r["reporting"]),
              "as_of": r.get("as_of"), "received_at": r.get("received_at"),
              "freshness": freshness.status(r.get("as_of"), now, sla) if r["reporting"] else "silent"}
             for r in primary]
    index = {r["lg_code"]: r for r in table}
    for ind in inds:
        for v in rollup(ind, in_area(rows_by_source[ind.source], area), "municipality", now):
            index[v.area_code][ind.id] = v.value
    return inds, table


def build(rows_by_source: dict[str, Rows], report_type: str, area: str | None, now: datetime,
          generated_at: datetime, as_known_at: str | None = None) -> dict:
    """The snapshot document (JSON-able except datetimes, which the renderer formats)."""
    if report_type not in REPORT_TYPES:
        raise ValueError(f"unknown report type {report_type!r}")
    inds, table = municipality_table(rows_by_source, report_type, area, now)
    info = area_of(rows_by_source[report_type], area)
    reporting = [r for r in table if r["reporting"]]
    oldest = min((r["as_of"] for r in reporting), default=None)
    latest = max((r["as_of"] for r in reporting), default=None)
    sla = _sla(report_type)
    grain = info["grain"]
    values = []
    for ind in inds:
        values += [v.to_dict() for v in rollup(ind, in_area(rows_by_source[ind.source], area), grain, now)]
    return {
        "type": report_type, "area": info, "as_of": oldest, "latest_as_of": latest, "as_known_at": as_known_at,
        "generated_at": generated_at,
        "coverage": {"reported": len(reporting), "expected": len(table),
                     "statement": coverage_statement(len(reporting), len(table), oldest)},
        "freshness": {"status": freshness.status(oldest, now, sla), "sla_minutes": sla,
                      "age_minutes": freshness.age_minutes(oldest, now)},
        "indicators": values,
        "columns": [*ROW_FIELDS, *(i.id for i in inds)],
        "municipalities": reporting,
        "silent": silent(in_area(rows_by_source[report_type], area)),
        "_all_rows": table,
    }


__all__ = ["SOURCES", "build", "municipality_table", "sources_for"]
