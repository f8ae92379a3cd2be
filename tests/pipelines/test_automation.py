"""The automation conditions, evaluated the way the automation sensor does: fetches on their cron in Japan time,
loads after their inputs (a daily-partitioned input may have days never fetched), nothing before its inputs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.definitions import build_defs

JST = ZoneInfo("Asia/Tokyo")
FETCHES = {"nta_full_files", "nta_diff_files", "municipality_master_files", "abr_files", "moj_map_files",
           "land_price_files"}


def _evaluate(defs, instance, at: datetime, cursor=None) -> tuple[dict[str, list[str]], object]:
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=at, cursor=cursor)
    requested = {}
    for spec in defs.resolve_all_asset_specs():
        n = result.get_num_requested(spec.key)
        if n:
            partitions = result.get_requested_partitions(spec.key) if spec.partitions_def else []
            requested[spec.key.to_user_string()] = sorted(p for p in partitions if p is not None)
    return requested, result.cursor


def test_the_daily_diff_is_fetched_at_seven_japan_time_for_the_previous_day():
    defs = build_defs("samples")
    with dg.instance_for_test() as instance:
        before, cursor = _evaluate(defs, instance, datetime(2026, 11, 3, 6, 59, tzinfo=JST))
        assert before == {}
        after, cursor = _evaluate(defs, instance, datetime(2026, 11, 3, 7, 1, tzinfo=JST), cursor)
        assert after == {"nta_diff_files": ["2026-11-02"]}
        same_tick, _ = _evaluate(defs, instance, datetime(2026, 11, 3, 7, 2, tzinfo=JST), cursor)
        assert same_tick == {}  # handled: one request per tick


def test_the_monthly_and_weekly_fetches_follow_their_cron():
    defs = build_defs("samples")
    with dg.instance_for_test() as instance:
        _, cursor = _evaluate(defs, instance, datetime(2026, 11, 30, 23, 0, tzinfo=JST))
        first, cursor = _evaluate(defs, instance, datetime(2026, 12, 1, 6, 30, tzinfo=JST), cursor)
        assert set(first) & FETCHES == {"nta_full_files", "municipality_master_files"}  # the 1st, 05:00 and 06:00
        # their loads go in the same run, after them, and so does a release
        assert {"corporate_events", "corporations", "municipalities", "municipality_codes", "release"} <= set(first)
        monday, _ = _evaluate(defs, instance, datetime(2026, 12, 7, 4, 30, tzinfo=JST), cursor)
        # since then: 地図XML (the 2nd, 03:00), ABR (Monday 04:00) and the 差分 of Sunday (07:00 each day)
        assert set(monday) & FETCHES == {"moj_map_files", "abr_files", "nta_diff_files"}


def test_a_fetched_diff_day_loads_although_other_days_were_never_fetched_and_abr_waits_for_the_master():
    defs = build_defs("samples")
    at = datetime(2026, 11, 3, 12, 0, tzinfo=JST)
    with dg.instance_for_test() as instance:
        _, cursor = _evaluate(defs, instance, at)
        instance.report_runless_asset_event(dg.AssetMaterialization("nta_diff_files", partition="2026-11-02"))
        instance.report_runless_asset_event(dg.AssetMaterialization("abr_files"))
        requested, cursor = _evaluate(defs, instance, at, cursor)
        assert {"corporate_events", "corporations", "corporate_reconciliation"} <= set(requested)
        assert "abr_towns" not in requested  # its other input, the municipality master, was never loaded
        instance.report_runless_asset_event(dg.AssetMaterialization("municipalities"))
        requested, _ = _evaluate(defs, instance, at, cursor)
        assert {"abr_towns", "abr_parcels", "municipality_codes"} <= set(requested)
