import io
import json
import zipfile

import pytest
from reports_testkit import KUMAMOTO_CITY, RECEIVED, damage_row

from registries.errors import SourceError
from registries.reports.parse import parse
from registries.reports.records import staged_table
from registries.reports.safety import safe_filename
from registries.reports.writers import csv_bytes, xlsx_bytes


def _parse(data: bytes, name: str = "r.csv", **kw):
    return parse(data, name, received_at=RECEIVED, **kw)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings_are_detected(encoding):
    data = csv_bytes("disaster_damage", [damage_row(disaster_name="令和8年台風第21号")], encoding=encoding)
    (sub,) = _parse(data)
    assert sub.items["disaster_name"] == "令和8年台風第21号"
    assert sub.items["dead"] == 1 and sub.items["missing"] is None
    assert sub.field_status["missing"] == "未確認" and sub.field_status["injured_minor"] == "not_reported"
    assert sub.envelope["as_of"].isoformat() == "2026-09-14T02:00:00+00:00"
    assert sub.envelope["reporter_lg_code"] == KUMAMOTO_CITY  # defaulted
    assert sub.envelope["control"] == "正規" and sub.envelope["phase"] == "速報"


def test_wrong_encoding_is_a_source_error():
    data = csv_bytes("disaster_damage", [damage_row()], encoding="utf-8").decode().encode("utf-16")
    with pytest.raises(SourceError) as e:
        _parse(data)
    assert e.value.rule == "encoding"
    with pytest.raises(SourceError) as e:
        _parse(b"lg_code,as_of\n\x82\xff\xfe,1\n")  # neither UTF-8 nor CP932
    assert e.value.rule == "encoding"


def test_english_headers_and_json_forms():
    data = csv_bytes("disaster_damage", [damage_row()], header="en", notes=False)
    assert _parse(data)[0].items["zenkai_buildings"] == 3
    one = {"report_type": "shelter_status", "lg_code": KUMAMOTO_CITY, "as_of": "2026-09-14T10:00:00+09:00",
           "items": {"disaster_id": "d1", "shelter_id": "s1", "evacuees": 10, "open_status": "開設"},
           "field_status": {"households": "未確認"}}
    (sub,) = _parse(json.dumps(one).encode(), "s.json")
    assert sub.envelope["subject_key"] == "d1/s1" and sub.items["evacuees"] == 10
    assert sub.field_status["households"] == "未確認" and sub.field_status["capacity"] == "not_reported"
    many = [dict(one, items={**one["items"], "shelter_id": f"s{i}"}) for i in range(3)]
    assert [s.envelope["subject_key"] for s in _parse(json.dumps(many).encode(), "s.json")] == ["d1/s0", "d1/s1", "d1/s2"]


def test_unknown_header_is_refused():
    data = csv_bytes("disaster_damage", [damage_row()], notes=False).replace("死者(人)".encode(), "死亡者数".encode())
    with pytest.raises(SourceError) as e:
        _parse(data)
    assert e.value.rule == "unknown_header" and e.value.column == "死亡者数"


def test_missing_required_header_is_refused():
    text = "報告種別,団体コード,報告対象キー,死者(人)\r\ndisaster_damage,432016,t,1\r\n"
    with pytest.raises(SourceError) as e:
        _parse(text.encode())
    assert e.value.rule == "missing_header" and "as_of" in e.value.message


def test_mixed_report_types_in_one_csv_are_refused():
    rows = [damage_row(), damage_row(report_type="shelter_status")]
    with pytest.raises(SourceError) as e:
        _parse(csv_bytes("disaster_damage", rows))
    assert e.value.rule == "mixed_report_types"


def test_non_numeric_and_negative_counts_stage_as_written():
    data = csv_bytes("disaster_damage", [damage_row(dead="三人", injured_serious=-2)])
    (sub,) = _parse(data)
    assert sub.items["dead"] is None and [p.field for p in sub.problems] == ["dead"]
    staged = staged_table([sub], "disaster_damage")
    assert staged.column("dead").to_pylist() == ["三人"]
    assert staged.column("injured_serious").to_pylist() == ["-2"]
    assert staged.column("_source_row").to_pylist() == [1]


def test_oversized_upload_is_refused():
    data = csv_bytes("disaster_damage", [damage_row()])
    with pytest.raises(SourceError) as e:
        _parse(data, max_bytes=100)
    assert e.value.rule == "too_large"


def test_xlsx_extra_sheet_is_refused():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx_bytes("disaster_damage", [damage_row()])))
    wb.create_sheet("メモ")["A1"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(SourceError) as e:
        _parse(buf.getvalue(), "r.xlsx")
    assert e.value.rule == "extra_sheet" and "メモ" in e.value.message


def test_xlsx_merged_cells_are_refused():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx_bytes("disaster_damage", [damage_row()])))
    wb.worksheets[0].merge_cells("S2:T2")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(SourceError) as e:
        _parse(buf.getvalue(), "r.xlsx")
    assert e.value.rule == "merged_cells" and "S2:T2" in e.value.message


def test_zip_bomb_is_refused_before_decompression():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(SourceError) as e:
        _parse(data, "bomb.xlsx")
    assert e.value.rule == "zip_bomb"


def test_not_a_zip_xlsx():
    with pytest.raises(SourceError) as e:
        _parse(b"PK\x03\x04garbage", "x.xlsx")
    assert e.value.rule == "not_a_zip"


def test_path_like_file_names_are_sanitised():
    assert safe_filename("../../x") == "x"
    assert safe_filename("..\\..\\windows\\a.csv") == "a.csv"
    assert safe_filename("../..") == "upload"
    (sub,) = _parse(csv_bytes("disaster_damage", [damage_row()]), "../../etc/passwd.csv")
    assert sub.envelope["source_file"] == "passwd.csv"


def test_identical_bytes_give_identical_report_ids():
    data = csv_bytes("disaster_damage", [damage_row(report_id=None), damage_row(report_id=None, sequence_no=2)])
    a, b = _parse(data), _parse(data)
    assert [s.envelope["report_id"] for s in a] == [s.envelope["report_id"] for s in b]
    assert a[0].envelope["report_id"] != a[1].envelope["report_id"]
    assert a[0].envelope["sha256"] == b[0].envelope["sha256"]


def test_received_at_must_be_aware():
    from datetime import datetime

    with pytest.raises(ValueError):
        parse(b"x", "a.csv", received_at=datetime(2026, 1, 1))
