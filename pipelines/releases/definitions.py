"""The releases domain: the ``release`` asset."""

import dagster as dg

from pipelines.releases.assets import release


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[release])
