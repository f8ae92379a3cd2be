"""The municipal reports domain: the intake asset, its landing-folder sensor and the derived-table checks."""

import dagster as dg

from pipelines.reports.assets import intake_job, reports_intake, reports_landing_sensor
from pipelines.reports.checks import checks


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[reports_intake], asset_checks=checks, jobs=[intake_job],
                          sensors=[reports_landing_sensor])
