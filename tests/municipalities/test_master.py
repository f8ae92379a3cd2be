"""The 総務省 master: counts, check digits, float codes, kana, history, code forms, rules."""

from __future__ import annotations

import collections
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import xlrd

from registries.errors import SourceError
from registries.municipalities.codes import (
    check_digit,
    check_digit_sql,
    is_valid_lg_code,
    lg_code_valid_sql,
    normalise_code_cell,
    to_lg_code,
)
from registries.municipalities.parse import full_width_kana, load_master, read_history, read_master
from registries.municipalities.resolve import (
    BUNDLED_MASTER,
    DEFAULT_URL,
    master_url,
    municipality_codes,
    register_municipality_codes,
    resolve,
)
from registries.municipalities.rules import RULES
from registries.municipalities.stage import stage_municipalities
from schemas.municipalities import MUNICIPALITIES

# the file as published, in the shared reference folder beside the repository (CI lays a copy there too)
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "000925835.xls"


@pytest.fixture(scope="module")
def master():
    return load_master(BUNDLED_MASTER)


@pytest.fixture(scope="module")
def current(master):
    return [m for m in master if m.valid_to is None]


def test_bundled_file_is_the_official_file():
    assert BUNDLED_MASTER.read_bytes() == OFFICIAL.read_bytes()


def test_counts(current):
    types = collections.Counter(m.type for m in current)
    assert types["prefecture"] == 47
    assert types["city"] + types["designated_city"] == 792
    assert types["designated_city"] == 20
    assert types["town"] == 743
    assert types["village"] == 189
    assert types["special_ward"] == 23
    assert types["ward"] == 171
    municipal = [m for m in current if m.type not in ("prefecture", "ward")]
    assert len(municipal) == 1747
    assert len([m for m in municipal if not m.is_northern_territories]) == 1741
    assert {m.lg_code for m in current if m.is_northern_territories} == {
        "016951", "016969", "016977", "016985", "016993", "017001"}


def test_every_code_passes_the_check_digit(master):
    assert len(master) == 1794 + 171 + 6
    assert all(is_valid_lg_code(m.lg_code) for m in master)
    assert all(m.code5 == m.lg_code[:5] for m in master)
    assert all(is_valid_lg_code(m.parent_lg_code) for m in master if m.parent_lg_code)


def test_check_digit_examples():
    assert check_digit("13101") == 6
    assert to_lg_code("01101") == "011011"
    assert to_lg_code("47382") == "473821"
    assert to_lg_code("13", "101") == "131016"  # NTA 都道府県コード + 市区町村コード
    assert to_lg_code("13") == "130001"
    assert to_lg_code("131016") == "131016"
    with pytest.raises(ValueError, match="検査数字"):
        to_lg_code("131017")
    with pytest.raises(ValueError):
        to_lg_code("1310")


def test_sheet2_float_codes_are_fixed():
    sheet = xlrd.open_workbook(str(OFFICIAL)).sheet_by_index(1)
    floats = [sheet.cell_value(r, 0) for r in range(1, sheet.nrows) if isinstance(sheet.cell_value(r, 0), float)]
    assert 431052.0 in floats
    assert normalise_code_cell(431052.0) == "431052"
    assert normalise_code_cell(11011.0) == "011011"
    rows = {m.lg_code: m for m in read_master(OFFICIAL)}
    for value in floats:
        code = str(int(value)).zfill(6)
        assert rows[code].type in ("ward", "designated_city")
    assert rows["431052"].parent_lg_code == "431001"


def test_full_width_kana(master):
    assert full_width_kana("ﾎｯｶｲﾄﾞｳ") == "ホッカイドウ"
    assert full_width_kana("ｻｯﾎﾟﾛｼ 札幌１") == "サッポロシ 札幌１"  # only kana runs are normalised
    by = {m.lg_code: m for m in master}
    assert by["011002"].name_kana == "サッポロシ"
    assert by["010006"].prefecture_kana == "ホッカイドウ"
    half = [m for m in master for t in (m.name_kana or "", m.prefecture_kana or "") if any("\uff61" <= c <= "\uff9f" for c in t)]
    assert half == []


def test_types_and_parents(master):
    by = {m.lg_code: m for m in master}
    assert by["130001"].type == "prefecture" and by["130001"].name == "東京都"
    assert by["131016"].type == "special_ward"
    assert by["011002"].type == "designated_city"
    assert by["011011"].type == "ward" and by["011011"].parent_lg_code == "011002"
    assert by["011011"].name == "札幌市中央区"
    assert by["221406"].parent_lg_code == "221309"
    assert by["016951"].type == "village" and by["016951"].is_northern_territories


def test_history_codes_pass_check_digits():
    rows = read_history()
    codes = {r["lg_code"] for r in rows}
    assert {"221317", "221325", "221333", "221341", "221350", "221368", "221384", "221392", "221406"} <= codes
    assert all(is_valid_lg_code(c) for c in codes)


def test_history_bad_check_digit_rejected(tmp_path):
    bad = tmp_path / "history.csv"
    bad.write_text("lg_code,prefecture_name,name,name_kana,type,parent_lg_code,valid_from,valid_to,"
                   "successor_lg_codes,note\n221318,静岡県,x,,ward,221309,,,,\n", encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_history(bad)
    assert exc.value.rule == "check_digit"


def test_resolve_abolished_hamamatsu_ward(master):
    before = resolve("221317", date(2023, 12, 31), master)
    assert before is not None and before.active and before.record.name == "浜松市中区"
    after = resolve("221317", date(2024, 1, 2), master)
    assert after is not None and not after.active
    assert after.successors == ("221384",)
    assert resolve("221350", date(2024, 1, 2), master).successors == ("221384", "221392")
    new = resolve("22138", date(2024, 1, 2), master)
    assert new.active and new.lg_code == "221384" and new.record.name == "浜松市中央区"
    assert not resolve("221384", date(2023, 12, 31), master).active
    assert resolve("221406", date(2023, 12, 31), master).active
    assert resolve("221406", date(2024, 1, 2), master).active


def test_resolve_code_forms(master):
    r = resolve("13", date(2024, 6, 1), master, city="101")
    assert r.lg_code == "131016" and r.record.name == "千代田区" and r.active
    assert resolve("13101", date(2024, 6, 1), master).lg_code == "131016"
    assert resolve("999997", date(2024, 6, 1), master) is None  # well-formed, unknown


def test_municipality_codes_in_duckdb(master):
    table = municipality_codes(master)
    assert table.num_rows == 2 * len(master) + 47
    con = duckdb.connect()
    register_municipality_codes(con, master)
    got = con.execute(
        "SELECT x.pref || x.city AS c, m.lg_code FROM (VALUES ('13', '101'), ('01', '101')) x(pref, city) "
        "JOIN municipality_codes m ON m.code = x.pref || x.city ORDER BY c"
    ).fetchall()
    assert got == [("01101", "011011"), ("13101", "131016")]
    assert con.execute("SELECT count(*) FROM municipality_codes WHERE code = '221317'").fetchone()[0] == 1


def test_check_digit_sql_matches_python(master):
    con = duckdb.connect()
    codes = [m.lg_code for m in master] + ["131017", "abcdef", None, "13101"]
    con.execute("CREATE TABLE t(c VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(c,) for c in codes])
    rows = con.execute(f"SELECT c, {lg_code_valid_sql('c')}, {check_digit_sql('c')} FROM t").fetchall()
    for code, valid, cd in rows:
        assert valid == is_valid_lg_code(code)
        if code and code[:5].isdigit():
            assert cd == check_digit(code[:5])


def test_stage_and_rules(tmp_path):
    out = tmp_path / "municipalities.parquet"
    result = stage_municipalities(BUNDLED_MASTER, out)
    assert result.rows == 1971 and result.dataset == "municipalities"
    table = pq.read_table(out)
    assert table.column_names == [*MUNICIPALITIES.column_names, "_source_row"]
    con = duckdb.connect()
    con.register("staged", table)
    for rule in RULES:
        assert con.execute(f"SELECT count(*) FROM ({rule.failing_rows})").fetchone()[0] == 0, rule.name
    # the rules catch breakage
    con.execute("CREATE TABLE bad AS SELECT * FROM staged")
    con.execute("UPDATE bad SET lg_code = '131017' WHERE lg_code = '131016'")
    con.execute("UPDATE bad SET type = 'county' WHERE lg_code = '011002'")
    con.unregister("staged")
    con.execute("CREATE VIEW staged AS SELECT * FROM bad")
    failing = {r.name: con.execute(f"SELECT count(*) FROM ({r.failing_rows})").fetchone()[0] for r in RULES}
    assert failing["lg_code_check_digit"] == 1
    assert failing["type_code_set"] == 1
    assert failing["ward_has_designated_city"] == 10  # 札幌市's wards lost their designated city


def test_master_url_env(monkeypatch):
    monkeypatch.delenv("KIBAN_MUNICIPALITIES_URL", raising=False)
    assert master_url() == DEFAULT_URL
    monkeypatch.setenv("KIBAN_MUNICIPALITIES_URL", "http://127.0.0.1:9/x.xls")
    assert master_url() == "http://127.0.0.1:9/x.xls"


def test_not_an_xls(tmp_path):
    p = tmp_path / "x.xls"
    p.write_bytes(b"not excel")
    with pytest.raises(SourceError) as exc:
        read_master(p)
    assert exc.value.rule == "not_xls"
