"""``indicator_values`` through Dagster: appended as known now, one row per key, with the table's row count.
(What requests it -- an update of ``report_versions`` -- is tested in tests/pipelines/test_lake_writes.py.)"""

import dagster as dg

from kiban.lake import Lake
from pipelines.indicators.assets import indicator_values, indicator_values_key_unique
from pipelines.lake import LakeResource


def test_the_asset_appends_values_as_known_now_and_keeps_one_row_per_key(lake_home):
    resources = {"lake": LakeResource(home=str(lake_home.home))}
    with dg.instance_for_test() as instance:
        for _ in range(2):  # a second refresh appends another point in time, never a duplicate key
            result = dg.materialize([indicator_values, indicator_values_key_unique], resources=resources,
                                    instance=instance)
            assert result.success
            [check] = result.get_asset_check_evaluations()
            assert check.check_name == "key_unique" and check.passed
    meta = result.asset_materializations_for_node("indicators_refresh")[0].metadata
    with Lake(lake_home).reader() as con:
        national = con.execute("SELECT count(*) FROM indicator_values WHERE grain = 'national'").fetchone()[0]
        total, points = con.execute("SELECT count(*), count(DISTINCT as_known_at) FROM indicator_values").fetchone()
    assert national >= 30 and points >= 2
    assert meta["dagster/row_count"].value == total
    assert 0 < meta["rows_appended"].value < total
