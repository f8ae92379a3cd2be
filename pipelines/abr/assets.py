"""ABR: the changed files of the DCAT feed fetched weekly, grouped into sets, loaded into six tables.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.load.files import ingest_pending
from pipelines import fanout
from pipelines.abr.resources import AbrFiles
from pipelines.automation import EAGER, fetch_on_cron
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs
from pipelines.fetching import FETCH_KINDS, queue_fetched
from pipelines.lake import LAKE_POOL, LakeResource, dataset_spec
from pipelines.loading import load_materializations
from registries.abr import load as abr_src
from registries.abr.rules import RULES
from schemas.abr import ABR_CONTRACTS
from schemas.municipalities import MUNICIPALITIES

GROUP = "abr"
DATASETS = [(c, RULES[name]) for name, c in ABR_CONTRACTS.items()]
OWNER = DATASETS[0][0].owner


# Weekly, Monday 04:00 JST; only files whose ETag / Last-Modified / catalog date moved are transferred.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, automation_condition=fetch_on_cron("0 4 * * 1"),
          description="ABR files listed by the DCAT feed (only changed files are downloaded), grouped into sets "
                      "(master + 位置参照拡張) and archived; a set whose files did not change is not queued again.")
def abr_files(context: dg.AssetExecutionContext, lake: LakeResource, abr: AbrFiles) -> dg.MaterializeResult:
    paths = lake.paths()
    objs = abr.fetch(paths)
    fanout.register(context, fanout.ABR_AREAS, [o.original_name for o in objs], fanout.abr_area)
    return queue_fetched(paths, abr_src.SOURCE, objs)


@dg.multi_asset(
    name="abr_tables",
    specs=[dataset_spec(c, group=GROUP, deps=["abr_files", MUNICIPALITIES.name], automation_condition=EAGER)
           for c, _ in DATASETS],
    check_specs=[s for c, rules in DATASETS for s in ge_check_specs(c.name, c, rules)],
    pool=LAKE_POOL,
    partitions_def=fanout.ABR_AREAS if fanout.enabled() else None,  # the cluster profile: one run per area
    backfill_policy=fanout.backfill_policy(),
    can_subset=True,  # so that checks of files not validated in this run yield nothing; the load is one unit
)
def abr_tables(context: dg.AssetExecutionContext, lake: LakeResource):
    """Load every queued ABR set: validate, replace the rows of each file's scope (all / prefecture / 団体)."""
    paths = lake.paths()
    loads = ingest_pending(paths, abr_src.abr_source(), order=lambda e: abr_src.load_order(e["original_name"]),
                           where=fanout.only_area(context, fanout.abr_area))
    yield from load_materializations(context, paths, [c for c, _ in DATASETS], loads, extra={
        c.name: {"swapped_lonlat_fixed": sum(f.get("swapped_fixed", 0) for r in loads
                                             for f in r.info.get("files", []) if f.get("dataset") == c.name)}
        for c, _ in DATASETS})
    for contract, rules in DATASETS:
        yield from ge_check_results(contract.name, contract, rules, loads, check_wanted(context))
