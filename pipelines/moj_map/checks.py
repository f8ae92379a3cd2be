"""Checks on ``parcel_registry``, derived from ``abr_parcels`` and ``parcels``.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from pipelines.checks import has_table, key_unique_check, lake_reader
from pipelines.lake import LakeResource
from schemas.abr import ABR_PARCELS
from schemas.moj_map import PARCEL_REGISTRY

parcel_registry_key_unique = key_unique_check(PARCEL_REGISTRY)


@dg.asset_check(asset=PARCEL_REGISTRY.name, name="abr_parcels_kept", additional_deps=[ABR_PARCELS.name],
                description="Every current ABR 地番 (not abolished) is one registry row (matched or abr_only).")
def parcel_registry_abr_parcels_kept(lake: LakeResource) -> dg.AssetCheckResult:
    with lake_reader(lake.paths()) as con:
        if con is None or not has_table(con, PARCEL_REGISTRY.name):
            return dg.AssetCheckResult(passed=False, metadata={"reason": "parcel_registry is not in the lake"})
        registry_rows = con.execute(
            "SELECT count(*) FROM parcel_registry WHERE match_status <> 'moj_only'").fetchone()[0]
        abr_rows = con.execute("SELECT count(*) FROM abr_parcels WHERE ablt_date IS NULL").fetchone()[0] \
            if has_table(con, ABR_PARCELS.name) else 0
    return dg.AssetCheckResult(passed=registry_rows == abr_rows, metadata={
        "registry_rows_from_abr": registry_rows, "current_abr_parcels": abr_rows,
    })


checks = [parcel_registry_key_unique, parcel_registry_abr_parcels_kept]
