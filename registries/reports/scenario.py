"""Deterministic intake scenario: a typhoon crossing 九州 → 中国 → 近畿, plus monthly reports for every municipality.

``python -m registries.reports.scenario --out DIR --seed N [--lg-codes FILE] [--monthly-prefectures 40,43]``

Writes ``DIR/files/*`` exactly as the intake would receive them (CSV UTF-8 with/without BOM, CSV CP932, XLSX
from the template, JSON), ``DIR/manifest.jsonl`` (one line per arrival, in arrival order, with ``received_at``;
a duplicate submission is a second arrival of identical bytes) and ``DIR/scenario.json`` (affected and silent
municipalities, what each special case is). Disaster cases: first reports, updates, 訂正 (incl. a falling
cumulative count), late and out-of-order reports, duplicates, 訓練, 未確認 fields, a withdrawn (取消) report, a
proxy submission by a prefecture, silent municipalities, shelters. Monthly: population (2 months, by the
prefecture as proxy), migration status and operating cost for every municipality.
lg_codes come from the 総務省 code file (the bundled samples/municipalities/000925835.xls, via xlrd) unless a
list is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from registries.reports.cells import JST
from registries.reports.lgcode import prefecture_code
from registries.reports.writers import csv_bytes, json_bytes, xlsx_bytes
from schemas.reports import BUSINESS, MIGRATION_STEP_COUNT

DEFAULT_XLS = Path(__file__).resolve().parents[2] / "samples" / "municipalities" / "000925835.xls"
#: 北方領土の6村: in the code list but not among the 1,741 municipalities
NORTHERN_TERRITORIES = {"016951", "016969", "016977", "016985", "016993", "017001"}
DISASTER_ID = "2026-typhoon-21"
DISASTER_NAME = "令和8年台風第21号"
#: prefectures on the track and hours after the trigger when the storm reaches them
TRACK = (("46", 0), ("43", 4), ("40", 8), ("35", 12), ("34", 15), ("33", 18), ("28", 22), ("27", 24))
TRIGGER = datetime(2026, 9, 14, 6, 0, tzinfo=JST)
FORMATS = ("csv_utf8", "csv_bom", "csv_cp932", "xlsx", "json")


def load_lg_codes(xls: Path = DEFAULT_XLS) -> list[str]:
    """The 1,741 municipality codes (市区町村 incl. 特別区; no prefectures, no 北方領土) from the 総務省 file."""
    import xlrd

    sheet = xlrd.open_workbook(str(xls)).sheet_by_index(0)
    codes = [str(sheet.cell_value(r, 0)).strip() for r in range(1, sheet.nrows)]
    return [c for c in codes if len(c) == 6 and c[2:5] != "000" and c not in NORTHERN_TERRITORIES]


@dataclass
class Intake:
    out: Path
    rng: random.Random
    arrivals: list[dict] = field(default_factory=list)
    counter: int = 0

    def rid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def submit(self, report_type: str, rows: list[dict], received_at: datetime, note: str, *,
               fmt: str | None = None, name: str | None = None) -> dict:
        fmt = fmt or self.rng.choice(FORMATS)
        data, ext = _encode(report_type, rows, fmt)
        self.counter += 1
        lg = rows[0].get("lg_code", "multi")
        fname = name or f"{self.counter:05d}_{report_type}_{lg}.{ext}"
        (self.out / "files" / fname).write_bytes(data)
        entry = {"file": fname, "received_at": received_at.isoformat(), "report_type": report_type,
                 "format": fmt, "rows": len(rows), "lg_code": lg, "reporter_lg_code": rows[0].get("reporter_lg_code"),
                 "note": note, "sha256": hashlib.sha256(data).hexdigest()}
        self.arrivals.append(entry)
        return entry

    def resend(self, entry: dict, received_at: datetime) -> None:
        """The same bytes again (a duplicate submission), under a new arrival."""
        self.counter += 1
        self.arrivals.append({**entry, "received_at": received_at.isoformat(), "note": "duplicate",
                              "duplicate_of": entry["file"]})


def _encode(report_type: str, rows: list[dict], fmt: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return xlsx_bytes(report_type, rows), "xlsx"
    if fmt == "json":
        return json_bytes([{"report_type": report_type, **r} for r in rows]), "json"
    enc = {"csv_utf8": "utf-8", "csv_bom": "utf-8-sig", "csv_cp932": "cp932"}[fmt]
    return csv_bytes(report_type, [{"report_type": report_type, **r} for r in rows], encoding=enc,
                     notes=fmt == "csv_bom"), "csv"


def _damage(rng: random.Random, scale: float, unknown: bool) -> dict:
    def n(k: float) -> int:
        return int(rng.random() * k * scale)

    items = {
        "form_part": "その2", "disaster_name": DISASTER_NAME, "dead": n(2), "missing": n(2),
        "injured_serious": n(4), "injured_minor": n(12), "zenkai_buildings": n(6), "hankai_buildings": n(15),
        "ichibu_hason_buildings": n(80), "yukaue_shinsui_buildings": n(40), "yukashita_shinsui_buildings": n(90),
        "roads": n(20), "landslides": n(10), "power_outage_households": n(3000), "water_outage_households": n(800),
        "evac_order_level": str(rng.choice((3, 4, 4, 5))), "shelters_open": 1 + n(8), "evacuees": n(900),
        "hq_type": "対策本部", "hq_status": "設置",
    }
    for k in ("zenkai", "hankai", "yukaue_shinsui"):
        items[f"{k}_households"] = items[f"{k}_buildings"]
        items[f"{k}_persons"] = int(items[f"{k}_buildings"] * 2.3)
    items["affected_households"] = sum(items[f"{k}_households"] for k in ("zenkai", "hankai", "yukaue_shinsui"))
    items["affected_persons"] = sum(items[f"{k}_persons"] for k in ("zenkai", "hankai", "yukaue_shinsui"))
    if unknown:
        for k in ("missing", "injured_minor", "water_outage_households"):
            items[k] = "未確認"
    return items


def _envelope(lg: str, subject: str, as_of: datetime, seq: int, rid: str, **kw: object) -> dict:
    return {"report_id": rid, "lg_code": lg, "reporter_lg_code": kw.pop("reporter", lg), "subject_key": subject,
            "as_of": as_of, "submitted_at": kw.pop("submitted_at", as_of + timedelta(minutes=5)),
            "sequence_no": seq, "phase": kw.pop("phase", "速報"), "control": kw.pop("control", "正規"),
            "update_type": kw.pop("update_type", "新規" if seq == 1 else "更新"), **kw}


def disaster(intake: Intake, lg_codes: list[str]) -> dict:
    """The typhoon: damage and shelter reports with every special case; returns the scenario summary."""
    rng = intake.rng
    by_pref: dict[str, list[str]] = {}
    for c in lg_codes:
        by_pref.setdefault(c[:2], []).append(c)
    affected: list[str] = []
    silent: list[str] = []
    cases: dict[str, list[str]] = {k: [] for k in (
        "correction", "cumulative_decrease", "late_out_of_order", "duplicate", "withdrawn", "proxy", "training")}
    # a 訓練 (exercise) report a week before the storm
    drill_lg = rng.choice(by_pref.get("46", lg_codes))
    drill_at = TRIGGER - timedelta(days=7)
    intake.submit("disaster_damage", [_envelope(drill_lg, DISASTER_ID, drill_at, 1, intake.rid(), control="訓練")
                                      | _damage(rng, 5, False)], drill_at + timedelta(minutes=20), "training")
    cases["training"].append(drill_lg)
    for pref, hours in TRACK:
        pool = sorted(by_pref.get(pref, []))
        chosen = sorted(rng.sample(pool, min(len(pool), 6)))
        landfall = TRIGGER + timedelta(hours=hours)
        for i, lg in enumerate(chosen):
            affected.append(lg)
            if i == len(chosen) - 1:
                silent.append(lg)
                if pref == "43":  # the prefecture proxy-enters for one silent municipality
                    as_of = landfall + timedelta(hours=3)
                    row = _envelope(lg, DISASTER_ID, as_of, 1, intake.rid(), reporter=prefecture_code(lg))
                    intake.submit("disaster_damage", [row | _damage(rng, 1, True)], as_of + timedelta(minutes=40),
                                  "proxy")
                    cases["proxy"].append(lg)
                continue
            _municipality_reports(intake, lg, landfall, i, cases)
    return {"disaster_id": DISASTER_ID, "trigger": TRIGGER.isoformat(), "affected": affected,
            "silent": [s for s in silent if s not in cases["proxy"]], "cases": cases}


def _municipality_reports(intake: Intake, lg: str, landfall: datetime, i: int, cases: dict) -> None:
    rng = intake.rng
    first_at = landfall + timedelta(minutes=rng.randint(10, 50))
    first = _envelope(lg, DISASTER_ID, first_at, 1, intake.rid()) | _damage(rng, 0.5, True)
    e1 = intake.submit("disaster_damage", [first], first_at + timedelta(minutes=rng.randint(3, 25)), "first")
    if i % 3 == 0:
        intake.resend(e1, first_at + timedelta(minutes=40))
        cases["duplicate"].append(lg)
    second_at = first_at + timedelta(hours=3)
    second = _envelope(lg, DISASTER_ID, second_at, 2, intake.rid()) | _damage(rng, 1.5, False)
    third_at = second_at + timedelta(hours=3)
    third = _envelope(lg, DISASTER_ID, third_at, 3, intake.rid()) | _damage(rng, 2.5, False)
    if i == 1:  # late: seq 3 arrives before seq 2 (out of order), seq 2 a day late
        intake.submit("disaster_damage", [third], third_at + timedelta(minutes=15), "update")
        intake.submit("disaster_damage", [second], second_at + timedelta(days=1), "late")
        cases["late_out_of_order"].append(lg)
    else:
        intake.submit("disaster_damage", [second], second_at + timedelta(minutes=12), "update")
        intake.submit("disaster_damage", [third], third_at + timedelta(minutes=12), "update")
    if i == 2:  # 訂正 of the third report: duplicates removed, so a cumulative count falls
        fix = dict(third, report_id=intake.rid(), sequence_no=4, control="訂正", update_type="更新",
                   supersedes_report_id=third["report_id"], injured_minor=max(0, int(third["injured_minor"]) - 3),
                   ichibu_hason_buildings=max(0, int(third["ichibu_hason_buildings"]) - 5))
        intake.submit("disaster_damage", [fix], third_at + timedelta(hours=2), "correction")
        cases["correction"].append(lg)
        cases["cumulative_decrease"].append(lg)
    if i == 3:  # a report on the wrong as_of, then withdrawn (取消)
        wrong_at = third_at + timedelta(hours=1)
        wrong = _envelope(lg, DISASTER_ID, wrong_at, 4, intake.rid()) | _damage(rng, 9, False)
        intake.submit("disaster_damage", [wrong], wrong_at + timedelta(minutes=10), "first")
        withdraw = dict(wrong, report_id=intake.rid(), sequence_no=5, update_type="取消",
                        supersedes_report_id=wrong["report_id"])
        intake.submit("disaster_damage", [withdraw], wrong_at + timedelta(minutes=50), "withdrawn")
        cases["withdrawn"].append(lg)
    _shelters(intake, lg, first_at)


def _shelters(intake: Intake, lg: str, opened: datetime) -> None:
    rng = intake.rng
    rows_open, rows_close = [], []
    for k in range(1, rng.randint(1, 3) + 1):
        sid = f"{lg}-{k:03d}"
        cap = rng.choice((80, 150, 300, 500))
        base = {"disaster_id": DISASTER_ID, "shelter_id": sid, "shelter_name": f"第{k}避難所",
                "shelter_kind": rng.choice(("指定避難所", "指定避難所", "福祉避難所")),
                "latitude": round(31 + rng.random() * 4, 6), "longitude": round(130 + rng.random() * 5, 6),
                "capacity": cap, "opened_at": opened}
        ev = rng.randint(0, int(cap * 1.1))
        as_of = opened + timedelta(hours=2)
        rows_open.append(_envelope(lg, f"{DISASTER_ID}/{sid}", as_of, 1, intake.rid()) | base | {
            "open_status": "開設", "evacuees": ev, "evacuees_voluntary": ev // 3, "households": ev // 2,
            "crowding": "定員一杯" if ev >= cap else "空き", "vulnerable_care_level3": rng.randint(0, 5),
            "vulnerable_infants": "未確認", "power_ok": rng.random() > 0.3, "water_ok": rng.random() > 0.2})
        close_at = opened + timedelta(days=2)
        rows_close.append(_envelope(lg, f"{DISASTER_ID}/{sid}", close_at, 2, intake.rid()) | base | {
            "open_status": "閉鎖", "closed_at": close_at, "evacuees": 0, "households": 0, "crowding": "空き"})
    intake.submit("shelter_status", rows_open, opened + timedelta(hours=2, minutes=20), "shelter")
    intake.submit("shelter_status", rows_close, opened + timedelta(days=2, minutes=30), "shelter")


def monthly(intake: Intake, lg_codes: list[str], prefectures: set[str] | None, limit: int | None = None) -> None:
    """Population (Sept + Oct 2026, by the prefecture), migration status and cost for every municipality."""
    rng = intake.rng
    chosen = [c for c in lg_codes if prefectures is None or c[:2] in prefectures][:limit]
    by_pref: dict[str, list[str]] = {}
    for c in chosen:
        by_pref.setdefault(c[:2], []).append(c)
    prev: dict[str, dict] = {}
    for ym, as_of in (("2026-09", datetime(2026, 9, 1, tzinfo=JST)), ("2026-10", datetime(2026, 10, 1, tzinfo=JST))):
        for pref, codes in sorted(by_pref.items()):
            rows = []
            for lg in codes:
                row = _envelope(lg, ym, as_of, 1, intake.rid(), reporter=prefecture_code(lg), phase="確定",
                                submitted_at=as_of + timedelta(days=5)) | {"year_month": ym}
                for cls, base in (("jp", 20000), ("foreign", 600)):
                    before = prev.get(lg, {}).get(cls)
                    flows = {m: rng.randint(0, base // 200) for m in (
                        "births", "deaths", "in_migration", "out_migration", "other_increase", "other_decrease")}
                    if before is None:
                        total = rng.randint(base // 10, base * 5)
                    else:
                        total = (before + flows["births"] - flows["deaths"] + flows["in_migration"]
                                 - flows["out_migration"] + flows["other_increase"] - flows["other_decrease"])
                        if rng.random() < 0.02:
                            total += rng.randint(1, 9)  # a residual the balance identity flags
                    male = total // 2 + rng.randint(-total // 50, total // 50)
                    row |= {f"{cls}_pop_male": male, f"{cls}_pop_female": total - male, f"{cls}_pop_total": total,
                            f"{cls}_households": int(total / 2.2)} | {f"{cls}_{k}": v for k, v in flows.items()}
                    prev.setdefault(lg, {})[cls] = total
                for m in ("pop_male", "pop_female", "pop_total", "households", "births", "deaths", "in_migration",
                          "out_migration", "other_increase", "other_decrease"):
                    row[f"all_{m}"] = row[f"jp_{m}"] + row[f"foreign_{m}"]
                rows.append(row)
            fmt = rng.choice(("csv_cp932", "csv_bom", "xlsx"))
            intake.submit("population_monthly", rows, as_of + timedelta(days=6, hours=rng.randint(0, 48)),
                          "monthly", fmt=fmt, name=f"population_{ym}_{pref}.{'xlsx' if fmt == 'xlsx' else 'csv'}")
    survey = datetime(2026, 10, 31, tzinfo=JST)
    for lg in chosen:
        difficult = rng.random() < 0.09
        mig, cost = [], []
        for code in BUSINESS.codes:
            done = rng.randint(10, MIGRATION_STEP_COUNT) if not difficult else rng.randint(0, 20)
            steps = {f"step_{s:02d}": "完了済み" if s <= done else ("作業中" if s <= done + 3 else "未着手")
                     for s in range(1, MIGRATION_STEP_COUNT + 1)}
            if rng.random() < 0.05:
                steps["step_07"] = "対象外"
            mig.append(_envelope(lg, code, survey, 1, intake.rid(), phase="確定") | steps | {
                "business_code": code, "on_gov_cloud": done > 30, "difficult_system": difficult})
            cost.append(_envelope(lg, f"2026/{code}", survey, 1, intake.rid(), phase="確定") | {
                "fiscal_year": 2026, "business_code": code, "annual_operating_cost_yen": rng.randint(1, 400) * 100_000,
                "shared_saas": rng.random() < 0.2, "vendor": rng.choice(("A社", "B社", "C社", "未確認")),
                "on_gov_cloud": done > 30})
        at = survey + timedelta(days=rng.randint(1, 9), minutes=rng.randint(0, 600))
        intake.submit("system_migration", mig, at, "monthly", fmt=rng.choice(("csv_utf8", "csv_cp932", "json")))
        intake.submit("system_cost", cost, at + timedelta(minutes=3), "monthly", fmt=rng.choice(("csv_bom", "json")))


def generate(out: Path, seed: int, lg_codes: list[str] | None = None,
             monthly_prefectures: set[str] | None = None, monthly_limit: int | None = None) -> dict:
    """Write the whole scenario under ``out``; returns the summary (also written to scenario.json)."""
    codes = sorted(lg_codes if lg_codes is not None else load_lg_codes())
    (out / "files").mkdir(parents=True, exist_ok=True)
    intake = Intake(out, random.Random(seed))
    summary = disaster(intake, codes)
    monthly(intake, codes, monthly_prefectures, monthly_limit)
    intake.arrivals.sort(key=lambda a: (a["received_at"], a["file"]))
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for a in intake.arrivals:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    summary |= {"seed": seed, "municipalities": len(codes), "arrivals": len(intake.arrivals),
                "monthly_prefectures": sorted(monthly_prefectures) if monthly_prefectures else "all"}
    (out / "scenario.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--lg-codes", type=Path, help="file with one lg_code per line (default: the 総務省 xls)")
    p.add_argument("--monthly-prefectures", help="comma-separated prefecture numbers for monthly reports")
    a = p.parse_args(argv)
    codes = a.lg_codes.read_text().split() if a.lg_codes else None
    prefs = set(a.monthly_prefectures.split(",")) if a.monthly_prefectures else None
    s = generate(a.out, a.seed, codes, prefs)
    print(f"wrote {s['arrivals']} arrivals for {s['municipalities']} municipalities to {a.out}")


if __name__ == "__main__":
    main()
