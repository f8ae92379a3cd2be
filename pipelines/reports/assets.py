"""Municipal reports: the landing-folder sensor batches every waiting file into ONE run of ``reports_intake``.

The sensor (cursor = the landing files already requested, as ``name|size|mtime``) lists the ready files in
``KIBAN_HOME/landing/`` (see ``kiban.intake.landing`` for partially written files) and, when there are new
ones, requests one run naming all of them (DESIGN.md §3: 100 files in one run 4.9 s, one run per file 143 s).
The run archives them, validates (one GE run per report type) and stores them in one lake transaction.
"""


import hashlib
import json
from pathlib import Path

import dagster as dg

from kiban.intake import landing
from kiban.intake.batch import BatchResult, ingest_landing
from pipelines.common import LAKE_POOL, OWNER, KibanHome, data_docs_link, ge_check_specs
from registries.reports.fields import REPORT_TYPES
from registries.reports.load import validation_contract, validation_rules
from schemas.reports import CONTRACTS, REPORT_SUBMISSIONS, REPORT_VERSIONS, REPORTS_LATEST

GROUP = "reports"
OP_NAME = "reports_intake"


class IntakeConfig(dg.Config):
    """``files``: landing file names to take (empty: every ready file); ``settle``: seconds a file must rest."""

    files: list[str] = []
    settle: float = landing.DEFAULT_SETTLE_SECONDS


def _spec(contract, deps=(), skippable: bool = False) -> dg.AssetSpec:
    return dg.AssetSpec(contract.name, group_name=GROUP, owners=[OWNER], kinds={"duckdb", "parquet"},
                        description=contract.description, deps=list(deps), skippable=skippable,
                        metadata={"contract_version": contract.version})


TYPED = [CONTRACTS[rt] for rt in REPORT_TYPES]
CHECK_SPECS = [spec for rt in REPORT_TYPES
               for spec in ge_check_specs(CONTRACTS[rt].name, validation_contract(rt), validation_rules(rt))]


@dg.multi_asset(
    name=OP_NAME,
    specs=[_spec(REPORT_VERSIONS), _spec(REPORT_SUBMISSIONS), _spec(REPORTS_LATEST, [REPORT_VERSIONS.name]),
           *(_spec(c, skippable=True) for c in TYPED)],
    check_specs=CHECK_SPECS,
    pool=LAKE_POOL,
    can_subset=True,  # outputs optional: a batch reports the typed tables and checks of the types it holds
)
def reports_intake(context: dg.AssetExecutionContext, config: IntakeConfig, kiban: KibanHome):
    """Take the landing files of this run as one batch: archive, validate, store (one transaction)."""
    result = ingest_landing(kiban.paths(), config.files or None, settle=config.settle)
    context.log.info(f"batch {result.batch_id}: {len(result.receipts)} submissions, {result.seconds}")
    meta = batch_metadata(result)
    # Only what this batch touched: the typed table of each report type in it, and that type's checks
    # (a run's events cost milliseconds each, and the landing path is latency-bound).
    for spec in (REPORT_VERSIONS, REPORT_SUBMISSIONS, REPORTS_LATEST):
        yield dg.MaterializeResult(asset_key=spec.name, metadata=meta)
    for contract in TYPED:
        if contract.name.removeprefix("report_") in result.validation:
            yield dg.MaterializeResult(asset_key=contract.name, metadata=meta)
    yield from check_results(result)


def batch_metadata(result: BatchResult) -> dict[str, dg.MetadataValue]:
    statuses = [r.status for r in result.receipts]
    return {
        "batch_id": dg.MetadataValue.text(result.batch_id),
        "submissions": dg.MetadataValue.int(len(statuses)),
        "quarantined": dg.MetadataValue.int(statuses.count("quarantined")),
        "rows": dg.MetadataValue.json(result.rows),
        "seconds": dg.MetadataValue.json(result.seconds),
        "files": dg.MetadataValue.json([{"file": r.source_file, "status": r.status, "id": r.submission_id}
                                        for r in result.receipts[:200]]),
    }


def check_results(result: BatchResult) -> list[dg.AssetCheckResult]:
    """One result per check of each report type in the batch (types absent from the batch were not run)."""
    out = []
    for spec in CHECK_SPECS:
        rt = spec.asset_key.path[-1].removeprefix("report_")
        report = result.validation.get(rt)
        if report is None:
            continue
        check = None
        if report is not None:
            check = next((c for c in report.results if c.name == spec.name), None)
        passed = check is None or check.success
        out.append(dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            metadata={**({"data_docs": link} if (link := data_docs_link(result.data_docs.get(report.dataset, {})))
                         else {}),
                      "rows_validated": report.row_count if report is not None else 0,
                      "unexpected_count": (check.unexpected_count or 0) if check is not None else 0,
                      "samples": dg.MetadataValue.json((check.samples if check is not None else [])[:20])},
        ))
    return out


intake_job = dg.define_asset_job("reports_intake_job", selection=dg.AssetSelection.assets(reports_intake))


def pending_files(home: str, settle: float = landing.DEFAULT_SETTLE_SECONDS) -> list[landing.LandingFile]:
    from kiban.config import paths as resolve_paths

    return landing.scan(resolve_paths(home) if home else resolve_paths(), settle=settle)


@dg.sensor(job=intake_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING,
           description="All ready files in KIBAN_HOME/landing/ -> one reports_intake run.")
def reports_landing_sensor(context: dg.SensorEvaluationContext, kiban: KibanHome):
    files = landing.scan(kiban.paths())
    requested = set(json.loads(context.cursor)) if context.cursor else set()
    current = {f.key for f in files}
    new = [f for f in files if f.key not in requested]
    if not new:
        context.update_cursor(json.dumps(sorted(requested & current)))
        return dg.SkipReason("no new files in the landing folder")
    names = [f.path.name for f in new]
    run_key = hashlib.sha256("\n".join(f.key for f in new).encode()).hexdigest()[:32]
    context.update_cursor(json.dumps(sorted((requested & current) | {f.key for f in new})))
    return dg.RunRequest(run_key=run_key, run_config=run_config(names), tags={"kiban/files": str(len(names))})


def run_config(names: list[str], settle: float = landing.DEFAULT_SETTLE_SECONDS) -> dict:
    return {"ops": {OP_NAME: {"config": {"files": names, "settle": settle}}}}


assets = [reports_intake]
jobs = [intake_job]
schedules: list = []
sensors = [reports_landing_sensor]


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    return {}
