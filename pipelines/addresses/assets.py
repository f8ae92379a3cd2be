"""Linked address datasets: corporations and shelters matched to the ABR (``kiban.addresses``).

Thin: the work is ``kiban.addresses.linked``. A sensor refreshes ``corporation_addresses`` when ``corporations``
(a 差分 or 全件) or an ABR table changes -- only what changed is matched again unless the ABR moved -- and
``shelter_addresses`` when the latest reports change.

No ``from __future__ import annotations`` here: Dagster inspects context annotations at runtime.
"""

from pathlib import Path

import dagster as dg

from kiban.addresses import linked
from pipelines.common import LAKE_POOL, OWNER, KibanHome
from schemas.addresses import (
    CORPORATION_ADDRESS_MATCH_RATE,
    CORPORATION_ADDRESS_REVIEW,
    CORPORATION_ADDRESSES,
    SHELTER_ADDRESSES,
)
from schemas.contract import Contract

GROUP = "addresses"
ABR_KEYS = ["abr_prefs", "abr_cities", "abr_towns", "abr_blocks", "abr_residences", "abr_parcels",
            "municipalities"]  # materialised by pipelines/abr
CORPORATIONS_KEY = "corporations"  # pipelines/corporate
REPORTS_LATEST_KEY = "reports_latest"  # pipelines/reports


def _spec(contract: Contract, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(contract.name, group_name=GROUP, owners=[OWNER], kinds={"duckdb", "parquet"},
                        description=contract.description, deps=deps,
                        metadata={"contract_version": contract.version, "licence": contract.licence})


@dg.multi_asset(
    name="corporation_addresses_build",
    specs=[_spec(CORPORATION_ADDRESSES, [CORPORATIONS_KEY, *ABR_KEYS]),
           _spec(CORPORATION_ADDRESS_MATCH_RATE, [CORPORATION_ADDRESSES.name]),
           _spec(CORPORATION_ADDRESS_REVIEW, [CORPORATION_ADDRESSES.name])],
    pool=LAKE_POOL,
)
def corporation_addresses_build(kiban: KibanHome):
    """Match the corporations whose address changed (all of them when the ABR changed); rate and review list."""
    info = linked.refresh_corporations(kiban.paths())
    rows = info.get("rows", {})
    for contract in (CORPORATION_ADDRESSES, CORPORATION_ADDRESS_MATCH_RATE, CORPORATION_ADDRESS_REVIEW):
        yield dg.MaterializeResult(asset_key=contract.name, metadata={
            "dagster/row_count": rows.get(contract.name, 0), "mode": info.get("mode", ""),
            "matched": info.get("matched", 0), "abr_version": info.get("abr_version", "")})


@dg.asset(name=SHELTER_ADDRESSES.name, group_name=GROUP, owners=[OWNER], kinds={"duckdb", "parquet"},
          description=SHELTER_ADDRESSES.description, deps=[REPORTS_LATEST_KEY, *ABR_KEYS], pool=LAKE_POOL)
def shelter_addresses(kiban: KibanHome) -> dg.MaterializeResult:
    rows = linked.refresh_shelters(kiban.paths())
    return dg.MaterializeResult(metadata={"dagster/row_count": rows[SHELTER_ADDRESSES.name]})


corporations_job = dg.define_asset_job("corporation_addresses_refresh",
                                       selection=dg.AssetSelection.assets(corporation_addresses_build))
shelters_job = dg.define_asset_job("shelter_addresses_refresh", selection=dg.AssetSelection.assets(shelter_addresses))


def _changed(context: dg.MultiAssetSensorEvaluationContext, what: str):
    latest = {k: r for k, r in context.latest_materialization_records_by_key().items() if r is not None}
    if not latest:
        return dg.SkipReason(f"no new {what} materialisation")
    context.advance_all_cursors()
    return dg.RunRequest(run_key="-".join(str(r.storage_id) for r in sorted(latest.values(),
                                                                             key=lambda r: r.storage_id)))


@dg.multi_asset_sensor(monitored_assets=[dg.AssetKey(k) for k in (CORPORATIONS_KEY, *ABR_KEYS)],
                       job=corporations_job, name="corporation_addresses_inputs_sensor")
def corporation_addresses_inputs_changed(context: dg.MultiAssetSensorEvaluationContext):
    """``corporations`` or an ABR table changed: bring the matched addresses up to date."""
    return _changed(context, "corporations / ABR")


@dg.multi_asset_sensor(monitored_assets=[dg.AssetKey(REPORTS_LATEST_KEY)], job=shelters_job,
                       name="shelter_addresses_inputs_sensor")
def shelter_addresses_inputs_changed(context: dg.MultiAssetSensorEvaluationContext):
    """New shelter reports: match and place them."""
    return _changed(context, "reports_latest")


assets = [corporation_addresses_build, shelter_addresses]
jobs = [corporations_job, shelters_job]
schedules: list = []
sensors = [corporation_addresses_inputs_changed, shelter_addresses_inputs_changed]


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    """No partitioned assets in this domain."""
    return {}
