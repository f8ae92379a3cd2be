"""The linked-addresses domain (corporations and shelters placed on the ABR)."""

import dagster as dg

from pipelines.addresses.assets import corporation_addresses_build, shelter_addresses


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[corporation_addresses_build, shelter_addresses])
