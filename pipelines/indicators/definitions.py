"""The indicators domain."""

import dagster as dg

from pipelines.indicators.assets import indicator_values, indicator_values_key_unique


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[indicator_values], asset_checks=[indicator_values_key_unique])
