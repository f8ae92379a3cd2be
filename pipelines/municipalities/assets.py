"""The 総務省 municipality master: fetched monthly, loaded into ``municipalities`` and ``municipality_codes``.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.load.files import ingest_pending
from pipelines.automation import EAGER, fetch_on_cron
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs
from pipelines.fetching import FETCH_KINDS, queue_fetched
from pipelines.lake import LAKE_POOL, LakeResource, dataset_spec
from pipelines.loading import load_materializations
from pipelines.municipalities.resources import MunicipalityMaster
from registries.municipalities import load as mun_src
from registries.municipalities.rules import RULES
from schemas.municipalities import MUNICIPALITIES, MUNICIPALITY_CODES

GROUP = "municipalities"
OWNER = MUNICIPALITIES.owner
DATASETS = [(MUNICIPALITIES, RULES), (MUNICIPALITY_CODES, mun_src.CODE_RULES)]


# The 総務省 file changes a few times a year (合併, 政令市の区の再編): looked at monthly, the 1st, 05:00 JST.
@dg.asset(group_name=GROUP, owners=[OWNER], kinds=FETCH_KINDS, automation_condition=fetch_on_cron("0 5 1 * *"),
          description="総務省 全国地方公共団体コード (.xls), archived as received (sha256).")
def municipality_master_files(lake: LakeResource, municipality_master: MunicipalityMaster) -> dg.MaterializeResult:
    paths = lake.paths()
    return queue_fetched(paths, mun_src.SOURCE, [municipality_master.fetch(paths)])


@dg.multi_asset(
    name="municipality_master",
    specs=[dataset_spec(MUNICIPALITIES, group=GROUP, deps=["municipality_master_files"], automation_condition=EAGER),
           dataset_spec(MUNICIPALITY_CODES, group=GROUP, deps=[MUNICIPALITIES.name], automation_condition=EAGER)],
    check_specs=[s for c, rules in DATASETS for s in ge_check_specs(c.name, c, rules)],
    pool=LAKE_POOL,
    can_subset=True,  # so that checks of files not validated in this run yield nothing; the load is one unit
)
def municipality_master(context: dg.AssetExecutionContext, lake: LakeResource):
    """Load the fetched master not loaded yet: validate, replace ``municipalities`` and ``municipality_codes``."""
    paths = lake.paths()
    loads = ingest_pending(paths, mun_src.municipalities_source())
    yield from load_materializations(context, paths, [c for c, _ in DATASETS], loads)
    for contract, rules in DATASETS:
        yield from ge_check_results(contract.name, contract, rules, loads, check_wanted(context))
