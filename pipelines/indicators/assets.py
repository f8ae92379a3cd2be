"""``indicator_values``: recomputed whenever ``report_versions`` updates (no button to press).

The asset depends on ``report_versions`` and is eager: each update of the reports -- a landing run, or a runless
materialisation recorded by the intake service -- requests one run at the next tick of the automation sensor
(at most one at a time). It computes every indicator (全国 and 都道府県) as known now and appends it to the lake.
The snapshot API does not wait for this asset: it reads the reports directly (see ``kiban/serve/snapshot.py``).

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.indicators import refresh
from pipelines.automation import EAGER
from pipelines.checks import key_unique_check
from pipelines.lake import LAKE_POOL, LakeResource, dataset_result, dataset_spec, row_counts
from schemas.indicators import INDICATOR_VALUES
from schemas.reports import REPORT_VERSIONS

GROUP = "indicators"


@dg.multi_asset(
    name="indicators_refresh",
    specs=[dataset_spec(INDICATOR_VALUES, group=GROUP, deps=[REPORT_VERSIONS.name], automation_condition=EAGER)],
    pool=LAKE_POOL,
)
def indicator_values(lake: LakeResource):
    """Compute every indicator as known now and append the values (one lake transaction)."""
    paths = lake.paths()
    appended = refresh.refresh(paths)
    rows = row_counts(paths, [INDICATOR_VALUES.name]).get(INDICATOR_VALUES.name)
    yield dataset_result(INDICATOR_VALUES, rows, {"rows_appended": dg.MetadataValue.int(appended)})


indicator_values_key_unique = key_unique_check(INDICATOR_VALUES)
