"""Bytes -> header + rows for each accepted format (CSV, XLSX, JSON). No type conversion here.

CSV: UTF-8 with or without BOM, or CP932 (Excel's "CSV" in Japan); detected by trying strict UTF-8 first,
then CP932 (Python's codec, never DuckDB's ``encodings`` extension). Lines whose first cell starts with ``#``
are comments (the template's notes row). XLSX: the data sheet is the one sheet not named 説明 / コード表;
further sheets or merged cells in the data sheet are refused with a clear message.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from registries.errors import SourceError
from registries.reports.safety import check_zip

NOTES_SHEET = "説明"
CODES_SHEET = "コード表"
AUX_SHEETS = (NOTES_SHEET, CODES_SHEET)


@dataclass(frozen=True)
class Table:
    """header (as in the file) and rows (record number, values aligned with header)."""

    header: list[str]
    rows: list[tuple[int, list[object]]]
    encoding: str


def decode_csv(data: bytes, file: str) -> tuple[str, str]:
    """Return (text, encoding name) for CSV bytes; SourceError(rule='encoding') when neither codec fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(file, "CSV is UTF-16; save it as UTF-8 or Shift_JIS (CP932)", rule="encoding")
    else:
        enc = "utf-8"
    for codec in (enc, "cp932"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise SourceError(file, "CSV is neither UTF-8 nor Shift_JIS (CP932)", rule="encoding")


def read_csv(data: bytes, file: str) -> Table:
    text, enc = decode_csv(data, file)
    if "\x00" in text:
        raise SourceError(file, "CSV contains NUL characters (binary or UTF-16 data?)", rule="encoding")
    header: list[str] | None = None
    rows: list[tuple[int, list[object]]] = []
    n = 0
    # strict: a quote never closed is an error, not a cell that swallows the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit, a NUL, a broken quote
            raise SourceError(file, f"CSV record {n + 1} cannot be read: {exc}", rule="csv_syntax", row=n + 1
                              ) from None
        if not values or all(v.strip() == "" for v in values):
            continue
        if values[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = values
            continue
        n += 1
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            raise SourceError(file, f"row has {len(values)} cells but the header has {len(header)}",
                              rule="column_count", row=n)
        rows.append((n, list(values[: len(header)]) + [""] * (len(header) - len(values))))
    if header is None:
        raise SourceError(file, "no header row", rule="empty")
    return Table(header, rows, enc)


def read_xlsx(data: bytes, file: str) -> Table:
    check_zip(data, file)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)  # formulas as formulas: refused below
    except Exception as exc:  # openpyxl raises many types for broken packages
        raise SourceError(file, f"cannot open XLSX: {exc}", rule="not_xlsx") from None
    data_sheets = [ws for ws in wb.worksheets if ws.title not in AUX_SHEETS]
    if len(data_sheets) != 1:
        names = ", ".join(ws.title for ws in data_sheets) or "(none)"
        raise SourceError(
            file, f"expected exactly one data sheet besides {'/'.join(AUX_SHEETS)}, found: {names}; "
                  "remove the extra sheets", rule="extra_sheet")
    ws = data_sheets[0]
    if ws.merged_cells.ranges:
        ranges = ", ".join(str(r) for r in ws.merged_cells.ranges)
        raise SourceError(file, f"sheet {ws.title!r} has merged cells ({ranges}); unmerge them: one value per cell",
                          rule="merged_cells")
    for line in ws.iter_rows():
        for cell in line:
            if cell.data_type == "f":
                raise SourceError(file, f"cell {cell.coordinate} holds a formula; formulas are refused: paste the "
                                        "values only", rule="formula_cell", column=cell.coordinate,
                                  value=str(cell.value)[:80])
    header: list[str] | None = None
    rows: list[tuple[int, list[object]]] = []
    n = 0
    for values in ws.iter_rows(values_only=True):
        cells = list(values)
        if not cells or all(v is None or str(v).strip() == "" for v in cells):
            continue
        if isinstance(cells[0], str) and cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
                cells.pop()
            header = ["" if v is None else str(v) for v in cells]
            continue
        n += 1
        extra = cells[len(header):]
        if any(v is not None and str(v).strip() for v in extra):
            raise SourceError(file, "row has values beyond the last header column", rule="column_count", row=n)
        rows.append((n, cells[: len(header)] + [None] * (len(header) - len(cells))))
    if header is None:
        raise SourceError(file, f"sheet {ws.title!r} has no header row", rule="empty")
    return Table(header, rows, "xlsx")


def read_json(data: bytes, file: str) -> list[tuple[int, dict]]:
    """One report object or a list of them; ``items``/``field_status`` may be nested or flat."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError(file, "JSON must be UTF-8", rule="encoding") from None
    except json.JSONDecodeError as exc:
        raise SourceError(file, f"invalid JSON: {exc}", rule="json_syntax") from None
    except RecursionError:
        raise SourceError(file, "JSON is nested too deeply (a report is an object of fields, at most a few "
                                "levels deep)", rule="json_depth") from None
    records = doc if isinstance(doc, list) else [doc]
    out: list[tuple[int, dict]] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise SourceError(file, "each report must be a JSON object", rule="json_shape", row=i)
        out.append((i, rec))
    if not out:
        raise SourceError(file, "no reports in JSON", rule="empty")
    return out
