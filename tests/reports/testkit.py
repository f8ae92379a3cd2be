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


def run_rules(subs: list, master: dict, tmp, *, previous: list | None = None, skew=None) -> tuple[set, set]:
    """Validate parsed reports through the load's own Great Expectations suite (contract + ``rules_for``), with
    the master and the previous versions as the context relations; returns the failing (column, check) pairs,
    blocking and warnings."""
    from datetime import timedelta
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from quality.runner import validate
    from registries.reports.records import staged_table
    from registries.reports.rules import MASTER, PREVIOUS, rules_for
    from schemas.reports import CONTRACTS

    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    ctx = {MASTER: tmp / "master.parquet", PREVIOUS: tmp / "previous.parquet"}
    pq.write_table(pa.table({
        "lg_code": list(master), "valid_from": [v[0] for v in master.values()],
        "valid_to": [v[1] for v in master.values()], "prefecture_code": [v[2] for v in master.values()],
    }, schema=pa.schema([("lg_code", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32()),
                         ("prefecture_code", pa.string())])), ctx[MASTER])
    prev = previous or []
    pq.write_table(pa.table({
        "report_type": [s.report_type for s in prev], "lg_code": [s.envelope["lg_code"] for s in prev],
        "subject_key": [s.envelope["subject_key"] for s in prev], "as_of": [s.envelope["as_of"] for s in prev],
        "sequence_no": [s.envelope["sequence_no"] for s in prev],
        "report_id": [str(s.envelope["report_id"]) for s in prev], "payload": [s.payload_json() for s in prev],
    }, schema=pa.schema([("report_type", pa.string()), ("lg_code", pa.string()), ("subject_key", pa.string()),
                         ("as_of", pa.timestamp("us", tz="UTC")), ("sequence_no", pa.int32()),
                         ("report_id", pa.string()), ("payload", pa.string())])), ctx[PREVIOUS])
    blocking, warnings = set(), set()
    for rt in sorted({s.report_type for s in subs}):
        staged = tmp / f"staged_{rt}.parquet"
        pq.write_table(staged_table([s for s in subs if s.report_type == rt], rt), staged)
        report = validate(CONTRACTS[rt], staged, rules_for(rt, skew=skew or timedelta(minutes=10)),
                          source_file="r.csv", context=ctx)
        blocking |= {(smp["column"], c.name) for c in report.blocking_failures() for smp in c.samples or [{"column": c.column}]}
        warnings |= {(smp["column"], c.name) for c in report.warnings() for smp in c.samples or [{"column": c.column}]}
    return blocking, warnings
