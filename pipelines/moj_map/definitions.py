"""The 地図XML domain (with the parcel registry): assets, checks and the source resource for a deployment."""

import dagster as dg

from pipelines.moj_map.assets import moj_map_files, parcel_registry_build, parcels_load
from pipelines.moj_map.checks import checks
from pipelines.moj_map.resources import MojMapDownloads, MojMapFiles, MojMapSampleFiles
from pipelines.settings import SAMPLES, Deployment, setting


def moj_map_resource(deployment: Deployment) -> MojMapFiles:
    if deployment == "samples":
        return MojMapSampleFiles(folder=str(SAMPLES / "moj_map"))
    return MojMapDownloads(urls=setting("KIBAN_MOJ_MAP_URLS"))


def build_defs(deployment: Deployment) -> dg.Definitions:
    return dg.Definitions(assets=[moj_map_files, parcels_load, parcel_registry_build], asset_checks=checks,
                          resources={"moj_map": moj_map_resource(deployment)})
