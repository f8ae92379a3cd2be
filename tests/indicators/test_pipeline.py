import dagster as dg
from pipelines.common import KibanHome

from kiban.lake import Lake
from pipelines.indicators.assets import indicator_values, indicators_on_new_reports, reports_cursor


def test_sensor_requests_a_run_when_reports_change_and_asset_appends(lake_home, tmp_path):
    kiban = KibanHome(home=str(lake_home.home))
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(cursor=None, resources={"kiban": kiban}, instance=instance)
    first = indicators_on_new_reports(ctx)
    assert isinstance(first, dg.RunRequest)
    cursor = reports_cursor(lake_home)
    assert ctx.cursor == cursor and cursor.startswith("8|")
    again = indicators_on_new_reports(dg.build_sensor_context(cursor=cursor, resources={"kiban": kiban},
                                                              instance=instance))
    assert isinstance(again, dg.SkipReason)

    result = dg.materialize([indicator_values], resources={"kiban": kiban}, instance=instance)
    assert result.success
    with Lake(lake_home).reader() as con:
        n = con.execute("SELECT count(*) FROM indicator_values WHERE grain = 'national'").fetchone()[0]
    assert n >= 30
    # writing indicator values does not re-trigger the sensor
    assert reports_cursor(lake_home) == cursor
