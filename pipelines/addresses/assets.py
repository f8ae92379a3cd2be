"""Linked address datasets: corporations and shelters matched to the ABR (``kiban.addresses``).

Thin: the work is ``kiban.addresses.linked``. Both assets are eager: ``corporation_addresses`` follows
``corporations`` (a 差分 or 全件) and the ABR tables -- only the corporations whose address changed are matched again
unless the ABR moved -- and ``shelter_addresses`` follows the latest reports.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.addresses import linked
from pipelines.automation import EAGER_ALLOW_MISSING
from pipelines.lake import LAKE_POOL, LakeResource, dataset_result, dataset_spec
from schemas.addresses import (
    CORPORATION_ADDRESS_MATCH_RATE,
    CORPORATION_ADDRESS_REVIEW,
    CORPORATION_ADDRESSES,
    SHELTER_ADDRESSES,
)

GROUP = "addresses"
#: The tables matching reads: the ABR (pipelines/abr) and the municipality master (pipelines/municipalities).
ABR_KEYS = ["abr_prefs", "abr_cities", "abr_towns", "abr_blocks", "abr_residences", "abr_parcels",
            "municipalities"]


@dg.multi_asset(
    name="corporation_addresses_build",
    specs=[dataset_spec(CORPORATION_ADDRESSES, group=GROUP, deps=["corporations", *ABR_KEYS],
                        automation_condition=EAGER_ALLOW_MISSING),
           dataset_spec(CORPORATION_ADDRESS_MATCH_RATE, group=GROUP, deps=[CORPORATION_ADDRESSES.name]),
           dataset_spec(CORPORATION_ADDRESS_REVIEW, group=GROUP, deps=[CORPORATION_ADDRESSES.name])],
    pool=LAKE_POOL,
)
def corporation_addresses_build(lake: LakeResource):
    """Match the corporations whose address changed (all of them when the ABR changed); rate and review list."""
    info = linked.refresh_corporations(lake.paths())
    rows = info.get("rows", {})
    extra = {"mode": dg.MetadataValue.text(str(info.get("mode", ""))),
             "matched": dg.MetadataValue.int(int(info.get("matched", 0))),
             "abr_version": dg.MetadataValue.text(str(info.get("abr_version", "")))}
    for contract in (CORPORATION_ADDRESSES, CORPORATION_ADDRESS_MATCH_RATE, CORPORATION_ADDRESS_REVIEW):
        yield dataset_result(contract, rows.get(contract.name, 0), extra)


@dg.multi_asset(
    name="shelter_addresses_build",
    specs=[dataset_spec(SHELTER_ADDRESSES, group=GROUP, deps=["reports_latest", *ABR_KEYS],
                        automation_condition=EAGER_ALLOW_MISSING)],
    pool=LAKE_POOL,
)
def shelter_addresses(lake: LakeResource):
    """Match and place the shelters of the latest reports."""
    rows = linked.refresh_shelters(lake.paths())
    yield dataset_result(SHELTER_ADDRESSES, rows[SHELTER_ADDRESSES.name])
