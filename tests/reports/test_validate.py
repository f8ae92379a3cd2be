"""The municipal-report rules, run as the load runs them: the Great Expectations suite of each report type
(contract checks + ``registries.reports.rules``) with the municipality master and the previous versions as
context relations. There is no second validator."""

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
    run_rules,
)

from registries.reports.lgcode import check_digit, prefecture_code
from registries.reports.parse import parse
from registries.reports.records import staged_table
from registries.reports.rules import rules_for
from registries.reports.writers import csv_bytes


def sub_of(row: dict, rt: str = "disaster_damage", received_at=RECEIVED, record: int = 1):
    (s,) = parse(csv_bytes(rt, [row]), "r.csv", received_at=received_at)
    s.source_row = record
    return s


@pytest.fixture
def check(master, tmp_path):
    """check(*subs, previous=[], skew=None) -> (blocking, warnings) as sets of (column, check name)."""
    counter = iter(range(10_000))

    def _check(*subs, previous=None, skew=None):
        return run_rules(list(subs), master, tmp_path / str(next(counter)), previous=previous, skew=skew)

    return _check


def test_check_digit_and_prefecture_code():
    assert check_digit("01100") == 2 and check_digit("13101") == 6
    assert prefecture_code("432016") == "430005" and prefecture_code("011002") == "010006"


def test_valid_report_passes(check):
    assert check(sub_of(damage_row())) == (set(), set())


def test_negative_count_is_blocking(check):
    blocking, _ = check(sub_of(damage_row(injured_serious=-1)))
    assert (None, "disaster_damage_counts_non_negative") in blocking


def test_non_numeric_count_is_blocking(check):
    blocking, _ = check(sub_of(damage_row(dead="多数")))
    assert ("dead", "columns__castable") in blocking  # the sample names the column


def test_bad_code_value_is_blocking(check):
    blocking, _ = check(sub_of(damage_row(hq_type="本部みたいなもの")))
    assert ("hq_type", "columns__in_codes") in blocking


def test_future_as_of_is_blocking_beyond_skew(check):
    assert check(sub_of(damage_row(as_of="2026-09-14 12:09")))[0] == set()  # received 12:00 JST
    blocking, _ = check(sub_of(damage_row(as_of="2026-09-14 12:11")))
    assert ("as_of", "disaster_damage_as_of_not_future") in blocking
    assert check(sub_of(damage_row(as_of="2026-09-14 12:11")), skew=timedelta(minutes=15))[0] == set()


def test_unknown_lg_code(check):
    unknown = "43200" + str(check_digit("43200"))
    blocking, _ = check(sub_of(damage_row(lg_code=unknown)))
    assert ("lg_code", "disaster_damage_lg_code_known") in blocking


def test_bad_check_digit(check):
    bad = KUMAMOTO_CITY[:5] + str((int(KUMAMOTO_CITY[5]) + 1) % 10)
    blocking, _ = check(sub_of(damage_row(lg_code=bad)))
    assert ("lg_code", "disaster_damage_lg_code_check_digit") in blocking


def test_abolished_and_not_yet_valid_lg_codes(check):
    blocking, _ = check(sub_of(damage_row(lg_code=MERGED_TOWN)))
    assert ("lg_code", "disaster_damage_lg_code_active") in blocking
    blocking, _ = check(sub_of(damage_row(lg_code=NEW_TOWN)))
    assert ("lg_code", "disaster_damage_lg_code_active") in blocking
    blocking, _ = check(sub_of(damage_row(lg_code=MERGED_TOWN, as_of="2019-09-14 10:00")))
    assert ("lg_code", "disaster_damage_lg_code_active") not in blocking


def test_proxy_by_own_prefecture_is_allowed(check):
    assert check(sub_of(damage_row(reporter_lg_code=KUMAMOTO_PREF)))[0] == set()


def test_proxy_from_another_prefecture_is_blocking(check):
    blocking, _ = check(sub_of(damage_row(reporter_lg_code=FUKUOKA_PREF)))
    assert ("reporter_lg_code", "disaster_damage_proxy_within_prefecture") in blocking
    blocking, _ = check(sub_of(damage_row(lg_code=KITAKYUSHU, reporter_lg_code=KUMAMOTO_CITY)))
    assert ("reporter_lg_code", "disaster_damage_proxy_within_prefecture") in blocking


def test_population_total_must_equal_male_plus_female(check):
    blocking, _ = check(sub_of(population_row(jp_pop_total=999), "population_monthly"))
    assert (None, "population_monthly_pop_total_sum") in blocking


def test_population_balance_identity_is_a_warning(check):
    prev = sub_of(population_row(), "population_monthly")
    # 日本人: previous 220 + births 1 - deaths 1 + in 2 - out 1 = 221; 外国人 12 -> 13; 総計 232 -> 234
    good = population_row(as_of="2026-10-01", year_month="2026-10", jp_pop_male=100, jp_pop_female=121,
                          jp_pop_total=221, all_pop_male=105, all_pop_female=129, all_pop_total=234,
                          foreign_pop_male=5, foreign_pop_female=8, foreign_pop_total=13,
                          all_births=2, all_deaths=2, all_in_migration=4, all_out_migration=2)
    later = RECEIVED + timedelta(days=30)
    assert check(sub_of(good, "population_monthly", later), previous=[prev]) == (set(), set())
    bad = dict(good, jp_pop_female=125, jp_pop_total=225, all_pop_female=133, all_pop_total=238)
    blocking, warnings = check(sub_of(bad, "population_monthly", later), previous=[prev])
    assert not blocking and ("jp_pop_total", "population_monthly_jp_balance") in warnings


def test_cumulative_decrease_versus_the_stored_version_is_a_warning(check):
    before = sub_of(damage_row(dead=5))
    after = sub_of(damage_row(dead=4, sequence_no=2, control="訂正"))
    blocking, warnings = check(after, previous=[before])
    assert not blocking and (None, "disaster_damage_cumulative_decrease") in warnings
    assert check(sub_of(damage_row(dead=6, sequence_no=2)), previous=[before]) == (set(), set())


def test_cumulative_decrease_versus_an_earlier_version_in_the_same_batch_is_a_warning(check):
    before = sub_of(damage_row(dead=5), record=1)
    after = sub_of(damage_row(dead=4, sequence_no=2, control="訂正"), record=2)
    blocking, warnings = check(before, after)
    assert not blocking and (None, "disaster_damage_cumulative_decrease") in warnings


def test_subject_key_must_match_items(check):
    blocking, _ = check(sub_of(population_row(subject_key="2026-08"), "population_monthly"))
    assert ("subject_key", "population_monthly_subject_key_matches_items") in blocking


def test_over_capacity_shelter_is_a_warning_and_voluntary_above_total_is_blocking(check):
    row = {"report_type": "shelter_status", "lg_code": KUMAMOTO_CITY, "as_of": "2026-09-14 11:00",
           "disaster_id": "2026-typhoon-21", "shelter_id": "S001", "shelter_name": "体育館", "capacity": 10,
           "evacuees": 12, "evacuees_voluntary": 2}
    blocking, warnings = check(sub_of(row, "shelter_status"))
    assert not blocking and ("evacuees", "shelter_status_within_capacity") in warnings
    blocking, _ = check(sub_of(dict(row, evacuees_voluntary=13), "shelter_status"))
    assert ("evacuees_voluntary", "shelter_status_voluntary_le_total") in blocking


@pytest.mark.parametrize("rt, row, rule", [
    ("disaster_damage", damage_row(injured_serious=-1), "disaster_damage_counts_non_negative"),
    ("disaster_damage", damage_row(as_of="2026-09-14 13:00"), "disaster_damage_as_of_not_future"),
    ("disaster_damage", damage_row(reporter_lg_code=FUKUOKA_PREF), "disaster_damage_proxy_within_prefecture"),
    ("disaster_damage", damage_row(lg_code="432017"), "disaster_damage_lg_code_check_digit"),
    ("population_monthly", population_row(foreign_pop_total=1), "population_monthly_pop_total_sum"),
])
def test_each_row_rule_names_exactly_the_bad_record(rt, row, rule):
    good = sub_of(damage_row() if rt == "disaster_damage" else population_row(), rt)
    bad = sub_of(row, rt, record=2)
    table = staged_table([good, bad], rt)
    con = duckdb.connect()
    con.register("staged", table)
    by_name = {r.name: r for r in rules_for(rt) if "lg_master" not in r.failing_rows
               and "previous_versions" not in r.failing_rows}
    failing = con.sql(by_name[rule].failing_rows).fetchall()
    assert [r[-1] for r in failing] == [2]
    for r in by_name.values():  # every context-free rule is valid SQL and passes the good record
        assert 1 not in [x[-1] for x in con.sql(r.failing_rows).fetchall()], r.name
