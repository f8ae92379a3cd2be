import csv
import io
from datetime import timedelta

from click.testing import CliRunner
from indicators_crafted import T1
from openpyxl import load_workbook

from kiban.cli import main
from kiban.national_report import DISASTER_ITEMS, build
from schemas.reports import BUSINESS, DISASTER_DAMAGE_ITEMS


def test_disaster_items_follow_the_official_order():
    order = [c.name for c in DISASTER_DAMAGE_ITEMS]
    names = [c.name for c in DISASTER_ITEMS]
    assert names == sorted(names, key=order.index)
    assert names[:4] == ["dead", "missing", "injured_serious", "injured_minor"]
    assert names.index("zenkai_buildings") < names.index("hankai_buildings") < names.index("affected_households")


def test_disaster_csv_has_coverage_line_and_prefecture_columns(lake_home, tmp_path):
    out = tmp_path / "d.csv"
    at = (T1 + timedelta(hours=1)).isoformat()
    res = CliRunner().invoke(main, ["--home", str(lake_home.home), "report", "national", "disaster", "--as-of", at,
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0].startswith("第4号様式(その2)")
    assert [r[0] for r in rows[1:8]] == ["災害名", "報告番号", "報告日時", "報告者", "判明時点", "発生日時", "報告状況"]
    assert rows[7][1] == ("1,741 団体中 2 団体が報告 / "
                          "2 of 1741 municipalities reported; oldest as_of 2026-09-14T03:00:00+00:00")
    header = rows[9]
    assert header[:4] == ["区分", "項目", "単位", "全国"] and header[4] == "北海道" and len(header) == 4 + 47
    table = {r[1]: r for r in rows[10:]}
    assert table["死者"][3] == "8" and table["死者"][header.index("熊本県")] == "8"
    assert table["行方不明者"][3] == "0"  # B's 未確認 is not a zero: only A's 0 is summed
    assert [r[1] for r in rows[10:14]] == ["死者", "行方不明者", "負傷者 重傷", "負傷者 軽傷"]
    assert table["報告市区町村数"][header.index("熊本県")] == "2"


def test_migration_xlsx(lake_home, tmp_path):
    out = tmp_path / "m.xlsx"
    res = CliRunner().invoke(main, ["--home", str(lake_home.home), "report", "national", "migration", "-o", str(out)])
    assert res.exit_code == 0, res.output
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[4][:2] == ["報告状況", "0 of 1741 municipalities reported; oldest as_of none"]
    header = values[6]
    assert header[4] == f"完了率 {BUSINESS.codes['01']} (%)" and header[-1] == "移行困難システム数"
    assert values[7][:2] == ["00", "全国"] and len(values) == 7 + 48


def test_bad_kind_rejected(lake_home):
    import pytest

    with pytest.raises(ValueError):
        build(lake_home, "weather")
