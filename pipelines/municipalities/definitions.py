"""The municipality master domain: assets, checks and the source resource for a deployment."""

import dagster as dg

from pipelines.municipalities.assets import municipality_master, municipality_master_files
from pipelines.municipalities.resources import (
    MunicipalityMaster,
    MunicipalityMasterDownload,
    MunicipalityMasterFile,
)
from pipelines.settings import SAMPLES, Deployment, setting


def master_resource(deployment: Deployment) -> MunicipalityMaster:
    if deployment == "samples":
        return MunicipalityMasterFile(path=str(SAMPLES / "municipalities" / "000925835.xls"))
    return MunicipalityMasterDownload(url=setting("KIBAN_MUNICIPALITIES_URL"))


def build_defs(deployment: Deployment) -> dg.Definitions:
    return dg.Definitions(assets=[municipality_master_files, municipality_master],
                          resources={"municipality_master": master_resource(deployment)})
