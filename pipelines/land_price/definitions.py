"""The land-price domain: assets and the source resource for a deployment."""

import dagster as dg

from pipelines.land_price.assets import land_price_files, land_prices_load
from pipelines.land_price.resources import (
    DEFAULT_BBOX,
    LandPriceApi,
    LandPriceResponses,
    LandPriceSampleFiles,
)
from pipelines.settings import SAMPLES, Deployment, setting
from registries.land_price.client import DEFAULT_BASE_URL, KEY_ENV, URL_ENV


def land_price_resource(deployment: Deployment) -> LandPriceResponses:
    if deployment == "samples":
        return LandPriceSampleFiles(folder=str(SAMPLES / "land_price"))
    # the key is required when the API is called: a run without KIBAN_REINFOLIB_KEY fails on its config
    return LandPriceApi(key=dg.EnvVar(KEY_ENV), base_url=setting(URL_ENV, DEFAULT_BASE_URL),
                        bbox=setting("KIBAN_LAND_PRICE_BBOX", DEFAULT_BBOX), years=setting("KIBAN_LAND_PRICE_YEARS"))


def build_defs(deployment: Deployment) -> dg.Definitions:
    return dg.Definitions(assets=[land_price_files, land_prices_load],
                          resources={"land_price": land_price_resource(deployment)})
