"""``kiban report national disaster``: the 第4号様式(その2) header block, the disaster picked by --subject, the form's
items and units, a print-ready XLSX with cells where the form puts them, HTML, and a PDF printed by Chromium."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from kiban.cli import main
from kiban.national_report import DISASTER_ITEMS, build, layout

from .conftest import QUAKE, QUAKE_NAME, TYPHOON, crafted

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AT = (crafted.T1 + timedelta(hours=1)).isoformat()  # 17:00 JST on the day of the typhoon
JST_NOW = re.compile(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d時\d\d分 \(JST\)")


def run(home, *args: str) -> str:
    res = CliRunner().invoke(main, ["--home", str(home.home), "report", "national", "disaster", *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_the_xlsx_puts_the_header_block_and_the_items_where_the_form_does(home, tmp_path):
    out = tmp_path / "r.xlsx"
    run(home, "--subject", TYPHOON, "--as-of", AT, "--number", "3", "--reporter", "熊本県 危機管理防災課", "-o", str(out))
    ws = load_workbook(out)["第4号様式(その2)"]
    assert ws["A1"].value.startswith("第4号様式(その2) 被害状況即報")
    labels = [ws[f"A{r}"].value for r in range(2, 9)]
    assert labels == ["災害名", "報告番号", "報告日時", "報告者", "判明時点", "発生日時", "報告状況"]
    assert ws["B2"].value == TYPHOON and ws["B3"].value == "第3報"
    assert JST_NOW.fullmatch(ws["B4"].value) and ws["B5"].value == "熊本県 危機管理防災課"
    assert ws["B6"].value == "(2026年9月14日 17時00分 現在)"
    assert ws["B8"].value.startswith("1,741 団体中 2 団体が報告")
    assert [ws.cell(10, j).value for j in range(1, 6)] == ["区分", "項目", "単位", "全国", "北海道"]
    kumamoto = next(j for j in range(1, ws.max_column + 1) if ws.cell(10, j).value == "熊本県")
    # the form's first items, in order, with units: 死者 / 行方不明者 / 負傷者 重傷 / 軽傷 (人)
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value) for r in range(11, 15)] == [
        ("人的被害", "死者", "人"), ("人的被害", "行方不明者", "人"), ("人的被害", "負傷者 重傷", "人"),
        ("人的被害", "負傷者 軽傷", "人")]
    assert ws["D11"].value == 8 and ws.cell(11, kumamoto).value == 8
    assert ws["D12"].value == 0  # B's 未確認 is not a zero: only A's 0 is summed
    assert ws["E11"].value == "—"  # 北海道: nothing reported
    items: dict[str, int] = {}
    for r in range(11, ws.max_row + 1):
        items.setdefault(ws.cell(r, 2).value, r)  # the first row of an item (住家: 棟, then 世帯, 人)
    zenkai = items["全壊"]
    assert [ws.cell(zenkai + k, 3).value for k in range(3)] == ["棟", "世帯", "人"]
    assert [ws.cell(zenkai + k, 1).value for k in range(3)] == ["住家被害"] * 3
    assert ws.cell(items["建物"], 1).value == "火災発生" and ws.cell(items["公共建物"], 1).value == "非住家"
    assert ws.cell(items["田 冠水"], 3).value == "ha" and ws.cell(items["水道"], 3).value == "戸"
    assert ws.cell(items["災害対策本部 設置市町村数"], 4).value == 1  # A: 対策本部 設置
    assert ws.cell(items["警戒本部 設置市町村数"], 4).value == 1  # B: 警戒本部 設置
    assert ws.cell(items["報告市区町村数"], kumamoto).value == 2
    assert ws.cell(items["市区町村数 (報告すべき団体)"], 4).value == 1741
    # print-ready: A3 (paper size 8) landscape on one page width, print titles, frozen header and labels, borders
    assert ws.page_setup.paperSize == 8 and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$10:$10" and ws.print_title_cols == "$A:$C"
    assert ws.freeze_panes == "D11"
    assert ws["D11"].border.left.style == "thin" and ws["B10"].font.b
    assert ws.column_dimensions["B"].width > ws.column_dimensions["D"].width
    lay = layout(build(home, "disaster", AT, subject=TYPHOON))
    assert lay.header_rows["災害名"] == 2 and lay.table_header_row == 10


def test_subject_picks_the_disaster_and_defaults_to_the_latest(home, tmp_path):
    quake = build(home, "disaster", AT, subject=QUAKE)
    assert quake.value("災害名") == f"{QUAKE_NAME} ({QUAKE})"
    assert quake.value("発生日時") == "2026年9月14日 13時40分"
    rows = {r[1]: r for r in quake.rows}
    fukuoka = quake.columns.index("福岡県")
    assert rows["死者"][3] == 5 and rows["死者"][fukuoka] == 5 and rows["死者"][quake.columns.index("熊本県")] is None
    assert rows["田 冠水"][3] == pytest.approx(1.75)
    assert rows["報告市区町村数"][fukuoka] == 2
    # without --subject: the latest disaster (the typhoon's last report came after the quake's)
    assert build(home, "disaster", AT).value("災害名") == TYPHOON
    res = CliRunner().invoke(main, ["--home", str(home.home), "report", "national", "disaster", "--subject",
                                    "2026-flood-99", "--as-of", AT, "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "2026-flood-99" in res.output and QUAKE in res.output
    assert not (tmp_path / "x.xlsx").exists()


def test_the_items_follow_the_form_order():
    names = [c.name for c in DISASTER_ITEMS]
    assert names[:4] == ["dead", "missing", "injured_serious", "injured_minor"]
    assert names.index("zenkai_buildings") < names.index("daikibo_hankai_buildings") < names.index(
        "hankai_buildings") < names.index("yukashita_shinsui_persons") < names.index("nonres_public_buildings")
    assert names.index("affected_households") < names.index("fires_buildings") == len(names) - 3


def test_the_html_is_self_contained_and_set_up_for_a3_landscape(home, tmp_path):
    out = tmp_path / "r.html"
    run(home, "--as-of", AT, "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert "@page { size: A3 landscape" in text and "<thead>" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", text)
    assert "<th>報告番号</th><td>第1報</td>" in text and "<th>判明時点</th><td>(2026年9月14日 17時00分 現在)</td>" in text


def test_the_pdf_holds_the_header_and_the_totals(home, tmp_path):
    out = tmp_path / "r.pdf"
    run(home, "--subject", TYPHOON, "--as-of", AT, "--number", "2", "-o", str(out))
    reader = PdfReader(out)
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (420, 297)  # A3 landscape
    # NFKC: the CJK font's cmap maps some ideographs to their compatibility forms (日 -> U+2F47)
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    for expected in ("第4号様式(その2) 被害状況即報", "災害名", TYPHOON, "報告番号", "第2報", "報告日時", "報告者",
                     "Kiban 全国集計", "判明時点", "(2026年9月14日 17時00分 現在)", "1,741 団体中 2 団体が報告"):
        assert expected in text, expected
    assert JST_NOW.search(text)
    # printed: 全国 and the prefectures with a reporting municipality (熊本県); the others are named in a note
    dead = next(line for line in text.splitlines() if line.replace(" ", "").startswith("人的被害死者"))
    assert dead.split()[-2:] == ["8", "8"]
    reporters = next(line for line in text.splitlines() if "報告市区町村数" in line)
    assert reporters.split()[-2:] == ["2", "2"]
    assert "報告のない都道府県 (46)" in text.replace("\n", "")
    _render_first_page(out, ARTIFACTS / "national_report_page1.png")


def _render_first_page(pdf: Path, png: Path) -> None:
    """A PNG of page 1 for people to look at (kept in test-artifacts/)."""
    import pypdfium2

    ARTIFACTS.mkdir(exist_ok=True)
    png.unlink(missing_ok=True)
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        doc[0].render(scale=1.6).to_pil().save(png)
    finally:
        doc.close()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
