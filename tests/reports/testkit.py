"""Helpers for the municipal-report tests (imported as ``reports_testkit``; loaded by conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from registries.reports.lgcode import check_digit


def code(first5: str) -> str:
    return first5 + str(check_digit(first5))


SAPPORO = code("01100")  # 011002
KITAKYUSHU = code("40100")
FUKUOKA_PREF = code("40000")
KUMAMOTO_CITY = code("43100")
KUMAMOTO_PREF = code("43000")
MERGED_TOWN = code("43999")  # abolished on 2020-04-01 in this fixture
NEW_TOWN = code("43998")  # created on 2030-01-01 in this fixture
RECEIVED = datetime(2026, 9, 14, 3, 0, tzinfo=UTC)  # 12:00 JST



def make_master() -> dict:
    m = {c: (None, None, c[:2]) for c in (SAPPORO, KITAKYUSHU, FUKUOKA_PREF, KUMAMOTO_CITY, KUMAMOTO_PREF)}
    m[MERGED_TOWN] = (date(1990, 1, 1), date(2020, 4, 1), "43")
    m[NEW_TOWN] = (date(2030, 1, 1), None, "43")
    return m


def damage_row(**kw: object) -> dict:
    row: dict[str, object] = {"report_type": "disaster_damage", "lg_code": KUMAMOTO_CITY, "subject_key": "2026-typhoon-21",
                              "as_of": "2026-09-14 11:00", "sequence_no": 1, "dead": 1, "missing": "未確認",
                              "injured_serious": 2, "zenkai_buildings": 3}
    row.update(kw)
    return row


def population_row(**kw: object) -> dict:
    row: dict[str, object] = {"report_type": "population_monthly", "lg_code": KUMAMOTO_CITY,
                              "as_of": "2026-09-01", "year_month": "2026-09"}
    for cls, (m, f) in (("jp", (100, 120)), ("foreign", (5, 7)), ("all", (105, 127))):
        row |= {f"{cls}_pop_male": m, f"{cls}_pop_female": f, f"{cls}_pop_total": m + f,
                f"{cls}_births": 1, f"{cls}_deaths": 1, f"{cls}_in_migration": 2, f"{cls}_out_migration": 1,
                f"{cls}_other_increase": 0, f"{cls}_other_decrease": 0, f"{cls}_households": 90}
    row.update(kw)
    return row
