"""Checks on ``corporations``, the current state derived from ``corporate_events``.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from pipelines.checks import key_unique_check, lake_reader
from pipelines.lake import LakeResource
from schemas.corporate import corporate_events, corporations

corporations_key_unique = key_unique_check(corporations)


@dg.asset_check(asset=corporations.name, name="backed_by_events", additional_deps=[corporate_events.name],
                description="Every corporate number in the current state has events in corporate_events, and the "
                            "state has no more rows than there are numbers in the events.")
def corporations_backed_by_events(lake: LakeResource) -> dg.AssetCheckResult:
    with lake_reader(lake.paths()) as con:
        if con is None:
            return dg.AssetCheckResult(passed=False, metadata={"reason": "no lake yet"})
        state, numbers, orphans = con.execute("""
            SELECT (SELECT count(*) FROM corporations),
                   (SELECT count(DISTINCT corporate_number) FROM corporate_events),
                   (SELECT count(*) FROM corporations c
                    WHERE NOT EXISTS (SELECT 1 FROM corporate_events e
                                      WHERE e.corporate_number = c.corporate_number))""").fetchone()
    return dg.AssetCheckResult(passed=orphans == 0 and state <= numbers, metadata={
        "state_rows": state, "event_numbers": numbers, "numbers_without_events": orphans,
    })


checks = [corporations_key_unique, corporations_backed_by_events]
