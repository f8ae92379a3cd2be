"""国税庁 法人番号: 全件 (monthly) and 差分 (daily partitions, Japan time) fetched into the raw archive, then loaded.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import re
from datetime import date

import dagster as dg

from kiban.load.files import ingest_pending
from pipelines.automation import EAGER_ALLOW_MISSING, fetch_on_cron
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs
from pipelines.corporate.resources import NtaFiles
from pipelines.fetching import FETCH_KINDS, queue_fetched
from pipelines.lake import LAKE_POOL, LakeResource, dataset_spec
from pipelines.loading import load_materializations
from registries.corporate.load import STAGED_EVENTS, STAGED_RULES, corporate_source
from registries.corporate.parse import kind_from_name
from schemas.corporate import corporate_events, corporate_reconciliation, corporations

GROUP = "corporate"
SOURCE = "corporate"
OWNER = corporations.owner
DIFF_PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-10-01", timezone="Asia/Tokyo", end_offset=0)
TABLES = (corporate_events, corporations, corporate_reconciliation)


# 全件 is created at month end and published by 00:00 the next day: fetched on the 1st, 06:00 JST.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, automation_condition=fetch_on_cron("0 6 1 * *"),
          description="国税庁 法人番号 全件 zips (previous month end), archived as received (sha256).")
def nta_full_files(lake: LakeResource, nta: NtaFiles) -> dg.MaterializeResult:
    paths = lake.paths()
    return queue_fetched(paths, SOURCE, nta.fetch_full(paths), kind="full")


# The 差分 of a day is published in the evening: the day's partition is fetched the next morning, 07:00 JST.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, partitions_def=DIFF_PARTITIONS,
          automation_condition=fetch_on_cron("0 7 * * *"),
          description="国税庁 法人番号 差分 zip of one day (daily partitions, Japan time), archived as received.")
def nta_diff_files(context: dg.AssetExecutionContext, lake: LakeResource, nta: NtaFiles) -> dg.MaterializeResult:
    paths = lake.paths()
    return queue_fetched(paths, SOURCE, nta.fetch_diff(paths, date.fromisoformat(context.partition_key)),
                         kind="diff")


def load_order(entry: dict) -> tuple:
    """By the date in the file name (全件 ``..._all_YYYYMMDD``, 差分 ``diff_YYYYMMDD``); 全件 first on a tie."""
    name = entry["original_name"]
    dates = re.findall(r"(?<!\d)(\d{8})(?!\d)", name)
    return (dates[0] if dates else "", 0 if kind_from_name(name) == "full" else 1, name)


@dg.multi_asset(
    name="corporate_registry",
    specs=[
        dataset_spec(corporate_events, group=GROUP, deps=["nta_full_files", "nta_diff_files"],
                     automation_condition=EAGER_ALLOW_MISSING),
        dataset_spec(corporations, group=GROUP, deps=[corporate_events.name],
                     automation_condition=EAGER_ALLOW_MISSING),
        dataset_spec(corporate_reconciliation, group=GROUP, deps=[corporate_events.name],
                     automation_condition=EAGER_ALLOW_MISSING),
    ],
    check_specs=ge_check_specs(corporate_events.name, STAGED_EVENTS, STAGED_RULES),
    pool=LAKE_POOL,
    can_subset=True,  # so that checks of files not validated in this run yield nothing; the load is one unit
)
def corporate_registry(context: dg.AssetExecutionContext, lake: LakeResource, nta: NtaFiles):
    """Load every fetched 法人番号 file not loaded yet: validate, append events, derive state, reconcile (one lake
    transaction per file, in date order)."""
    paths = lake.paths()
    loads = ingest_pending(paths, corporate_source(encoding=nta.declared_encoding()), order=load_order)
    yield from load_materializations(context, paths, TABLES, loads)
    yield from ge_check_results(corporate_events.name, STAGED_EVENTS, STAGED_RULES, loads, check_wanted(context))
