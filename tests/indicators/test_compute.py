import contextlib
from datetime import timedelta

import pytest
from indicators_crafted import T0, T1, A, B, C, D

from kiban.indicators.catalogue import by_id, catalogue
from kiban.indicators.compute import compute, municipal_rows, silent
from kiban.lake import Lake


@pytest.fixture(scope="module")
def con(lake_home):
    with contextlib.closing(Lake(lake_home).reader()) as c:
        yield c


def value(values, ind, grain="national", area="JP"):
    return next(v for v in values if v.indicator_id == ind and v.grain == grain and v.area_code == area)


def test_catalogue_is_complete_and_valid():
    ids = {i.id for i in catalogue()}
    for needed in ("dead", "missing", "injured", "house_zenkai", "affected_households", "power_outage_households",
                   "water_outage_households", "hq_disaster_count", "evac_level_max", "shelters_open", "evacuees",
                   "shelter_occupancy", "shelters_full", "first_report_on_time", "completeness",
                   "revisions_per_report", "population", "households", "natural_change", "social_change",
                   "migration_completion", "migration_difficult", "cost_per_resident", "shared_saas_share"):
        assert needed in ids
    assert all(i.freshness_sla_minutes > 0 and i.unit and i.definition for i in catalogue())


def test_corrections_replace_later_as_of_is_new_observation_tombstone_and_training(con):
    vals = compute(con, grains=("municipality", "prefecture", "national"), now=T1 + timedelta(hours=1))
    assert value(vals, "dead", "municipality", A).value == 5  # seq 3 at the later as_of
    assert value(vals, "dead", "municipality", B).value == 3
    assert value(vals, "dead", "municipality", C).value is None  # withdrawn (取消)
    assert value(vals, "dead", "municipality", D).value is None  # 訓練 only
    national = value(vals, "dead")
    assert national.value == 8 and national.reported == 2 and national.expected == 1741
    assert national.coverage_statement == "2 of 1741 municipalities reported; oldest as_of 2026-09-14T03:00:00+00:00"
    assert value(vals, "dead", "prefecture", "40").value is None
    assert value(vals, "dead", "prefecture", "43").reported == 2


def test_unconfirmed_is_not_zero_and_coverage_says_so(con):
    vals = compute(con, [by_id("missing")], grains=("national",), now=T1)
    v = vals[0]
    assert v.value == 0  # only A's known 0; B's 未確認 is not added
    assert (v.reported, v.reporting) == (1, 2)
    assert v.to_dict()["coverage"]["unknown"] == 1


def test_as_known_at_time_travel(con):
    early = compute(con, [by_id("dead")], grains=("municipality",), area=A, as_known_at=T0 + timedelta(minutes=30))
    assert early[0].value == 1  # before the 訂正 arrived
    mid = compute(con, [by_id("dead")], grains=("municipality",), area=A, as_known_at=T0 + timedelta(minutes=61))
    assert mid[0].value == 2
    before_c_withdrawn = compute(con, [by_id("dead")], grains=("municipality",), area=C,
                                 as_known_at=T0 + timedelta(minutes=30))
    assert before_c_withdrawn[0].value == 7


def test_freshness_fresh_due_overdue(con):
    ind = by_id("dead")
    a_only = compute(con, [ind], grains=("municipality",), area=A, now=T1 + timedelta(hours=1))
    assert a_only[0].freshness == "fresh"
    national = compute(con, [ind], grains=("national",), now=T1 + timedelta(hours=1))  # oldest is B at T0: 5 h
    assert national[0].freshness == "due"
    assert compute(con, [ind], grains=("national",), now=T0 + timedelta(hours=7))[0].freshness == "overdue"
    assert compute(con, [ind], grains=("municipality",), area=C, now=T1)[0].freshness == "overdue"


def test_silent_list_and_headquarters_and_levels(con):
    rows = municipal_rows(con, ["disaster_damage"])["disaster_damage"]
    quiet = {r["lg_code"] for r in silent([r for r in rows if r["prefecture_code"] == "43"])}
    assert C in quiet and A not in quiet and B not in quiet
    vals = compute(con, [by_id("hq_disaster_count"), by_id("hq_alert_count"), by_id("evac_level_max")],
                   grains=("national",), now=T1)
    assert [v.value for v in vals] == [1, 1, 5]


def test_reporting_health_and_shelters(con):
    vals = compute(con, [by_id("first_report_on_time"), by_id("revisions_per_report"), by_id("shelters_full"),
                         by_id("shelter_occupancy"), by_id("evacuees")], grains=("national",), now=T1)
    on_time, revisions, full, occ, evac = (v.value for v in vals)
    assert on_time == 50.0  # A 10 min, B 45 min after 覚知
    assert revisions == pytest.approx(1 / 3, abs=1e-3)  # keys: A@T0 (2 versions), A@T1, B@T0
    assert (full, occ, evac) == (1, 100.0, 100)
