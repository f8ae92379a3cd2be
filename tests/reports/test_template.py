import io
from datetime import UTC, datetime

import pytest
from reports_testkit import KUMAMOTO_CITY, RECEIVED

from registries.reports.fields import REPORT_TYPES, input_columns, item_columns
from registries.reports.parse import parse
from registries.reports.template import template_bytes, write_template

AS_OF = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)


def _example(rt: str) -> dict:
    """A row with a value of the right kind in every column, plus an 未確認 and a '-'."""
    row: dict[str, object] = {}
    for i, col in enumerate(input_columns(rt)):
        if col.codes is not None:
            row[col.name] = sorted(col.codes.codes)[i % len(col.codes.codes)]
        elif col.type in ("int32", "int64"):
            row[col.name] = 2020 + i if col.name == "fiscal_year" else 1000 + i
        elif col.type == "double":
            row[col.name] = 35.5 if col.name in ("latitude", "longitude") else 1.25
            if col.name == "longitude":
                row[col.name] = 135.5
        elif col.type == "bool":
            row[col.name] = i % 2 == 0
        elif col.type == "timestamp":
            row[col.name] = AS_OF
        elif col.type == "date":
            row[col.name] = datetime(2027, 3, 31).date()
        else:
            row[col.name] = f"値{i}"
    row.update(report_type=rt, lg_code=KUMAMOTO_CITY, reporter_lg_code=KUMAMOTO_CITY, sequence_no=2,
               schema_version="1.0.0", report_id="r-1", supersedes_report_id="r-0", year_month="2026-09",
               subject_key="k")
    keys = {"year_month", "business_code", "fiscal_year", "disaster_id", "shelter_id"}
    numeric = [c.name for c in item_columns(rt) if c.codes is None and c.name not in keys]
    row[numeric[0]] = "未確認"
    row[numeric[1]] = "-"
    return row


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("rt", REPORT_TYPES)
def test_template_round_trip(rt, fmt, tmp_path):
    row = _example(rt)
    path = write_template(rt, fmt, tmp_path / f"t.{fmt}", rows=[row])
    (sub,) = parse(path.read_bytes(), path.name, received_at=RECEIVED)
    assert not sub.problems
    for col in input_columns(rt):
        got = sub.get(col.name)
        want = row[col.name]
        if want in ("未確認", "-"):
            assert got is None
            assert sub.field_status[col.name] == ("未確認" if want == "未確認" else "not_applicable")
        else:
            assert got == want, col.name
    # the empty template parses to no reports
    empty = write_template(rt, fmt, tmp_path / f"e.{fmt}")
    assert parse(empty.read_bytes(), empty.name, received_at=RECEIVED) == []


def test_csv_template_has_japanese_header_and_comment_notes_row():
    text = template_bytes("disaster_damage", "csv").decode("utf-8-sig").splitlines()
    assert text[0].startswith("報告ID,報告種別,") and "死者(人)" in text[0]
    assert text[1].startswith("# ") and "未確認" in text[1]
    assert template_bytes("disaster_damage", "csv").startswith(b"\xef\xbb\xbf")


def test_xlsx_template_has_notes_sheet_and_list_validations():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template_bytes("shelter_status", "xlsx")))
    assert "説明" in wb.sheetnames and wb.worksheets[0].title == "shelter_status"
    notes = [r for r in wb["説明"].iter_rows(values_only=True)]
    assert any(r[1] == "開設状況" and "開設" in r[3] for r in notes)
    formulas = [dv.formula1 for dv in wb.worksheets[0].data_validations.dataValidation]
    assert any("コード表" in f for f in formulas) and any("はい,いいえ" in f for f in formulas)


def test_unknown_template_type_or_format():
    with pytest.raises(ValueError):
        template_bytes("nope", "csv")
    with pytest.raises(ValueError):
        template_bytes("system_cost", "ods")
