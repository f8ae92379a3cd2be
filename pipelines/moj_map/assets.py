"""法務省 地図XML -> ``parcels``; ABR 地番 × 法務省 筆 -> ``parcel_registry`` and ``parcel_match_rate``.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import os

import dagster as dg

from kiban.load.files import ingest_pending
from pipelines import fanout
from pipelines.automation import EAGER, fetch_on_cron
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs, lake_reader
from pipelines.fetching import FETCH_KINDS, queue_fetched
from pipelines.lake import LAKE_POOL, LakeResource, dataset_result, dataset_spec, row_counts
from pipelines.loading import load_materializations
from pipelines.moj_map.resources import MojMapFiles
from registries.moj_map import load as moj_src
from registries.moj_map import parcel_registry as registry
from schemas.abr import ABR_PARCELS
from schemas.moj_map import PARCEL_MATCH_RATE, PARCEL_REGISTRY, PARCELS, PARCELS_RULES

GROUP = "moj_map"
OWNER = PARCELS.owner
STAGING_FACTS = ("rows", "excluded_outside", "excluded_betsuzu", "arbitrary_crs", "dangling_idref")


# 地図XML is republished once a year (G空間情報センター, usually spring): looked at monthly, the 2nd, 03:00 JST;
# only files whose ETag / Last-Modified moved are transferred.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, automation_condition=fetch_on_cron("0 3 2 * *"),
          description="法務省 地図XML zips (one per 市区町村, republished yearly), archived as received (sha256).")
def moj_map_files(context: dg.AssetExecutionContext, lake: LakeResource, moj_map: MojMapFiles
                  ) -> dg.MaterializeResult:
    paths = lake.paths()
    objs = moj_map.fetch(paths)
    fanout.register(context, fanout.MOJ_MAP_AREAS, [o.original_name for o in objs], fanout.moj_map_area)
    return queue_fetched(paths, moj_src.SOURCE, objs)


@dg.multi_asset(
    name="parcels_load",
    specs=[dataset_spec(PARCELS, group=GROUP, deps=["moj_map_files"], automation_condition=EAGER)],
    check_specs=ge_check_specs(PARCELS.name, PARCELS, PARCELS_RULES),
    pool=LAKE_POOL,
    partitions_def=fanout.MOJ_MAP_AREAS if fanout.enabled() else None,  # the cluster profile: one run per area
    backfill_policy=fanout.backfill_policy(),
    can_subset=True,  # so that checks of files not validated in this run yield nothing; the load is one unit
)
def parcels_load(context: dg.AssetExecutionContext, lake: LakeResource):
    """Load every fetched 地図XML file not loaded yet: validate, replace the (団体, 地図名) scopes it holds."""
    paths = lake.paths()
    loads = ingest_pending(paths, moj_src.moj_map_source(), where=fanout.only_area(context, fanout.moj_map_area),
                           workers=os.cpu_count() or 1)  # one staging worker process per file, one per core
    staging = [{"file": r.source_file, **{k: r.info.get(k) for k in STAGING_FACTS}} for r in loads if r.info]
    yield from load_materializations(context, paths, [PARCELS], loads,
                                     extra={PARCELS.name: {"staging": dg.MetadataValue.json(staging)}})
    yield from ge_check_results(PARCELS.name, PARCELS, PARCELS_RULES, loads, check_wanted(context))


@dg.multi_asset(
    name="parcel_registry_build",
    specs=[dataset_spec(PARCEL_REGISTRY, group=GROUP, deps=[PARCELS.name, ABR_PARCELS.name],
                        automation_condition=EAGER),
           dataset_spec(PARCEL_MATCH_RATE, group=GROUP, deps=[PARCEL_REGISTRY.name], automation_condition=EAGER)],
    pool=LAKE_POOL,
)
def parcel_registry_build(lake: LakeResource):
    """Recompute the ABR 地番 × 法務省 筆 join and the match rate per municipality (one lake transaction)."""
    paths = lake.paths()
    rows = registry.refresh(paths)
    counts = row_counts(paths, [PARCEL_REGISTRY.name, PARCEL_MATCH_RATE.name])
    with lake_reader(paths) as con:
        rates = [] if con is None else [dict(zip(("lg_code", "abr_parcels", "moj_parcels", "matched", "match_rate"),
                                                 r, strict=True)) for r in con.execute(
            "SELECT lg_code, abr_parcels, moj_parcels, matched, match_rate FROM parcel_match_rate "
            "ORDER BY lg_code LIMIT 200").fetchall()]
    yield dataset_result(PARCEL_REGISTRY, counts.get(PARCEL_REGISTRY.name),
                         {"rows_written": rows[PARCEL_REGISTRY.name]})
    yield dataset_result(PARCEL_MATCH_RATE, counts.get(PARCEL_MATCH_RATE.name),
                         {"municipalities": rows[PARCEL_MATCH_RATE.name],
                          "match_rates": dg.MetadataValue.json(rates)})
