"""Real-estate assets: 法務省 地図XML -> ``parcels``; ABR × MOJ -> ``parcel_registry``; XPT002 -> ``land_prices``.

No ``from __future__ import annotations`` here: Dagster inspects context annotations at runtime.
"""

import json
from pathlib import Path

import dagster as dg

from kiban.archive import FetchLog, RawObject
from kiban.load.files import ingest_pending
from pipelines.common import LAKE_POOL, OWNER, KibanHome, ge_check_results, ge_check_specs, load_metadata
from pipelines.moj_map.resources import (
    LandPriceSource,
    MojMapSource,
    land_price_resource,
    moj_map_resource,
)
from registries.land_price import load as land_src
from registries.moj_map import load as moj_src
from registries.moj_map import parcel_registry as registry
from schemas.contract import Contract
from schemas.land_price import LAND_PRICES, LAND_PRICES_RULES
from schemas.moj_map import PARCEL_MATCH_RATE, PARCEL_REGISTRY, PARCELS, PARCELS_RULES

GROUP = "real_estate"
ABR_PARCELS_KEY = "abr_parcels"  # materialised by the address domain (pipelines/address)


def _log(paths, source: str, objs: list[RawObject]) -> dg.MaterializeResult:
    log = FetchLog(paths.raw, source)
    for obj in objs:
        log.record(obj)
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.json([{"file": o.original_name, "sha256": o.sha256, "bytes": o.bytes,
                                         "new": o.new} for o in objs]),
        "count": len(objs),
    })


def _spec(contract: Contract, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(contract.name, group_name=GROUP, owners=[OWNER], kinds={"duckdb", "parquet"},
                        description=contract.description, deps=deps,
                        metadata={"contract_version": contract.version, "licence": contract.licence,
                                  "attribution": contract.attribution})


# -- 法務省 登記所備付地図データ --------------------------------------------------------------------------------
@dg.asset(group_name=GROUP, owners=[OWNER], kinds={"python", "file"},
          description="法務省 地図XML zips (one per 市区町村, republished yearly), archived as received (sha256).")
def moj_map_files(kiban: KibanHome, moj_map: MojMapSource) -> dg.MaterializeResult:
    paths = kiban.paths().ensure()
    return _log(paths, moj_src.SOURCE, moj_map.fetch(paths))


@dg.multi_asset(
    name="parcels_load",
    specs=[_spec(PARCELS, ["moj_map_files"])],
    check_specs=ge_check_specs(PARCELS.name, PARCELS, PARCELS_RULES),
    pool=LAKE_POOL,
)
def parcels_load(kiban: KibanHome):
    """Load every fetched 地図XML file not loaded yet: validate, replace the (団体, 地図名) scopes it holds."""
    loads = ingest_pending(kiban.paths(), moj_src.moj_map_source())
    meta = load_metadata(loads)
    meta["staging"] = dg.MetadataValue.json([
        {"file": r.source_file, **{k: r.info.get(k) for k in (
            "rows", "excluded_outside", "excluded_betsuzu", "arbitrary_crs", "dangling_idref")}}
        for r in loads if r.info
    ])
    yield dg.MaterializeResult(asset_key=PARCELS.name, metadata=meta)
    yield from ge_check_results(PARCELS.name, PARCELS, PARCELS_RULES, loads)


# -- 地番・筆 統合台帳 ---------------------------------------------------------------------------------------------
@dg.multi_asset(
    name="parcel_registry_build",
    specs=[_spec(PARCEL_REGISTRY, [PARCELS.name, ABR_PARCELS_KEY]),
           _spec(PARCEL_MATCH_RATE, [PARCEL_REGISTRY.name])],
    pool=LAKE_POOL,
)
def parcel_registry_build(kiban: KibanHome):
    """Recompute the ABR 地番 × 法務省 筆 join and the match rate per municipality (one lake transaction)."""
    paths = kiban.paths()
    rows = registry.refresh(paths)
    from kiban import query

    rates = json.loads(query.run(paths, "SELECT lg_code, abr_parcels, moj_parcels, matched, match_rate "
                                        "FROM parcel_match_rate ORDER BY lg_code", fmt="json"))
    yield dg.MaterializeResult(asset_key=PARCEL_REGISTRY.name, metadata={
        "rows": rows[PARCEL_REGISTRY.name],
    })
    yield dg.MaterializeResult(asset_key=PARCEL_MATCH_RATE.name, metadata={
        "municipalities": rows[PARCEL_MATCH_RATE.name],
        "match_rates": dg.MetadataValue.json(rates[:200]),
    })


# -- 地価公示・都道府県地価調査 --------------------------------------------------------------------------------------
@dg.asset(group_name=GROUP, owners=[OWNER], kinds={"python", "file"},
          description="不動産情報ライブラリ XPT002 responses (one per tile and year), archived as canonical JSON.")
def land_price_files(kiban: KibanHome, land_price: LandPriceSource) -> dg.MaterializeResult:
    paths = kiban.paths().ensure()
    return _log(paths, land_src.SOURCE, land_price.fetch(paths))


@dg.multi_asset(
    name="land_prices_load",
    specs=[_spec(LAND_PRICES, ["land_price_files"])],
    check_specs=ge_check_specs(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES),
    pool=LAKE_POOL,
)
def land_prices_load(kiban: KibanHome):
    """Load every fetched XPT002 response not loaded yet: validate, upsert by (地点ID, 対象年, 価格区分)."""
    loads = ingest_pending(kiban.paths(), land_src.land_price_source())
    yield dg.MaterializeResult(asset_key=LAND_PRICES.name, metadata=load_metadata(loads))
    yield from ge_check_results(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES, loads)


moj_map_job = dg.define_asset_job("moj_map_monthly", selection=dg.AssetSelection.assets(moj_map_files, parcels_load))
registry_job = dg.define_asset_job("parcel_registry_refresh",
                                   selection=dg.AssetSelection.assets(parcel_registry_build))
land_price_job = dg.define_asset_job("land_prices_refresh",
                                     selection=dg.AssetSelection.assets(land_price_files, land_prices_load))

# 地図XML is republished once a year (G空間情報センター, usually spring): a monthly check, 2nd, 03:00 JST, only
# transfers files whose ETag/Last-Modified moved.
moj_map_schedule = dg.ScheduleDefinition(job=moj_map_job, cron_schedule="0 3 2 * *",
                                         execution_timezone="Asia/Tokyo", name="moj_map_monthly_schedule")
# 地価公示 (1 Jan values) is published in late March, 都道府県地価調査 (1 Jul) in late September.
land_price_schedule = dg.ScheduleDefinition(job=land_price_job, cron_schedule="0 6 1 4,10 *",
                                            execution_timezone="Asia/Tokyo", name="land_prices_schedule")


@dg.multi_asset_sensor(monitored_assets=[dg.AssetKey(PARCELS.name), dg.AssetKey(ABR_PARCELS_KEY)],
                       job=registry_job, name="parcel_registry_inputs_sensor")
def parcel_registry_inputs_changed(context: dg.MultiAssetSensorEvaluationContext):
    """``parcels`` or ``abr_parcels`` changed: recompute the registry once for all new materialisations."""
    latest = {k: r for k, r in context.latest_materialization_records_by_key().items() if r is not None}
    if not latest:
        return dg.SkipReason("no new parcels / abr_parcels materialisation")
    context.advance_all_cursors()
    return dg.RunRequest(run_key="-".join(str(r.storage_id) for r in sorted(latest.values(),
                                                                             key=lambda r: r.storage_id)))


assets = [moj_map_files, parcels_load, parcel_registry_build, land_price_files, land_prices_load]
jobs = [moj_map_job, registry_job, land_price_job]
schedules = [moj_map_schedule, land_price_schedule]
sensors = [parcel_registry_inputs_changed]


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {"moj_map": moj_map_resource(samples_dir), "land_price": land_price_resource(samples_dir)}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    """No partitioned assets in this domain."""
    return {}
