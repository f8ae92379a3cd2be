"""The ABR domain: assets, checks and the source resource for a deployment."""

import dagster as dg

from pipelines.abr.assets import abr_files, abr_tables
from pipelines.abr.resources import AbrFeed, AbrFiles, AbrSampleFeed
from pipelines.settings import SAMPLES, Deployment, setting


def abr_resource(deployment: Deployment) -> AbrFiles:
    selection = {"types": setting("KIBAN_ABR_TYPES"), "lg_codes": setting("KIBAN_ABR_LG_CODES")}
    if deployment == "samples":
        return AbrSampleFeed(folder=str(SAMPLES / "abr"), **selection)
    return AbrFeed(feed_url=setting("KIBAN_ABR_FEED_URL"), **selection)


def build_defs(deployment: Deployment) -> dg.Definitions:
    return dg.Definitions(assets=[abr_files, abr_tables], resources={"abr": abr_resource(deployment)})
