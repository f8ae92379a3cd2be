"""国税庁 法人番号: fetch 全件 (monthly) and 差分 (daily partitions, JST) into the raw archive, then load."""


import os
import re
from datetime import date
from pathlib import Path

import dagster as dg

from kiban.archive import FetchLog, RawArchive, RawObject
from kiban.config import Paths
from kiban.load.files import ingest_pending
from pipelines.common import LAKE_POOL, OWNER, KibanHome, ge_check_results, ge_check_specs, load_metadata
from registries.corporate.load import STAGED_EVENTS, STAGED_RULES, corporate_source
from registries.corporate.parse import diff_file_name, kind_from_name
from schemas.corporate import corporate_events, corporate_reconciliation, corporations

SOURCE = "corporate"
DIFF_PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-10-01", timezone="Asia/Tokyo", end_offset=0)


class NtaSource(dg.ConfigurableResource):
    """Where 法人番号 files come from.

    ``local_dir``: a folder of files named as published (the bundled samples for the demo). Empty: download
    from the official pages (``download_url``, env ``KIBAN_NTA_DOWNLOAD_URL``) with the page-token mechanics.
    ``variant``: ``unicode`` (CSV・Unicode, recommended) or ``sjis`` (CSV・Shift-JIS).
    """

    local_dir: str = ""
    download_url: str = ""
    variant: str = "unicode"

    def _local_files(self) -> list[Path]:
        """Unicode files at the top of ``local_dir``; the Shift-JIS variant in its ``sjis/`` subfolder."""
        folder = Path(self.local_dir) / ("sjis" if self.variant == "sjis" else "")
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".zip", ".csv"))

    def declared_encoding(self) -> str:
        return "cp932" if self.variant == "sjis" else "utf-8"

    def fetch_full(self, paths: Paths) -> list[RawObject]:
        archive = RawArchive(paths.raw)
        if self.local_dir:
            files = [p for p in self._local_files() if kind_from_name(p.name) == "full"]
            return [archive.put_file(p, source=str(p.resolve())) for p in files]
        from registries.corporate.site import fetch_full_files

        return [archive.put_file(d.path, original_name=d.name, source=d.url, sha256=d.sha256)
                for d in fetch_full_files(paths.staging, base_url=self.download_url or None, variant=self.variant)]

    def fetch_diff(self, paths: Paths, day: date) -> list[RawObject]:
        archive = RawArchive(paths.raw)
        if self.local_dir:
            stem = Path(diff_file_name(day.strftime("%Y%m%d"))).stem
            files = [p for p in self._local_files()
                     if p.name.startswith(stem)]
            return [archive.put_file(p, source=str(p.resolve())) for p in files]
        from registries.corporate.site import fetch_diff_files

        return [archive.put_file(d.path, original_name=d.name, source=d.url, sha256=d.sha256)
                for d in fetch_diff_files(paths.staging, day, base_url=self.download_url or None,
                                          variant=self.variant)]


def _log(paths: Paths, objs: list[RawObject], kind: str) -> dg.MaterializeResult:
    log = FetchLog(paths.raw, SOURCE)
    for obj in objs:
        log.record(obj, kind=kind)
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.json([{"file": o.original_name, "sha256": o.sha256, "bytes": o.bytes,
                                         "new": o.new} for o in objs]),
        "count": len(objs),
    })


@dg.asset(group_name="corporate", owners=[OWNER], kinds={"python", "file"},
          description="国税庁 法人番号 全件 zips (previous month end), archived as received (sha256).")
def nta_full_files(kiban: KibanHome, nta: NtaSource) -> dg.MaterializeResult:
    paths = kiban.paths()
    return _log(paths, nta.fetch_full(paths), "full")


@dg.asset(group_name="corporate", owners=[OWNER], kinds={"python", "file"}, partitions_def=DIFF_PARTITIONS,
          description="国税庁 法人番号 差分 zip of one day (daily partitions, Japan time), archived as received.")
def nta_diff_files(context: dg.AssetExecutionContext, kiban: KibanHome, nta: NtaSource) -> dg.MaterializeResult:
    paths = kiban.paths()
    day = date.fromisoformat(context.partition_key)
    return _log(paths, nta.fetch_diff(paths, day), "diff")


def _load_order(entry: dict) -> tuple:
    """By the date in the file name (全件 ``..._all_YYYYMMDD``, 差分 ``diff_YYYYMMDD``); 全件 first on a tie."""
    name = entry["original_name"]
    dates = re.findall(r"(?<!\d)(\d{8})(?!\d)", name)
    return (dates[0] if dates else "", 0 if kind_from_name(name) == "full" else 1, name)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(corporate_events.name, group_name="corporate", owners=[OWNER], kinds={"duckdb", "parquet"},
                     description=corporate_events.description, deps=["nta_full_files", "nta_diff_files"],
                     metadata={"contract_version": corporate_events.version}),
        dg.AssetSpec(corporations.name, group_name="corporate", owners=[OWNER], kinds={"duckdb", "parquet"},
                     description=corporations.description, deps=[corporate_events.name],
                     metadata={"contract_version": corporations.version}),
        dg.AssetSpec(corporate_reconciliation.name, group_name="corporate", owners=[OWNER],
                     kinds={"duckdb", "parquet"}, description=corporate_reconciliation.description,
                     deps=[corporate_events.name]),
    ],
    check_specs=ge_check_specs(corporate_events.name, STAGED_EVENTS, STAGED_RULES),
    pool=LAKE_POOL,
)
def corporate_registry(kiban: KibanHome, nta: NtaSource):
    """Load every fetched 法人番号 file not loaded yet: validate, append events, derive state, reconcile."""
    paths = kiban.paths()
    loads = ingest_pending(paths, corporate_source(encoding=nta.declared_encoding()), order=_load_order)
    meta = load_metadata(loads)
    for name in (corporate_events.name, corporations.name, corporate_reconciliation.name):
        yield dg.MaterializeResult(asset_key=name, metadata=meta)
    yield from ge_check_results(corporate_events.name, STAGED_EVENTS, STAGED_RULES, loads)


full_job = dg.define_asset_job(
    "nta_full_monthly", selection=dg.AssetSelection.assets(nta_full_files, corporate_registry))
diff_job = dg.define_asset_job("nta_diff_daily", selection=["nta_diff_files"], partitions_def=DIFF_PARTITIONS)
load_job = dg.define_asset_job("corporate_load", selection=dg.AssetSelection.assets(corporate_registry))

# 全件 is created at month end and published by 00:00 the next day: fetch on the 1st, 06:00 JST.
full_schedule = dg.ScheduleDefinition(job=full_job, cron_schedule="0 6 1 * *", execution_timezone="Asia/Tokyo",
                                      name="nta_full_monthly_schedule")
diff_schedule = dg.build_schedule_from_partitioned_job(diff_job, hour_of_day=7, minute_of_hour=0,
                                                       name="nta_diff_daily_schedule")


@dg.asset_sensor(asset_key=dg.AssetKey("nta_diff_files"), job=load_job, name="nta_diff_loaded_sensor")
def load_after_diff(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """A newly fetched 差分 is loaded right away."""
    yield dg.RunRequest(run_key=context.cursor or str(asset_event.storage_id))


assets = [nta_full_files, nta_diff_files, corporate_registry]
jobs = [full_job, diff_job, load_job]
schedules = [full_schedule, diff_schedule]
sensors = [load_after_diff]


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {"nta": NtaSource(local_dir=str(samples_dir / "corporate") if samples_dir else "",
                             download_url=os.environ.get("KIBAN_NTA_DOWNLOAD_URL", ""))}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    """差分 days present in the samples (``diff_YYYYMMDD.zip``)."""
    days = sorted({p.name[5:13] for p in (samples_dir / "corporate").glob("diff_*.zip")})
    return {"nta_diff_files": [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in days]}
