"""Address domain assets: municipality master (monthly) and ABR (weekly, only what changed) into the lake.

No ``from __future__ import annotations`` here: Dagster inspects context annotations at runtime.
"""

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from kiban.archive import FetchLog, RawObject
from kiban.load import LoadResult
from kiban.load.files import ingest_pending
from pipelines.abr.resources import AbrSource, MunicipalityMasterSource
from pipelines.common import LAKE_POOL, OWNER, KibanHome, ge_check_results, ge_check_specs, load_metadata
from registries.abr import load as abr_src
from registries.abr.rules import RULES as ABR_RULES
from registries.municipalities import load as mun_src
from registries.municipalities.rules import RULES as MUNICIPALITY_RULES
from schemas.abr import ABR_CONTRACTS
from schemas.contract import Contract
from schemas.municipalities import MUNICIPALITIES, MUNICIPALITY_CODES

MUNICIPALITY_DATASETS = [(MUNICIPALITIES, MUNICIPALITY_RULES), (MUNICIPALITY_CODES, mun_src.CODE_RULES)]
ABR_DATASETS = [(c, ABR_RULES[name]) for name, c in ABR_CONTRACTS.items()]


def _log(paths, source: str, objs: list[RawObject]) -> dg.MaterializeResult:
    """Queue fetched files for loading, unless the same content is queued already (unchanged files)."""
    log = FetchLog(paths.raw, source)
    known = {e["sha256"] for e in log.entries()}
    queued = [o for o in objs if o.sha256 not in known]
    for obj in queued:
        log.record(obj)
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.json([{"file": o.original_name, "sha256": o.sha256, "bytes": o.bytes,
                                         "queued": o in queued} for o in objs]),
        "count": len(objs), "queued": len(queued),
    })


def _for_dataset(loads: Iterable[LoadResult], dataset: str) -> list[LoadResult]:
    """Loads with only the validation reports of ``dataset`` (an ABR load may validate several datasets)."""
    return [dataclasses.replace(r, validation=[v for v in r.validation if v.get("dataset") == dataset])
            for r in loads]


def _spec(contract: Contract, group: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(contract.name, group_name=group, owners=[OWNER], kinds={"duckdb", "parquet"},
                        description=contract.description, deps=deps,
                        metadata={"contract_version": contract.version, "licence": contract.licence})


def _checks(datasets) -> list[dg.AssetCheckSpec]:
    return [s for c, rules in datasets for s in ge_check_specs(c.name, c, rules)]


def _results(datasets, loads: list[LoadResult]):
    meta = load_metadata(loads)
    for contract, _rules in datasets:
        yield dg.MaterializeResult(asset_key=contract.name, metadata=meta)
    for contract, rules in datasets:
        yield from ge_check_results(contract.name, contract, rules, _for_dataset(loads, contract.name))


# -- 全国地方公共団体コード ---------------------------------------------------------------------------------------
@dg.asset(group_name="municipalities", owners=[OWNER], kinds={"python", "file"},
          description="総務省 全国地方公共団体コード (.xls), archived as received (sha256).")
def municipality_master_files(kiban: KibanHome, municipality_master: MunicipalityMasterSource
                              ) -> dg.MaterializeResult:
    paths = kiban.paths().ensure()
    return _log(paths, mun_src.SOURCE, [municipality_master.fetch(paths)])


@dg.multi_asset(
    name="municipality_master",
    specs=[_spec(MUNICIPALITIES, "municipalities", ["municipality_master_files"]),
           _spec(MUNICIPALITY_CODES, "municipalities", [MUNICIPALITIES.name])],
    check_specs=_checks(MUNICIPALITY_DATASETS),
    pool=LAKE_POOL,
)
def municipality_master(kiban: KibanHome):
    """Load the fetched master not loaded yet: validate, replace ``municipalities`` and ``municipality_codes``."""
    loads = ingest_pending(kiban.paths(), mun_src.municipalities_source())
    yield from _results(MUNICIPALITY_DATASETS, loads)


# -- アドレス・ベース・レジストリ --------------------------------------------------------------------------------
@dg.asset(group_name="address", owners=[OWNER], kinds={"python", "file"},
          description="ABR files listed by the DCAT feed (only changed files are downloaded), grouped into sets "
                      "(master + 位置参照拡張) and archived; a set whose files did not change is not queued again.")
def abr_files(kiban: KibanHome, abr: AbrSource) -> dg.MaterializeResult:
    paths = kiban.paths().ensure()
    return _log(paths, abr_src.SOURCE, abr.fetch(paths))


@dg.multi_asset(
    name="abr_tables",
    specs=[_spec(c, "address", ["abr_files", MUNICIPALITIES.name]) for c, _ in ABR_DATASETS],
    check_specs=_checks(ABR_DATASETS),
    pool=LAKE_POOL,
)
def abr_tables(kiban: KibanHome):
    """Load every queued ABR set: validate, replace the rows of each file's scope (all / prefecture / 団体)."""
    loads = ingest_pending(kiban.paths(), abr_src.abr_source(),
                           order=lambda e: abr_src.load_order(e["original_name"]))
    yield from _results(ABR_DATASETS, loads)


municipalities_job = dg.define_asset_job(
    "municipality_master_monthly",
    selection=dg.AssetSelection.assets(municipality_master_files, municipality_master))
abr_job = dg.define_asset_job("abr_weekly", selection=dg.AssetSelection.assets(abr_files, abr_tables))

# The 総務省 file changes a few times a year (合併, 政令市の区の再編): check monthly, 1st, 05:00 JST.
municipalities_schedule = dg.ScheduleDefinition(
    job=municipalities_job, cron_schedule="0 5 1 * *", execution_timezone="Asia/Tokyo",
    name="municipality_master_monthly_schedule")
# ABR: weekly, Monday 04:00 JST; only files whose ETag/Last-Modified/catalog date moved are transferred.
abr_schedule = dg.ScheduleDefinition(
    job=abr_job, cron_schedule="0 4 * * 1", execution_timezone="Asia/Tokyo", name="abr_weekly_schedule")

assets = [municipality_master_files, municipality_master, abr_files, abr_tables]
jobs = [municipalities_job, abr_job]
schedules = [municipalities_schedule, abr_schedule]
sensors: list = []


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {
        "municipality_master": MunicipalityMasterSource(
            local_file=str(samples_dir / "municipalities" / "000925835.xls") if samples_dir else "",
            url=os.environ.get("KIBAN_MUNICIPALITIES_URL", "")),
        "abr": AbrSource(local_dir=str(samples_dir / "abr") if samples_dir else "",
                         feed_url=os.environ.get("KIBAN_ABR_FEED_URL", ""),
                         types=os.environ.get("KIBAN_ABR_TYPES", ""),
                         lg_codes=os.environ.get("KIBAN_ABR_LG_CODES", "")),
    }


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    """No partitioned assets in this domain."""
    return {}
