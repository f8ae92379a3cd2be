"""Write report rows in the intake formats (CSV UTF-8 / CP932, XLSX from the template, JSON).

Used by the template writer and the scenario generator. Row values: typed Python values (timestamps as aware
datetimes are written in JST), or the markers ``未確認`` / ``-`` as strings; None is written blank.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

from registries.reports import fields
from registries.reports.cells import JST
from schemas.contract import Column

_TYPE_JA = {"string": "文字列", "int32": "整数", "int64": "整数", "double": "数値", "bool": "はい/いいえ",
            "date": "日付 (YYYY-MM-DD)", "timestamp": "日時 (YYYY-MM-DD HH:MM, 日本時間)", "json": "JSON"}
_REQUIRED = {"lg_code": "必須", "as_of": "必須", "subject_key": "必須 (種別により自動)"}


def note(col: Column) -> str:
    """One-line explanation of a template column (type, unit/meaning, allowed values, markers)."""
    parts = [_TYPE_JA[col.type], col.en]
    if col.name in _REQUIRED:
        parts.insert(0, _REQUIRED[col.name])
    elif col.name in fields.ENVELOPE_DEFAULTS:
        parts.append(f"空欄は {fields.ENVELOPE_DEFAULTS[col.name]}")
    if col.codes is not None:
        parts.append("値: " + " / ".join(col.codes.codes))
    if col.type in ("int32", "int64", "double") and col.min_value == 0:
        parts.append("0以上; 不明は 未確認、該当なしは -、空欄は未記入 (0 と扱わない)")
    return "; ".join(parts).replace(",", "、")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        local = value.astimezone(JST) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_bytes(report_type: str, rows: Sequence[dict], *, encoding: str = "utf-8", notes: bool = True,
              header: str = "ja") -> bytes:
    """CSV: Japanese (or English) header, optional '#' notes row, then rows. encoding 'utf-8-sig' adds a BOM."""
    cols = fields.input_columns(report_type)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.ja if header == "ja" else c.name for c in cols])
    if notes:
        w.writerow(["# " + note(cols[0]), *(note(c) for c in cols[1:])])
    for row in rows:
        w.writerow([cell_text(row.get(c.name)) for c in cols])
    return buf.getvalue().encode(encoding)


def _xlsx_value(value: object) -> object:
    if isinstance(value, datetime):
        return (value.astimezone(JST) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return value


def xlsx_bytes(report_type: str, rows: Sequence[dict]) -> bytes:
    """XLSX from the template: data sheet (header row), 説明 notes sheet, コード表 + list validation."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from registries.reports.readers import CODES_SHEET, NOTES_SHEET

    cols = fields.input_columns(report_type)
    wb = Workbook()
    ws = wb.active
    ws.title = report_type
    ws.append([c.ja for c in cols])
    codes = wb.create_sheet(CODES_SHEET)
    notes_ws = wb.create_sheet(NOTES_SHEET)
    notes_ws.append(["列", "項目名", "列名 (英語)", "説明"])
    table_col: dict[str, str] = {}
    last = len(rows) + 200
    for i, c in enumerate(cols, start=1):
        letter = get_column_letter(i)
        notes_ws.append([letter, c.ja, c.name, note(c)])
        if c.name.endswith("lg_code"):
            for row in range(2, last + 1):
                ws.cell(row=row, column=i).number_format = "@"
        if c.type == "bool":
            dv = DataValidation(type="list", formula1='"はい,いいえ,未確認,-"', allow_blank=True)
        elif c.codes is not None:
            if c.codes.name not in table_col:
                k = len(table_col) + 1
                table_col[c.codes.name] = get_column_letter(k)
                values = list(c.codes.codes.values()) if all(x.isdigit() for x in c.codes.codes) else list(c.codes.codes)
                codes.cell(row=1, column=k, value=c.codes.ja)
                for r, v in enumerate(values, start=2):
                    codes.cell(row=r, column=k, value=v)
                codes.cell(row=len(values) + 2, column=k, value="未確認")
            k_letter = table_col[c.codes.name]
            n = len(c.codes.codes) + 2
            dv = DataValidation(type="list", formula1=f"'{CODES_SHEET}'!${k_letter}$2:${k_letter}${n}",
                                allow_blank=True)
        else:
            continue
        dv.error = f"{c.ja}: 一覧から選んでください"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{last}")
    codes.sheet_state = "hidden"
    for row in rows:
        ws.append([_xlsx_value(row.get(c.name)) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible_zip(buf.getvalue())


_FIXED_STAMP = "2026-01-01T00:00:00Z"


def _reproducible_zip(data: bytes) -> bytes:
    """Re-pack the XLSX with fixed member times and document dates, so equal input gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + _FIXED_STAMP.encode(), body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def json_bytes(rows: Sequence[dict]) -> bytes:
    """JSON list of report objects (timestamps ISO 8601 with offset)."""
    def enc(v: object) -> object:
        return v.isoformat() if isinstance(v, datetime | date) else v
    doc = [{k: enc(v) for k, v in row.items()} for row in rows]
    return json.dumps(doc if len(doc) != 1 else doc[0], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
