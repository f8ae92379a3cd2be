import json
from datetime import datetime
from pathlib import Path

import duckdb
from reports_testkit import code, run_rules

from registries.reports.parse import parse
from registries.reports.records import versions_table
from registries.reports.scenario import TRACK, generate
from registries.reports.versions import latest_sql

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "reports"
LG = sorted(code(f"{p}{200 + k:03d}") for p in (*(t[0] for t in TRACK), "01", "13") for k in range(7))


def _master(codes):
    m = {c: (None, None, c[:2]) for c in codes}
    m |= {code(c[:2] + "000"): (None, None, c[:2]) for c in codes}
    return m


def _ingest(out: Path, codes, tmp: Path):
    """Parse every arrival but the byte-identical re-sends (the ledger's duplicates) and validate them as one
    batch with the load's own suites; returns the reports and the failing (column, check) pairs."""
    subs = []
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        if "duplicate_of" in a:
            continue
        for s in parse((out / "files" / a["file"]).read_bytes(), a["file"],
                       received_at=datetime.fromisoformat(a["received_at"])):
            s.source_row = len(subs) + 1
            subs.append(s)
    blocking, _ = run_rules(subs, _master(codes), tmp)
    return subs, blocking


def test_scenario_is_deterministic(tmp_path):
    small = [c for c in LG if c[:2] in ("46", "43", "13")]
    a = generate(tmp_path / "a", 7, small, monthly_prefectures={"13"}, monthly_limit=2)
    b = generate(tmp_path / "b", 7, small, monthly_prefectures={"13"}, monthly_limit=2)
    assert a == b
    assert (tmp_path / "a" / "manifest.jsonl").read_bytes() == (tmp_path / "b" / "manifest.jsonl").read_bytes()
    c = generate(tmp_path / "c", 8, small, monthly_prefectures={"13"}, monthly_limit=2)
    assert (tmp_path / "c" / "manifest.jsonl").read_bytes() != (tmp_path / "a" / "manifest.jsonl").read_bytes()
    assert c["municipalities"] == len(small)


def test_scenario_has_every_case_and_ingests_cleanly(tmp_path):
    s = generate(tmp_path, 3, LG, monthly_prefectures={"13"}, monthly_limit=3)
    arrivals = [json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["received_at"] for a in arrivals] == sorted(a["received_at"] for a in arrivals)
    notes = {a["note"] for a in arrivals}
    assert {"first", "update", "late", "correction", "withdrawn", "proxy", "training", "duplicate", "shelter",
            "monthly"} <= notes
    assert {a["format"] for a in arrivals} == {"csv_utf8", "csv_bom", "csv_cp932", "xlsx", "json"}
    assert all(s["cases"][k] for k in s["cases"]) and s["silent"]
    subs, blocking = _ingest(tmp_path, LG, tmp_path / "check")
    assert not blocking
    assert any(sub.field_status.get("missing") == "未確認" for sub in subs)
    con = duckdb.connect()
    con.register("report_versions", versions_table(subs, [[] for _ in subs]))
    latest = f"({latest_sql()})"
    damage_lgs = {r[0] for r in con.sql(f"SELECT lg_code FROM {latest} WHERE report_type = 'disaster_damage'").fetchall()}
    assert not damage_lgs & set(s["silent"])  # silent municipalities have no report
    assert set(s["cases"]["proxy"]) <= damage_lgs
    assert s["cases"]["training"][0] not in damage_lgs or s["cases"]["training"][0] in s["affected"]
    live = con.sql(f"SELECT DISTINCT control, update_type FROM {latest}").fetchall()
    assert live and all(c != "訓練" and u != "取消" for c, u in live)
    corrected = s["cases"]["correction"][0]
    (control,) = con.sql(f"SELECT control FROM {latest} WHERE lg_code = '{corrected}' AND report_type = "
                         "'disaster_damage' ORDER BY as_of DESC LIMIT 1").fetchone()
    assert control == "訂正"


def test_committed_sample_is_small_and_valid():
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert 0 < size < 2 * 1024 * 1024
    summary = json.loads((SAMPLE / "scenario.json").read_text(encoding="utf-8"))
    arrivals = (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert summary["arrivals"] == len(arrivals)
    for line in arrivals[:40]:
        a = json.loads(line)
        subs = parse((SAMPLE / "files" / a["file"]).read_bytes(), a["file"],
                     received_at=datetime.fromisoformat(a["received_at"]))
        assert len(subs) == a["rows"] and all(not s.problems for s in subs)
