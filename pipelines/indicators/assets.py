"""``indicator_values``: refreshed by a sensor whenever new report versions land (no button to press).

The sensor ``indicators_on_new_reports`` looks at the views file every 30 s (a series point per 30 s is plenty,
and each run is a process that competes with the intake for the 2 cores): the count and
latest ``received_at`` of ``report_versions``. When they change it requests one run of ``indicator_values``,
which computes every indicator (全国 and 都道府県) as known now and appends it to the lake. Writing the values
changes the lake snapshot but not ``report_versions``, so the sensor does not re-trigger itself.

Run it with the daemon: ``kiban dagster dev`` (UI + daemon), or headless::

    export DAGSTER_HOME=$KIBAN_HOME/dagster   # kiban.orchestration.prepare_dagster_home writes dagster.yaml there
    dagster-daemon run -m pipelines.definitions

The snapshot API does not wait for this asset: it reads the reports directly (see kiban/serve/snapshot.py).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import dagster as dg

from kiban.indicators import refresh
from kiban.lake import Lake
from pipelines.common import LAKE_POOL, OWNER, KibanHome
from schemas.indicators import INDICATOR_VALUES

GROUP = "indicators"


# No asset-graph dependency on the report tables yet: the intake's assets (pipelines/reports) are not defined in
# this code location, and a dependency on an undefined key would add an unmaterialisable stub to the demo's
# selection. The sensor below is the trigger; add ``deps=[<report asset key>]`` once that asset exists.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds={"duckdb"}, pool=LAKE_POOL,
          description=INDICATOR_VALUES.description)
def indicator_values(kiban: KibanHome) -> dg.MaterializeResult:
    paths = kiban.paths()
    rows = refresh.refresh(paths)
    return dg.MaterializeResult(metadata={"rows_appended": rows, "cursor": reports_cursor(paths) or ""})


def reports_cursor(paths) -> str | None:
    """``count|max(received_at)`` of report_versions in the views file (None: no reports yet)."""
    if not paths.views_db.exists():
        return None
    with contextlib.closing(Lake(paths).reader()) as con:
        found = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'report_versions'").fetchone()[0]
        if not found:
            return None
        n, latest = con.execute("SELECT count(*), max(received_at) FROM report_versions").fetchone()
    return f"{n}|{latest.isoformat() if latest else ''}"


_IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]

indicators_job = dg.define_asset_job("indicators_refresh", selection=dg.AssetSelection.assets(indicator_values))


@dg.sensor(job=indicators_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Refresh indicator_values when report_versions changes.")
def indicators_on_new_reports(context: dg.SensorEvaluationContext, kiban: KibanHome):
    cursor = reports_cursor(kiban.paths())
    if cursor is None or cursor == context.cursor:
        return dg.SkipReason("no new report versions")
    if context.instance is not None and context.instance.get_runs_count(dg.RunsFilter(statuses=_IN_FLIGHT)):
        # the intake goes first: each run is a process competing for the 2 cores; the next tick catches up
        return dg.SkipReason("runs in flight; refreshing after them")
    context.update_cursor(cursor)
    return dg.RunRequest(run_key=f"indicators-{cursor}")


assets = [indicator_values]
jobs = [indicators_job]
schedules: list = []
sensors = [indicators_on_new_reports]


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    return {}
