"""When assets materialise, declared on the assets (Dagster automation conditions), and how fresh they must be.

- fetch assets: :func:`fetch_on_cron` (the source's publication rhythm, Japan time);
- load and derived assets: :data:`EAGER` (after any dependency updated, none missing or in progress);
  :data:`EAGER_ALLOW_MISSING` where a dependency is daily-partitioned (a day never fetched is not missing data);
- ``release``: :func:`after_registry_loads` (any registry dataset updated, nothing upstream running; report and
  indicator updates alone do not publish: they are served live);
- one :data:`AUTOMATION_SENSOR` evaluates every condition (default running in the daemon).

Freshness (:func:`freshness_policy`) follows each contract's ``cadence`` (更新頻度): a dataset not materialised
within its window warns, then fails. A load materialises every time it has looked at its source, even when the
source had nothing new, so freshness means "the lake reflects a recent look at the source".
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from schemas.contract import Cadence

TIMEZONE = "Asia/Tokyo"

EAGER = dg.AutomationCondition.eager()
EAGER_ALLOW_MISSING = EAGER.without(~dg.AutomationCondition.any_deps_missing()).with_label(
    "eager (missing partitions of dependencies allowed)")


def fetch_on_cron(cron: str) -> dg.AutomationCondition:
    """Fetch at each tick of ``cron`` (Japan time); for a time-partitioned asset, its latest partition."""
    return dg.AutomationCondition.on_cron(cron, TIMEZONE)


def after_registry_loads(live: dg.AssetSelection) -> dg.AutomationCondition:
    """Materialise once any dependency outside ``live`` updated, when none of them is in progress."""
    return (
        dg.AutomationCondition.any_deps_updated().ignore(live).since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress().ignore(live)
        & ~dg.AutomationCondition.in_progress()
    ).with_label("after registry loads")


#: (warn after, fail after) without a materialisation, per cadence; ``continuous`` data (reports) only fails
#: after a month without any write (the monthly reports alone guarantee one).
FRESHNESS_WINDOWS: dict[Cadence, tuple[timedelta | None, timedelta] | None] = {
    "continuous": (None, timedelta(days=35)),
    "daily": (timedelta(hours=26), timedelta(hours=50)),
    "weekly": (timedelta(days=8), timedelta(days=15)),
    "monthly": (timedelta(days=32), timedelta(days=63)),
    "semiannual": (timedelta(days=190), timedelta(days=370)),
    "irregular": None,
}


def freshness_policy(cadence: Cadence) -> dg.FreshnessPolicy | None:
    windows = FRESHNESS_WINDOWS[cadence]
    if windows is None:
        return None
    warn, fail = windows
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)


AUTOMATION_SENSOR = dg.AutomationConditionSensorDefinition(
    "kiban_automation", target=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
    default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=15,
    description="Evaluates every asset's automation condition (fetch on cron, load and derive eagerly, release "
                "after registry loads).",
)
