"""Writers of a national :class:`~kiban.national_report.report.Report`: CSV, print-ready XLSX, HTML and PDF.

XLSX layout (the cells the form puts things in; ``layout()`` gives them for a report):

- ``A1``: title; ``A2``.. : the header block, label in column A, value in column B (merged across);
- one blank row, then the table header, then one row per item: 区分 / 項目 / 単位 in A-C, 全国 in D, then the
  prefectures (disaster report); 都道府県コード / 都道府県 in A-B, then the figures (migration report).

Printing: A3 landscape, fitted to the page width, borders, the table header and the label columns repeated on
every page (print titles) and frozen on screen. HTML is self-contained (no external resource) with the same
page setup in CSS; the PDF is that HTML printed by headless Chromium (Debian's ``chromium``; ``KIBAN_CHROMIUM``
overrides the executable).
"""

from __future__ import annotations

import csv
import html
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kiban.national_report.report import Report

FORMATS = (".csv", ".xlsx", ".html", ".pdf")
NOT_KNOWN = "—"


class RendererMissing(RuntimeError):
    """The PDF renderer (headless Chromium) is not installed."""


@dataclass(frozen=True)
class Layout:
    """Where a report's parts are in the XLSX (1-based rows)."""

    title_row: int
    header_rows: dict[str, int]
    table_header_row: int

    @property
    def first_item_row(self) -> int:
        return self.table_header_row + 1


def layout(report: Report) -> Layout:
    rows = {label: 2 + i for i, (label, _) in enumerate(report.header)}
    return Layout(1, rows, 2 + len(report.header) + 1)


def _cell(v: object) -> object:
    return "" if v is None else v


def to_csv(report: Report) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8): title, header block, blank line, table."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([report.title])
    w.writerows([list(h) for h in report.header])
    w.writerow([])
    w.writerow(report.columns)
    w.writerows([[_cell(v) for v in r] for r in report.rows])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    lay = layout(report)
    wb = Workbook()
    ws = wb.active
    ws.title = "第4号様式(その2)" if report.kind == "disaster" else "移行状況"
    ncols = len(report.columns)
    last = get_column_letter(ncols)
    ws.cell(lay.title_row, 1, report.title).font = Font(bold=True, size=14)
    ws.merge_cells(f"A{lay.title_row}:{last}{lay.title_row}")
    for label, row in lay.header_rows.items():
        ws.cell(row, 1, label).font = Font(bold=True)
        ws.cell(row, 2, report.value(label))
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=min(ncols, 30))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E9EDF2")
    for j, name in enumerate(report.columns, start=1):
        c = ws.cell(lay.table_header_row, j, name)
        c.font, c.fill, c.border = Font(bold=True), head_fill, border
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[lay.table_header_row].height = 48 if report.kind == "migration" else 30
    for i, row in enumerate(report.rows):
        r = lay.first_item_row + i
        for j, v in enumerate(row, start=1):
            c = ws.cell(r, j, v)
            c.border = border
            if j > report.label_columns:
                c.number_format = "#,##0.0" if isinstance(v, float) else "#,##0"
                c.alignment = Alignment(horizontal="right")
                if v is None:
                    c.value = NOT_KNOWN
            elif report.kind == "disaster" and j <= 2 and i > 0 and report.rows[i - 1][:j] == row[:j]:
                c.font = Font(color="A0A0A0")  # a repeated block or item name (全壊: 棟, 世帯, 人) is greyed
    widths = [10, 28, 6] if report.kind == "disaster" else [8, 10]
    for j in range(1, ncols + 1):
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1] if j <= len(widths) else 9
    ws.freeze_panes = ws.cell(lay.first_item_row, report.label_columns + 1)
    ws.print_title_rows = f"{lay.table_header_row}:{lay.table_header_row}"
    ws.print_title_cols = f"A:{get_column_letter(report.label_columns)}"
    ws.print_area = f"A1:{last}{lay.first_item_row + len(report.rows) - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "&P / &N"
    ws.oddHeader.right.text = report.header[0][1] if report.kind == "disaster" else report.title
    wb.save(out)


_CSS = """
@page { size: A3 landscape; margin: 8mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", sans-serif; color: #111;
  margin: 0; font-size: 9pt; }
h1 { font-size: 14pt; margin: 0 0 3mm; }
table.head { border-collapse: collapse; margin-bottom: 3mm; }
table.head th { text-align: left; padding: 0.6mm 3mm 0.6mm 0; white-space: nowrap; }
table.head td { padding: 0.6mm 0; }
table.form { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.form th, table.form td { border: 0.2mm solid #555; padding: 0.4mm 0.6mm; }
table.form thead th { background: #e9edf2; font-weight: bold; text-align: center; vertical-align: bottom; }
table.form thead th.area { writing-mode: vertical-rl; height: 16mm; white-space: nowrap; }
table.form td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.form td.l { white-space: nowrap; overflow: hidden; }
table.form tr.first td { border-top: 0.5mm solid #111; }
table.form td.total, table.form th.total { background: #fff7e0; font-weight: bold; }
tr { break-inside: avoid; }
p.note { font-size: 7pt; color: #444; margin: 2mm 0 0; }
"""


def _fmt(v: object) -> str:
    if v is None:
        return NOT_KNOWN
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def printed_columns(report: Report) -> tuple[list[int], list[str]]:
    """(column indexes to print, prefectures left out): the disaster report prints 全国 and the prefectures with
    at least one reporting municipality (all of them when none has one); XLSX and CSV keep all 47."""
    cols = list(range(len(report.columns)))
    if report.kind != "disaster":
        return cols, []
    reporting = next(r for r in report.rows if r[1] == "報告市区町村数")
    first = report.label_columns + 1  # the first prefecture (after 全国)
    silent = [j for j in range(first, len(cols)) if not reporting[j]]
    if len(silent) == len(cols) - first:
        return cols, []
    return [j for j in cols if j not in silent], [report.columns[j] for j in silent]


def to_html(report: Report) -> str:
    e = html.escape
    cols, left_out = printed_columns(report)
    figures = len(cols) - report.label_columns
    size = "8.5pt" if figures <= 16 else "6.5pt" if figures <= 32 else "5.5pt"
    label_w = {"disaster": ("15mm", "26mm", "8mm"), "migration": ("10mm", "14mm")}[report.kind]
    widths = "".join(f'<col style="width:{w}">' for w in label_w)
    widths += '<col style="width:{}">'.format("22mm" if figures > 16 else "26mm") if report.kind == "disaster" else ""
    area = report.kind == "disaster" and figures > 16  # many prefectures: names run vertically
    head = "".join(f'<th class="{"area" if area and j > report.label_columns else ""}'
                   f'{" total" if j == report.label_columns else ""}">{e(report.columns[j])}</th>' for j in cols)
    body = []
    for i, row in enumerate(report.rows):
        first = report.kind == "disaster" and (i == 0 or report.rows[i - 1][0] != row[0])
        cells = []
        for j in cols:
            v = row[j]
            if j < report.label_columns:
                repeated = report.kind == "disaster" and j < 2 and i > 0 and report.rows[i - 1][:j + 1] == row[:j + 1]
                text = "" if repeated else _fmt(v)  # a block and an item (全壊: 棟, 世帯, 人) are named once
                cells.append(f'<td class="l">{e(text)}</td>')
            else:
                cells.append(f'<td class="n{" total" if j == report.label_columns else ""}">{e(_fmt(v))}</td>')
        body.append(f'<tr class="{"first" if first else ""}">{"".join(cells)}</tr>')
    header = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in report.header)
    note = f"{NOT_KNOWN} = 報告なし又は未確認 (0 ではない). 訓練報告は含まない. 取消・削除された報告は含まない."
    if left_out:
        note += f" 報告のない都道府県 ({len(left_out)}): {'・'.join(left_out)}."
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{e(report.title)}</title>'
            f"<style>{_CSS}table.form {{ font-size: {size}; }}</style></head><body><h1>{e(report.title)}</h1>"
            f'<table class="head">{header}</table>'
            f'<table class="form"><colgroup>{widths}</colgroup><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
            f'<p class="note">{e(note)}</p></body></html>')


def chromium() -> str:
    exe = os.environ.get("KIBAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise RendererMissing("PDF output needs headless Chromium: apt-get install chromium fonts-noto-cjk "
                              "(or set KIBAN_CHROMIUM), or write .html / .xlsx instead")
    return exe


def html_to_pdf(source: Path, out: Path, timeout: float = 120) -> None:
    """Print ``source`` (a local HTML file) to ``out`` with headless Chromium (its CSS @page sets the paper)."""
    with tempfile.TemporaryDirectory(prefix="kiban-pdf-") as profile:
        args = [chromium(), "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-extensions", f"--user-data-dir={profile}", "--no-pdf-header-footer",
                f"--print-to-pdf={out}", source.resolve().as_uri()]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"Chromium could not print {source.name} to PDF (exit {done.returncode}): "
                           + " | ".join(tail))


def write(report: Report, out: Path) -> Path:
    """Write ``report`` by the extension of ``out`` (.csv, .xlsx, .html, .pdf), atomically."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"output must end in one of {', '.join(FORMATS)}")
    tmp = out.with_name(f".{out.name}.tmp{suffix}")
    try:
        if suffix == ".csv":
            tmp.write_bytes(to_csv(report))
        elif suffix == ".xlsx":
            to_xlsx(report, tmp)
        elif suffix == ".html":
            tmp.write_text(to_html(report), encoding="utf-8")
        else:
            page = out.with_name(f".{out.name}.html")
            try:
                page.write_text(to_html(report), encoding="utf-8")
                html_to_pdf(page, tmp)
            finally:
                page.unlink(missing_ok=True)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
