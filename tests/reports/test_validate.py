from datetime import timedelta

import duckdb
import pytest
from reports_testkit import (
    FUKUOKA_PREF,
    KITAKYUSHU,
    KUMAMOTO_CITY,
    KUMAMOTO_PREF,
    MERGED_TOWN,
    NEW_TOWN,
    RECEIVED,
    damage_row,
    population_row,
)

from registries.reports.lgcode import check_digit, prefecture_code
from registries.reports.parse import parse
from registries.reports.records import staged_table
from registries.reports.rules import rules_for
from registries.reports.validate import validate
from registries.reports.writers import csv_bytes


def sub_of(row: dict, rt: str = "disaster_damage", received_at=RECEIVED):
    (s,) = parse(csv_bytes(rt, [row]), "r.csv", received_at=received_at)
    return s


def rules(res, blocking=True):
    return {(f.field, f.rule) for f in (res.errors if blocking else res.warnings)}


def test_check_digit_and_prefecture_code():
    assert check_digit("01100") == 2 and check_digit("13101") == 6
    assert prefecture_code("432016") == "430005" and prefecture_code("011002") == "010006"


def test_valid_report_passes(master):
    res = validate(sub_of(damage_row()), master=master)
    assert res.ok and res.status == "accepted"


def test_negative_count_is_blocking(master):
    res = validate(sub_of(damage_row(injured_serious=-1)), master=master)
    assert ("injured_serious", "non_negative") in rules(res)


def test_non_numeric_count_is_blocking(master):
    res = validate(sub_of(damage_row(dead="多数")), master=master)
    assert ("dead", "type") in rules(res) and res.status == "rejected"


def test_bad_code_value_is_blocking(master):
    res = validate(sub_of(damage_row(hq_type="本部みたいなもの")), master=master)
    assert ("hq_type", "code") in rules(res)


def test_future_as_of_is_blocking_beyond_skew(master):
    ok = validate(sub_of(damage_row(as_of="2026-09-14 12:09")), master=master)  # received 12:00 JST
    assert ok.ok
    res = validate(sub_of(damage_row(as_of="2026-09-14 12:11")), master=master)
    assert ("as_of", "as_of_in_future") in rules(res)
    assert validate(sub_of(damage_row(as_of="2026-09-14 12:11")), master=master, skew=timedelta(minutes=15)).ok


def test_unknown_lg_code(master):
    unknown = "43200" + str(check_digit("43200"))
    res = validate(sub_of(damage_row(lg_code=unknown)), master=master)
    assert ("lg_code", "lg_code_unknown") in rules(res)


def test_bad_check_digit(master):
    bad = KUMAMOTO_CITY[:5] + str((int(KUMAMOTO_CITY[5]) + 1) % 10)
    res = validate(sub_of(damage_row(lg_code=bad)), master=master)
    assert ("lg_code", "lg_code_check_digit") in rules(res)


def test_abolished_and_not_yet_valid_lg_codes(master):
    res = validate(sub_of(damage_row(lg_code=MERGED_TOWN)), master=master)
    assert ("lg_code", "lg_code_inactive") in rules(res)
    res = validate(sub_of(damage_row(lg_code=NEW_TOWN)), master=master)
    assert ("lg_code", "lg_code_inactive") in rules(res)
    old = validate(sub_of(damage_row(lg_code=MERGED_TOWN, as_of="2019-09-14 10:00")), master=master)
    assert old.ok


def test_master_may_be_a_callable(master):
    assert validate(sub_of(damage_row()), master=master.get).ok


def test_proxy_by_own_prefecture_is_allowed(master):
    res = validate(sub_of(damage_row(reporter_lg_code=KUMAMOTO_PREF)), master=master)
    assert res.ok


def test_proxy_from_another_prefecture_is_blocking(master):
    res = validate(sub_of(damage_row(reporter_lg_code=FUKUOKA_PREF)), master=master)
    assert ("reporter_lg_code", "proxy_outside_prefecture") in rules(res)
    res = validate(sub_of(damage_row(lg_code=KITAKYUSHU, reporter_lg_code=KUMAMOTO_CITY)), master=master)
    assert ("reporter_lg_code", "proxy_outside_prefecture") in rules(res)


def test_population_total_must_equal_male_plus_female(master):
    res = validate(sub_of(population_row(jp_pop_total=999), "population_monthly"), master=master)
    assert ("jp_pop_total", "pop_total_sum") in rules(res)


def test_population_balance_identity_is_a_warning(master):
    prev = sub_of(population_row(), "population_monthly")
    # 日本人: previous 220 + births 1 - deaths 1 + in 2 - out 1 = 221; 外国人 12 -> 13; 総計 232 -> 234
    good = population_row(as_of="2026-10-01", year_month="2026-10", jp_pop_male=100, jp_pop_female=121,
                          jp_pop_total=221, all_pop_male=105, all_pop_female=129, all_pop_total=234,
                          foreign_pop_male=5, foreign_pop_female=8, foreign_pop_total=13,
                          all_births=2, all_deaths=2, all_in_migration=4, all_out_migration=2)
    later = RECEIVED + timedelta(days=30)
    res = validate(sub_of(good, "population_monthly", later), master=master, previous_month=prev)
    assert res.ok and not res.warnings
    bad = dict(good, jp_pop_female=125, jp_pop_total=225, all_pop_female=133, all_pop_total=238)
    res = validate(sub_of(bad, "population_monthly", later), master=master, previous_month=prev)
    assert res.ok and ("jp_pop_total", "population_balance") in rules(res, blocking=False)


def test_cumulative_decrease_versus_previous_version_is_a_warning(master):
    before = sub_of(damage_row(dead=5))
    after = sub_of(damage_row(dead=4, sequence_no=2, control="訂正"))
    res = validate(after, master=master, previous=before)
    assert res.ok and res.status == "accepted_with_warnings"
    assert ("dead", "cumulative_decrease") in rules(res, blocking=False)


def test_subject_key_must_match_items(master):
    row = population_row(subject_key="2026-08")
    assert ("subject_key", "subject_key_mismatch") in rules(validate(sub_of(row, "population_monthly"), master=master))


@pytest.mark.parametrize("rt, row, rule", [
    ("disaster_damage", damage_row(injured_serious=-1), "disaster_damage_counts_non_negative"),
    ("disaster_damage", damage_row(as_of="2026-09-14 13:00"), "disaster_damage_as_of_not_future"),
    ("disaster_damage", damage_row(reporter_lg_code=FUKUOKA_PREF), "disaster_damage_proxy_within_prefecture"),
    ("disaster_damage", damage_row(lg_code="432017"), "disaster_damage_lg_code_check_digit"),
    ("population_monthly", population_row(foreign_pop_total=1), "population_monthly_pop_total_sum"),
])
def test_sql_rules_agree_with_python(rt, row, rule, master):
    good = sub_of(damage_row() if rt == "disaster_damage" else population_row(), rt)
    bad = sub_of(row, rt)
    assert not validate(bad, master=master).ok and validate(good, master=master).ok
    bad.source_row = 2
    table = staged_table([good, bad], rt)
    con = duckdb.connect()
    con.register("staged", table)
    by_name = {r.name: r for r in rules_for(rt)}
    failing = con.sql(by_name[rule].failing_rows).fetchall()
    assert [r[-1] for r in failing] == [2]
    for r in rules_for(rt):  # every rule is valid SQL and passes the good row
        assert 1 not in [x[-1] for x in con.sql(r.failing_rows).fetchall()], r.name
