from datetime import UTC, date, datetime

from registries.reports.cells import convert, parse_timestamp
from schemas.reports import CONTRACTS

DD = CONTRACTS["disaster_damage"]
MIG = CONTRACTS["system_migration"]


def test_full_width_digits_and_thousands_separators():
    c = convert(DD.column("dead"), "１,２３４")
    assert (c.value, c.status, c.text) == (1234, "reported", "1234")
    assert convert(DD.column("dead"), 12.0).value == 12


def test_unknown_blank_and_dash_are_null_with_distinct_status():
    col = DD.column("missing")
    assert (convert(col, "未確認").value, convert(col, "未確認").status) == (None, "未確認")
    assert (convert(col, "  ").value, convert(col, "  ").status) == (None, "not_reported")
    assert (convert(col, None).value, convert(col, None).status) == (None, "not_reported")
    assert (convert(col, "－").value, convert(col, "－").status) == (None, "not_applicable")
    assert convert(col, 0).value == 0 and convert(col, 0).status == "reported"


def test_non_numeric_count_is_a_problem_not_an_exception():
    c = convert(DD.column("dead"), "三人")
    assert c.value is None and c.problem and "whole number" in c.problem and c.text == "三人"
    assert convert(DD.column("dead"), "1.5").problem


def test_jst_input_normalised_to_utc():
    want = datetime(2026, 9, 14, 1, 30, tzinfo=UTC)
    assert parse_timestamp("2026/9/14 10:30") == want
    assert parse_timestamp("2026年9月14日 10時30分") == want
    assert parse_timestamp("2026-09-14T01:30:00Z") == want
    assert parse_timestamp("２０２６-０９-１４ １０:３０") == want
    assert parse_timestamp(datetime(2026, 9, 14, 10, 30)) == want  # naive Excel value = JST
    assert parse_timestamp("2026-13-40 10:00") is None


def test_code_labels_and_padding():
    assert convert(MIG.column("business_code"), "住民基本台帳").value == "01"
    assert convert(MIG.column("business_code"), 7).value == "07"
    assert convert(DD.column("evac_order_level"), "レベル４").value == "4"
    bad = convert(DD.column("hq_type"), "本部らしきもの")
    assert bad.value is None and bad.problem


def test_booleans_and_dates():
    col = MIG.column("on_gov_cloud")
    assert convert(col, "はい").value is True and convert(col, "×").value is False
    assert convert(col, "たぶん").problem
    assert convert(MIG.column("planned_cutover_date"), "2026/3/31").value == date(2026, 3, 31)
