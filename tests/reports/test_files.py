"""File intake through ``kiban reports ingest`` (the batch path of the landing sensor) and ``kiban sql``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from intake_testkit import KUMAMOTO_CITY, YATSUSHIRO

from kiban.cli import main
from registries.reports.template import template_bytes

HEADER = "報告種別,団体コード,報告対象キー,時点,報告番号 (第N報),死者(人)\n"


def _csv(rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + rows).encode(encoding)


def _xlsx(mutate) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes("disaster_damage", "xlsx", [
        {"lg_code": KUMAMOTO_CITY, "subject_key": "2026-typhoon-21", "as_of": "2026-09-14 11:00", "dead": 1}])))
    mutate(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _ingest(home, tmp_path, files: dict[str, bytes]):
    paths = []
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(str(p))
    return CliRunner().invoke(main, ["--home", str(home.home), "reports", "ingest", *paths])


def _ledger(home) -> list[dict]:
    from kiban.lake import Lake
    from kiban.load import ledger

    con = Lake(home).reader(spatial=False)
    try:
        ids = [r[0] for r in con.execute("SELECT load_id FROM loads WHERE source = 'reports'").fetchall()]
    finally:
        con.close()
    return ledger.rows(home, ids)


def test_bad_files_quarantined_with_reasons_good_ones_stored(home, tmp_path):
    good = f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,2026-09-14 11:00,1,2\n"
    ws_extra = _xlsx(lambda wb: wb.create_sheet("メモ"))
    merged = _xlsx(lambda wb: wb["disaster_damage"].merge_cells("A3:B3"))
    files = {
        "good_cp932.csv": _csv(good, encoding="cp932"),
        "utf16.csv": _csv(good, encoding="utf-16"),
        "missing_header.csv": _csv(f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,1,2\n",
                                   header="報告種別,団体コード,報告対象キー,報告番号 (第N報),死者(人)\n"),
        "wrong_header.csv": _csv(good, header=HEADER.replace("死者(人)", "死亡者数")),
        "extra_sheet.xlsx": ws_extra,
        "merged.xlsx": merged,
        "negative.csv": _csv(f"disaster_damage,{YATSUSHIRO},2026-typhoon-21,2026-09-14 11:00,1,-4\n"),
    }
    result = _ingest(home, tmp_path, files)
    assert result.exit_code == 1, result.output
    out = result.output
    for rule in ("[encoding]", "[missing_header]", "[unknown_header]", "[extra_sheet]", "[merged_cells]",
                 "[disaster_damage_counts_non_negative]"):
        assert rule in out, (rule, out)
    assert "ACCEPTED" in out and "good_cp932.csv" in out
    from kiban.archive import RawArchive

    rows = _ledger(home)
    assert len(rows) == len(files)  # every submission has its ledger row (受付票) ...
    for r in rows:
        assert RawArchive(home.raw).path_for(r["sha256"]).exists()  # ... and its raw bytes
        if r["status"] == "quarantined":
            assert r["detail"]["errors"] and (home.quarantine / r["load_id"] / "report.json").exists()
    versions = CliRunner().invoke(main, ["--home", str(home.home), "sql",
                                         "select validation_status, count(*) n from report_versions group by 1 "
                                         "order by 1", "--format", "csv"])
    assert versions.exit_code == 0
    # only accepted submissions become versions; a rejected one is its ledger row + quarantine report
    assert versions.output.strip().splitlines() == ["validation_status,n", "accepted,1"]
    latest = CliRunner().invoke(main, ["--home", str(home.home), "sql",
                                       "select lg_code, sequence_no from reports_latest", "--format", "csv"])
    assert latest.output.strip().splitlines() == ["lg_code,sequence_no", f"{KUMAMOTO_CITY},1"]


def test_all_accepted_exits_zero_and_as_known_at(home, tmp_path):
    first = _ingest(home, tmp_path, {"a.csv": _csv(
        f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,2026-09-14 11:00,1,2\n")})
    assert first.exit_code == 0, first.output
    second = _ingest(home, tmp_path, {"b.csv": _csv(
        f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,2026-09-14 11:00,2,5\n")})
    assert second.exit_code == 0, second.output
    from kiban.lake import Lake
    from registries.reports.versions import latest_sql

    con = Lake(home).reader()
    try:
        t_first = con.execute("SELECT min(received_at) FROM report_versions").fetchone()[0]
        old = con.execute(f"SELECT sequence_no FROM ({latest_sql(t_first.isoformat())})").fetchall()
        now = con.execute("SELECT sequence_no FROM reports_latest").fetchall()
    finally:
        con.close()
    assert old == [(1,)] and now == [(2,)]


def test_a_batch_names_its_data_docs_page_and_draws_it_in_the_background(home, tmp_path):
    from kiban.load.runner import settle_data_docs
    from quality.datadocs import docs_file

    result = _ingest(home, tmp_path, {
        "ok.csv": _csv(f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,2026-09-14 11:00,1,2\n"),
        "negative.csv": _csv(f"disaster_damage,{YATSUSHIRO},2026-typhoon-21,2026-09-14 11:00,1,-4\n")})
    assert result.exit_code == 1, result.output
    settle_data_docs()
    rows = {r["source_file"]: r for r in _ledger(home)}
    bad = rows["negative.csv"]
    assert bad["status"] == "quarantined"
    report = json.loads((home.quarantine / bad["load_id"] / "report.json").read_text(encoding="utf-8"))
    entry = report["validation"][0]
    assert entry["data_docs"].startswith("/quality/validations/")
    page = docs_file(home.home, entry["data_docs"])
    assert page == Path(entry["data_docs_file"]) and page.is_file()
    html = page.read_text(encoding="utf-8")
    assert "Failed" in html and "dead" in html  # the failed non-negative check of the 死者 column


def test_the_same_content_twice_in_one_batch_is_stored_once_or_refused_twice(home, tmp_path):
    good = _csv(f"disaster_damage,{KUMAMOTO_CITY},2026-typhoon-21,2026-09-14 11:00,1,2\n")
    bad = _csv(f"disaster_damage,{YATSUSHIRO},2026-typhoon-21,2026-09-14 11:00,1,-4\n")
    result = _ingest(home, tmp_path, {"a.csv": good, "a-again.csv": good, "b.csv": bad, "b-again.csv": bad})
    assert result.exit_code == 1, result.output
    rows = {r["source_file"]: r for r in _ledger(home)}
    assert rows["a.csv"]["status"] == "loaded", (result.output, rows["a.csv"]["detail"])
    assert rows["a-again.csv"]["status"] == "duplicate"
    assert rows["a-again.csv"]["duplicate_of"] == rows["a.csv"]["load_id"]
    # rejected content is not "a duplicate" of its rejected twin: both get the rejection and its reason
    for name in ("b.csv", "b-again.csv"):
        assert rows[name]["status"] == "quarantined" and rows[name]["duplicate_of"] is None, rows[name]
        assert "disaster_damage_counts_non_negative" in json.dumps(rows[name]["detail"], ensure_ascii=False)
