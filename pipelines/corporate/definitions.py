"""The 法人番号 domain: assets, checks and the source resource for a deployment."""

import dagster as dg

from pipelines.corporate.assets import corporate_registry, nta_diff_files, nta_full_files
from pipelines.corporate.checks import checks
from pipelines.corporate.resources import NtaDownloads, NtaFiles, NtaSampleFiles
from pipelines.settings import SAMPLES, Deployment, setting


def nta_resource(deployment: Deployment) -> NtaFiles:
    if deployment == "samples":
        return NtaSampleFiles(folder=str(SAMPLES / "corporate"))
    return NtaDownloads(download_url=setting("KIBAN_NTA_DOWNLOAD_URL"))


def build_defs(deployment: Deployment) -> dg.Definitions:
    return dg.Definitions(
        assets=[nta_full_files, nta_diff_files, corporate_registry],
        asset_checks=checks,
        resources={"nta": nta_resource(deployment)},
    )
