"""Checks on ``reports_latest``, derived from ``report_versions``.

They run with every intake run, and hourly after runless writes of the intake service (at most once an hour, only
when ``reports_latest`` changed since the last tick).

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from pipelines.automation import TIMEZONE
from pipelines.checks import has_table, key_unique_check, lake_reader
from pipelines.lake import LakeResource
from registries.reports.versions import latest_sql
from schemas.reports import REPORT_VERSIONS, REPORTS_LATEST

HOURLY = dg.AutomationCondition.on_cron("0 * * * *", TIMEZONE)

reports_latest_key_unique = key_unique_check(REPORTS_LATEST, automation_condition=HOURLY)


@dg.asset_check(asset=REPORTS_LATEST.name, name="matches_versions", additional_deps=[REPORT_VERSIONS.name],
                automation_condition=HOURLY,
                description="reports_latest holds exactly the latest live version of every key of report_versions "
                            "(same report ids), as recomputed from report_versions now.")
def reports_latest_matches_versions(lake: LakeResource) -> dg.AssetCheckResult:
    with lake_reader(lake.paths()) as con:
        if con is None or not has_table(con, REPORTS_LATEST.name):
            return dg.AssetCheckResult(passed=False, metadata={"reason": "reports_latest is not in the lake"})
        expected = f"SELECT report_id FROM ({latest_sql()})"
        rows, missing, extra = con.execute(f"""
            SELECT (SELECT count(*) FROM reports_latest),
                   (SELECT count(*) FROM ({expected} EXCEPT SELECT report_id FROM reports_latest)),
                   (SELECT count(*) FROM (SELECT report_id FROM reports_latest EXCEPT {expected}))""").fetchone()
    return dg.AssetCheckResult(passed=missing == 0 and extra == 0, metadata={
        "rows": rows, "latest_missing": missing, "not_latest": extra,
    })


checks = [reports_latest_key_unique, reports_latest_matches_versions]
