"""Indicator values with coverage (k of n expected municipalities), oldest as_of and freshness.

Two steps, both pure given a DuckDB connection with the ``report_versions`` view:

1. :func:`municipal_rows`: one row per expected municipality (1,741) and source, with its base columns and the
   per-municipality ``measure`` / ``denominator`` of each indicator (NULL when unknown or not reported).
2. :func:`rollup`: municipality -> prefecture -> country. A municipality contributes only where its value is
   known; ``reported`` counts those (k), ``expected`` the reporters of the area (n), ``reporting`` those with any
   live report of the type (so ``reporting - reported`` sent 未確認 or left the item blank).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from kiban.indicators import freshness
from kiban.indicators.base import KNOWN_VERSIONS, base_sql, params
from kiban.indicators.catalogue import Indicator, catalogue
from kiban.indicators.expected import expected_table, has_relation
from registries.reports.versions import latest_sql
from schemas.reports import REPORT_VERSIONS

NATIONAL = "JP"
NATIONAL_NAME = "全国"
Rows = list[dict]


@dataclass(frozen=True)
class Value:
    """One indicator value for one area, with the coverage and freshness it must always carry."""

    indicator_id: str
    grain: str
    area_code: str
    area_name: str
    value: float | None
    unit: str
    reported: int
    reporting: int
    expected: int
    oldest_as_of: datetime | None
    latest_as_of: datetime | None
    latest_received_at: datetime | None
    freshness: str
    age_minutes: float | None
    sla_minutes: int

    @property
    def coverage_statement(self) -> str:
        return coverage_statement(self.reported, self.expected, self.oldest_as_of)

    def to_dict(self) -> dict:
        return {
            "indicator_id": self.indicator_id, "grain": self.grain, "area_code": self.area_code,
            "area_name": self.area_name, "value": self.value, "unit": self.unit,
            "coverage": {"reported": self.reported, "reporting": self.reporting, "expected": self.expected,
                         "unknown": self.reporting - self.reported, "statement": self.coverage_statement},
            "oldest_as_of": _iso(self.oldest_as_of), "latest_as_of": _iso(self.latest_as_of),
            "latest_received_at": _iso(self.latest_received_at),
            "freshness": {"status": self.freshness, "age_minutes": self.age_minutes,
                          "sla_minutes": self.sla_minutes},
        }


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def coverage_statement(reported: int, expected: int, oldest_as_of: datetime | None) -> str:
    """"k of n municipalities reported; oldest as_of ..." (the line every aggregate carries)."""
    oldest = oldest_as_of.astimezone(UTC).isoformat() if oldest_as_of is not None else "none"
    return f"{reported} of {expected} municipalities reported; oldest as_of {oldest}"


def _ensure_report_versions(con: duckdb.DuckDBPyConnection) -> None:
    if not has_relation(con, "report_versions"):
        con.register("report_versions", REPORT_VERSIONS.arrow_schema().empty_table())


def municipal_rows(con: duckdb.DuckDBPyConnection, sources: Iterable[str], as_known_at: str | None = None,
                   subject: str | None = None, expected: pa.Table | None = None) -> dict[str, Rows]:
    """Per source: one dict per expected municipality with base columns and ``m:<id>`` / ``d:<id>`` measures.

    ``as_known_at`` and ``subject`` are bound as parameters (they come from requests).
    """
    _ensure_report_versions(con)
    con.register("_kiban_expected", expected if expected is not None else expected_table(con))
    versions = KNOWN_VERSIONS if as_known_at is not None else None
    latest = latest_sql(None, table=versions) if versions else latest_sql(None)
    con.register("_kiban_latest", con.execute(latest, params(latest, as_known_at=as_known_at)).to_arrow_table())
    out: dict[str, Rows] = {}
    try:
        for source in dict.fromkeys(sources):
            inds = [i for i in catalogue() if i.source == source]
            measures = [f'({i.measure}) AS "m:{i.id}"' for i in inds]
            measures += [f'({i.denominator}) AS "d:{i.id}"' for i in inds if i.denominator]
            sql = (
                "SELECT e.lg_code, e.prefecture_code, e.prefecture_name, e.name, b.lg_code IS NOT NULL AS reporting, "
                f"b.* EXCLUDE (lg_code), {', '.join(measures)} "
                f"FROM _kiban_expected e LEFT JOIN ({base_sql(source, as_known_at, subject, '_kiban_latest', versions)})"
                " b ON e.lg_code = b.lg_code ORDER BY e.lg_code"
            )
            rel = con.execute(sql, params(sql, as_known_at=as_known_at, subject=subject))
            cols = [d[0] for d in rel.description]
            out[source] = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
    finally:
        con.unregister("_kiban_expected")
        con.unregister("_kiban_latest")
    return out


def _areas(rows: Rows, grain: str) -> dict[tuple[str, str], Rows]:
    groups: dict[tuple[str, str], Rows] = {}
    for r in rows:
        if grain == "municipality":
            key = (r["lg_code"], r["name"])
        elif grain == "prefecture":
            key = (r["prefecture_code"], r["prefecture_name"])
        else:
            key = (NATIONAL, NATIONAL_NAME)
        groups.setdefault(key, []).append(r)
    return groups


def _num(v: object) -> float | None:
    return None if v is None else float(v)


def aggregate(ind: Indicator, rows: Rows) -> tuple[float | None, Rows]:
    """The area value and the rows that contributed to it (known value; for ratios, known num and den)."""
    m, d = f"m:{ind.id}", f"d:{ind.id}"
    if ind.aggregate == "ratio":
        used = [r for r in rows if r.get(m) is not None and r.get(d) is not None and r[d] != 0]
        den = sum(_num(r[d]) for r in used)
        value = sum(_num(r[m]) for r in used) / den * ind.scale if den else None
    else:
        used = [r for r in rows if r.get(m) is not None]
        vals = [_num(r[m]) for r in used]
        value = (sum(vals) if ind.aggregate == "sum" else max(vals)) * ind.scale if vals else None
    if value is not None:
        value = round(value, 4)
    return value, used


def rollup(ind: Indicator, rows: Rows, grain: str, now: datetime,
           groups: dict[tuple[str, str], Rows] | None = None) -> list[Value]:
    """Values of one indicator at one grain over ``rows`` (the municipal rows of its source).

    ``groups`` may pass ``_areas(rows, grain)`` precomputed when several indicators share the rows.
    """
    out = []
    for (code, name), group in (groups if groups is not None else _areas(rows, grain)).items():
        value, used = aggregate(ind, group)
        oldest = min((r["as_of"] for r in used), default=None)
        latest = max((r["latest_as_of"] for r in used), default=None)
        received = max((r["received_at"] for r in used), default=None)
        out.append(Value(
            indicator_id=ind.id, grain=grain, area_code=code, area_name=name, value=value, unit=ind.unit,
            reported=len(used), reporting=sum(bool(r["reporting"]) for r in group), expected=len(group),
            oldest_as_of=oldest, latest_as_of=latest, latest_received_at=received,
            freshness=freshness.status(oldest, now, ind.freshness_sla_minutes),
            age_minutes=freshness.age_minutes(oldest, now), sla_minutes=ind.freshness_sla_minutes,
        ))
    return out


def in_area(rows: Rows, area: str | None) -> Rows:
    """Rows of an area: None / 'JP' = all, 2 digits = a prefecture, 6 digits = one municipality."""
    if area is None or area == NATIONAL:
        return rows
    if len(area) == 2:
        return [r for r in rows if r["prefecture_code"] == area]
    return [r for r in rows if r["lg_code"] == area]


def silent(rows: Rows) -> list[dict]:
    """Expected reporters with no live report of the source's type (沈黙している団体)."""
    return [{"lg_code": r["lg_code"], "prefecture_code": r["prefecture_code"],
             "prefecture_name": r["prefecture_name"], "name": r["name"]} for r in rows if not r["reporting"]]


def as_known_at_iso(as_known_at: datetime | str | None) -> str | None:
    if as_known_at is None:
        return None
    if isinstance(as_known_at, str):
        as_known_at = datetime.fromisoformat(as_known_at.replace("Z", "+00:00"))
    if as_known_at.tzinfo is None:
        raise ValueError("as_of needs a UTC offset")
    return as_known_at.isoformat()


def compute(con: duckdb.DuckDBPyConnection, indicators: Sequence[Indicator] | None = None,
            grains: Sequence[str] = ("municipality", "prefecture", "national"), area: str | None = None,
            as_known_at: datetime | str | None = None, subject: str | None = None,
            now: datetime | None = None) -> list[Value]:
    """Every value of ``indicators`` (default: the catalogue) at ``grains``, as known at ``as_known_at``.

    ``now`` (for freshness) defaults to ``as_known_at`` when time-travelling, else the wall clock.
    """
    inds = list(indicators if indicators is not None else catalogue())
    at = as_known_at_iso(as_known_at)
    now = now or (datetime.fromisoformat(at) if at else datetime.now(UTC))
    rows = municipal_rows(con, [i.source for i in inds], at, subject)
    out: list[Value] = []
    grouped: dict[tuple[str, str], dict] = {}
    for ind in inds:
        src = in_area(rows[ind.source], area)
        for grain in grains:
            if grain in ind.grains:
                groups = grouped.setdefault((ind.source, grain), _areas(src, grain))
                out.extend(rollup(ind, src, grain, now, groups))
    return out
