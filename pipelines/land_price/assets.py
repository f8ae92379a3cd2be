"""地価公示 (1 January values, published late March) and 都道府県地価調査 (1 July, late September) -> ``land_prices``.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.load.files import ingest_pending
from pipelines.automation import EAGER, fetch_on_cron
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs
from pipelines.fetching import FETCH_KINDS, queue_fetched
from pipelines.lake import LAKE_POOL, LakeResource, dataset_spec
from pipelines.land_price.resources import LandPriceResponses
from pipelines.loading import load_materializations
from registries.land_price import load as land_src
from schemas.land_price import LAND_PRICES, LAND_PRICES_RULES

GROUP = "land_price"
OWNER = LAND_PRICES.owner


# After each publication: 1 April and 1 October, 06:00 JST.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, automation_condition=fetch_on_cron("0 6 1 4,10 *"),
          description="不動産情報ライブラリ XPT002 responses (one per tile and year), archived as canonical JSON.")
def land_price_files(lake: LakeResource, land_price: LandPriceResponses) -> dg.MaterializeResult:
    paths = lake.paths()
    return queue_fetched(paths, land_src.SOURCE, land_price.fetch(paths))


@dg.multi_asset(
    name="land_prices_load",
    specs=[dataset_spec(LAND_PRICES, group=GROUP, deps=["land_price_files"], automation_condition=EAGER)],
    check_specs=ge_check_specs(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES),
    pool=LAKE_POOL,
    can_subset=True,  # so that checks of files not validated in this run yield nothing; the load is one unit
)
def land_prices_load(context: dg.AssetExecutionContext, lake: LakeResource):
    """Load every fetched XPT002 response not loaded yet: validate, upsert by (地点ID, 対象年, 価格区分)."""
    paths = lake.paths()
    loads = ingest_pending(paths, land_src.land_price_source())
    yield from load_materializations(context, paths, [LAND_PRICES], loads)
    yield from ge_check_results(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES, loads, check_wanted(context))
