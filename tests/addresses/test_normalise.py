"""Normalisation rules: each rule on its own, and the Python and SQL executions agreeing."""

from __future__ import annotations

import pytest

from kiban.duck import connect
from registries.abr.matching.normalise import (
    DISPLAY_RULES,
    KEY_RULES,
    display,
    display_sql,
    key,
    key_sql,
    match_key,
)
from registries.abr.matching.numbers import split_numbers
from registries.abr.matching.rules import Guarded, Literal, Regex, Translate, apply, staged_sql, to_sql

CASES = [
    ("東京都千代田区紀尾井町１丁目３番地", "東京都千代田区紀尾井町1丁目3番地"),
    ("ＡＢＣビル（本館）", "ABCビル(本館)"),
    ("金ｹ崎町", "金ケ崎町"),
    ("ｶﾞｽﾋﾞﾙ ﾊﾟｰｸ", "ガスビルパーク"),
    ("二十四条", "24条"),
    ("北２４条西七丁目", "北24条西7丁目"),
    ("千二百三十四番地", "1234番地"),
    ("三百五番", "305番"),
    ("二〇一号室", "201号室"),
    ("十番地", "10番地"),
    ("千代田区", "千代田区"),
    ("壱番地参号", "1番地3号"),
    ("1一3", "1-3"),
    ("3－8－15", "3-8-15"),
    ("3ー8‐15", "3-8-15"),
    ("3–8—15", "3-8-15"),
    ("3−8─15", "3-8-15"),
    ("センター1ー3", "センター1-3"),
    ("〒100-0013 東京都 千代田区 霞が関 一丁目 ３ー１", "東京都千代田区霞が関1丁目3-1"),
    ("（前期）長野県大町市", "長野県大町市"),
    ("三重県　亀山市　栄町 2番8号 メゾン 101", "3重県亀山市栄町2番8号 メゾン 101"),
    ("札幌市中央区北1条 西2丁目 1-1", "札幌市中央区北1条西2丁目1-1"),
    ("札幌市中央区北1西2-1-1", "札幌市中央区北1条西2-1-1"),
    ("札幌市中央区北一西二丁目", "札幌市中央区北1条西2丁目"),
    ("帯広市西2南9", "帯広市西2条南9"),
    ("札幌市中央区北1条西2丁目", "札幌市中央区北1条西2丁目"),
    ("住所：東京都千代田区霞が関1-3-1", "東京都千代田区霞が関1-3-1"),
    ("【所在地】〒100-8901 東京都千代田区", "東京都千代田区"),
    ("〒100-8901 住所：東京都千代田区", "東京都千代田区"),
    ("本店所在地 東京都港区", "東京都港区"),
    ("「東京都千代田区」", "東京都千代田区"),
    ("＂東京都千代田区＂", "東京都千代田区"),
    ("日本、〒100-8901 東京都千代田区", "東京都千代田区"),
    ("日本橋1-1", "日本橋1-1"),  # a place, not 日本、
    ("所沢市並木1-1-1", "所沢市並木1-1-1"),  # 所, not 所在地
    ("本庄市本庄3-5-3", "本庄市本庄3-5-3"),  # 本, not 本社
    ("東京都千代田区霞が関1-3-1「ビル」", "東京都千代田区霞が関1-3-1「ビル」"),
    ("東京都、千代田区、霞が関1-3-1、ビル", "東京都千代田区霞が関1-3-1、ビル"),
    ("普代村第一地割上村43", "普代村1地割上村43"),
    ("大更 第2地割 123-1", "大更2地割123-1"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_display_normalises_widths_numerals_dashes_and_spaces(raw, expected):
    assert display(raw) == expected


@pytest.mark.parametrize(("a", "b"), [
    ("霞ヶ関", "霞が関"), ("霞ケ関", "霞ヶ関"), ("宮﨑", "宮崎"), ("髙田", "高田"), ("渡邉", "渡辺"), ("渡邊", "渡辺"),
    ("大澤", "大沢"), ("龍ケ崎", "竜ヶ崎"), ("濱田", "浜田"), ("城ノ内", "城の内"), ("城之内", "城ノ内"),
    ("つつじが丘", "ツツジケ丘"), ("三ッ作", "三ツ作"), ("a-5", "A-5"),
])
def test_key_sees_through_variant_kanji_kana_and_ke(a, b):
    assert match_key(a) == match_key(b)


def test_key_keeps_the_length_of_its_input_so_positions_carry_over_to_the_display_text():
    for raw, _ in CASES:
        d = display(raw)
        assert len(key(d)) == len(d)


def test_distinct_names_stay_distinct():
    assert match_key("埼玉") != match_key("崎玉")
    assert match_key("大阪") != match_key("大坂")
    assert match_key("本町") != match_key("元町")


def test_sql_execution_agrees_with_python_on_every_case():
    con = connect()
    texts = [raw for raw, _ in CASES] + ["霞ヶ関つつじが丘の﨑", "ｹ", "", "紀尾井町１ー３　東京ガーデンテラス 19階、20階"]
    for t in texts:
        got_d, got_k = con.execute(f"SELECT {display_sql('?')}, {key_sql(display_sql('?'))}", [t, t]).fetchone()
        assert (got_d, got_k) == (display(t), key(display(t))), t


def test_rules_translate_and_back_references_run_the_same_in_both_engines():
    rules = (Translate("abc", "xyz"), Regex("([0-9])百", r"\1{0}0"), Regex("(x)(y)", r"\2\1", times=2))
    con = connect()
    for t in ("abc", "3百", "xxyy", ""):
        assert con.execute(f"SELECT {to_sql(rules, '?')}", [t]).fetchone()[0] == apply(rules, t)
    assert apply(rules, "3百") == "300"


def test_the_staged_sql_execution_gives_the_same_display_and_key_as_python_row_by_row():
    con = connect()
    texts = [raw for raw, _ in CASES] + ["霞ヶ関つつじが丘の﨑", "ｹ", "", "〒100-0013 （本店）千代田区 霞が関 ３ー１",
                                         "紀尾井町１ー３　東京ガーデンテラス 19階、20階", "髙島屋本町二丁目"]
    con.execute("CREATE TEMP TABLE t AS SELECT * FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(raw, i)", [texts])
    display_step = staged_sql(DISPLAY_RULES, "SELECT i, raw, raw AS n FROM t", "n")
    rows = con.execute(f"SELECT raw, n, k FROM ({staged_sql(KEY_RULES, f'SELECT *, n AS k FROM ({display_step})', 'k')}) "
                       "ORDER BY i").fetchall()
    assert [r[0] for r in rows] == texts
    for raw, n, k in rows:
        assert (n, k) == (display(raw), key(display(raw))), raw


def test_staged_rules_honour_guards_literals_and_repeats_like_python():
    rules = (Guarded("[0-9]", (Literal("a", "b"), Guarded("b", (Translate("bcdef", "vwxyz"),)))),
             Regex("(x)(y)", r"\2\1", times=2), Translate("z", "q"))
    con = connect()
    for t in ("abc1", "abc", "xxyy", "a1z", ""):
        got = con.execute(f"SELECT s FROM ({staged_sql(rules, 'SELECT ?::VARCHAR AS s', 's')})", [t]).fetchone()[0]
        assert got == apply(rules, t), t
    assert apply(rules, "abc1") == "vvw1" and apply(rules, "abc") == "abc"


@pytest.mark.parametrize(("rest", "numbers", "after"), [
    ("8番15号 ビル", ("8", "15", None), "ビル"),
    ("482番地の2", ("482", "2", None), ""),
    ("1の3", ("1", "3", None), ""),
    ("1丁目3番地", ("1", "3", None), ""),
    ("A-5どこか", ("A", "5", None), "どこか"),
    ("3-8-15都営2号棟1階", ("3", "8", "15"), "都営2号棟1階"),
    ("5-302号室", ("5", None, None), "-302号室"),
    ("1番館", (None, None, None), "1番館"),
    ("番外地", (None, None, None), "番外地"),
])
def test_numbers_after_the_town_split_into_block_residence_or_parcel_parts(rest, numbers, after):
    got = split_numbers(display(rest))
    assert (got.n1, got.n2, got.n3) == numbers
    used = sum(n is not None for n in numbers)
    assert got.rest(used) == after
