"""The Dagster code location: every domain's definitions, merged once, with the policies that apply to all.

``dagster dev -m pipelines.definitions`` (or ``kiban dagster dev``) loads ``defs``. ``KIBAN_DEPLOYMENT`` picks the
source implementations (``official``, the default, or ``samples``: the bundled sample data, as ``kiban demo``
uses); ``KIBAN_HOME`` is the lake.

Policies applied here, once:
- a freshness policy on every lake dataset from its contract's cadence (``pipelines.automation``);
- the automation condition sensor that evaluates every asset's condition (default running);
- the lake resource, and the in-process executor (one process per run, steps in it: the lake has one writer).
"""

from __future__ import annotations

import dagster as dg

from pipelines.abr.definitions import build_defs as abr
from pipelines.addresses.definitions import build_defs as addresses
from pipelines.automation import AUTOMATION_SENSOR, freshness_policy
from pipelines.corporate.definitions import build_defs as corporate
from pipelines.indicators.definitions import build_defs as indicators
from pipelines.lake import lake_resource
from pipelines.land_price.definitions import build_defs as land_price
from pipelines.moj_map.definitions import build_defs as moj_map
from pipelines.municipalities.definitions import build_defs as municipalities
from pipelines.releases.definitions import build_defs as releases
from pipelines.reports.definitions import build_defs as reports
from pipelines.settings import SAMPLES, Deployment, deployment
from schemas import all_contracts


def freshness_from_contract(spec: dg.AssetSpec) -> dg.AssetSpec:
    """A lake dataset's spec with the freshness policy of its contract's cadence (other assets unchanged)."""
    contract = all_contracts().get(spec.key.to_user_string())
    policy = freshness_policy(contract.cadence) if contract is not None else None
    return spec.replace_attributes(freshness_policy=policy) if policy is not None else spec


def with_freshness(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with a freshness policy on each lake dataset, from its contract's cadence."""
    return dg.Definitions(
        assets=dg.map_asset_specs(freshness_from_contract, defs.assets or []), asset_checks=defs.asset_checks,
        jobs=defs.jobs, schedules=defs.schedules, sensors=defs.sensors, resources=defs.resources,
    )


def build_defs(deployment: Deployment = "official", home: str | None = None) -> dg.Definitions:
    """Every domain for ``deployment``; ``home`` fixes the lake (default ``KIBAN_HOME``, read when a run starts)."""
    domains = [corporate(deployment), municipalities(deployment), abr(deployment), moj_map(deployment),
               land_price(deployment), reports(), indicators(), releases(), addresses()]
    return dg.Definitions.merge(
        *(with_freshness(d) for d in domains),
        dg.Definitions(sensors=[AUTOMATION_SENSOR], resources={"lake": lake_resource(home)},
                       executor=dg.in_process_executor),
    )


def sample_partitions() -> dict[str, list[str]]:
    """Partition keys for which the bundled samples hold data, per partitioned asset (the demo runs each)."""
    from registries.corporate.fetch import sample_diff_days

    return {"nta_diff_files": [d.isoformat() for d in sample_diff_days(SAMPLES / "corporate")]}


defs = build_defs(deployment())
