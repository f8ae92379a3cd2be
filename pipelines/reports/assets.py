"""Municipal reports through the landing folder: the sensor batches every waiting file into ONE run.

The sensor (cursor = the landing files already requested, as ``name|size|mtime``) lists the ready files in
``KIBAN_HOME/landing/`` (see ``kiban.intake.landing`` for partially written files) and, when there are new
ones, requests one run of ``reports_intake`` naming all of them (100 files in one run 4.9 s, one run per file
143 s). The run archives them, validates (one GE run per report type) and stores them in one lake transaction.

The long-lived intake service (HTTP, and the landing folder once it watches it) writes the same tables without
a run and records each write in Dagster as a runless materialisation (``kiban.orchestration.record_lake_write``);
downstream assets react to either the same way.

No ``from __future__ import annotations``: Dagster reads the resource and config annotations at runtime.
"""

import hashlib
import json
from collections.abc import Callable

import dagster as dg

from kiban.intake import landing
from kiban.intake.batch import BatchResult, ingest_landing
from pipelines.checks import check_wanted, ge_check_specs
from pipelines.lake import LAKE_POOL, LakeResource, dataset_result, dataset_spec, row_counts, selected
from registries.reports.fields import REPORT_TYPES
from registries.reports.load import validation_contract, validation_rules
from schemas.reports import CONTRACTS, REPORT_SUBMISSIONS, REPORT_VERSIONS, REPORTS_LATEST

GROUP = "reports"
OP_NAME = "reports_intake"
TYPED = [CONTRACTS[rt] for rt in REPORT_TYPES]
CHECK_SPECS = [spec for rt in REPORT_TYPES
               for spec in ge_check_specs(CONTRACTS[rt].name, validation_contract(rt), validation_rules(rt))]


class IntakeConfig(dg.Config):
    """``files``: landing file names to take (empty: every ready file); ``settle``: seconds a file must rest."""

    files: list[str] = []
    settle: float = landing.DEFAULT_SETTLE_SECONDS


@dg.multi_asset(
    name=OP_NAME,
    specs=[dataset_spec(REPORT_VERSIONS, group=GROUP), dataset_spec(REPORT_SUBMISSIONS, group=GROUP),
           dataset_spec(REPORTS_LATEST, group=GROUP, deps=[REPORT_VERSIONS.name]),
           *(dataset_spec(c, group=GROUP, skippable=True) for c in TYPED)],
    check_specs=CHECK_SPECS,
    pool=LAKE_POOL,
    can_subset=True,  # outputs optional: a batch reports the typed tables and checks of the types it holds
)
def reports_intake(context: dg.AssetExecutionContext, config: IntakeConfig, lake: LakeResource):
    """Take the landing files of this run as one batch: archive, validate, store (one transaction)."""
    paths = lake.paths()
    result = ingest_landing(paths, config.files or None, settle=config.settle)
    context.log.info(f"batch {result.batch_id}: {len(result.receipts)} submissions, {result.seconds}")
    # Only what this batch touched: the typed table of each report type in it, and that type's checks.
    written = [c for c in (REPORT_VERSIONS, REPORT_SUBMISSIONS, REPORTS_LATEST) if selected(context, c.name)]
    written += [c for c in TYPED if c.name in result.rows and selected(context, c.name)]
    counts = row_counts(paths, [c.name for c in written])
    batch = batch_metadata(result)
    for contract in written:
        yield dataset_result(contract, counts.get(contract.name),
                             {"rows_written": dg.MetadataValue.int(result.rows.get(contract.name, 0)), **batch})
    yield from check_results(result, check_wanted(context))


def batch_metadata(result: BatchResult) -> dict[str, dg.MetadataValue]:
    """What the batch was (the same batch wrote every table of the run)."""
    statuses = [r.status for r in result.receipts]
    return {
        "batch_id": dg.MetadataValue.text(result.batch_id),
        "submissions": dg.MetadataValue.int(len(statuses)),
        "quarantined": dg.MetadataValue.int(statuses.count("quarantined")),
        "seconds": dg.MetadataValue.json(result.seconds),
    }


def check_results(result: BatchResult, wanted: Callable[[dg.AssetCheckKey], bool] = lambda key: True
                  ) -> list[dg.AssetCheckResult]:
    """One result per check that ran: the checks of each report type in the batch, with rows to validate."""
    out = []
    for spec in CHECK_SPECS:
        if not wanted(spec.key):
            continue
        rt = spec.asset_key.path[-1].removeprefix("report_")
        report = result.validation.get(rt)
        if report is None or not report.row_count:
            continue
        check = next((c for c in report.results if c.name == spec.name), None)
        if check is None:  # not part of this type's suite run: not run, so not reported
            continue
        out.append(dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=check.success,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            metadata={"rows_validated": report.row_count,
                      "unexpected_count": check.unexpected_count or 0,
                      "samples": dg.MetadataValue.json(check.samples[:20])},
        ))
    return out


intake_job = dg.define_asset_job("reports_intake_job", selection=dg.AssetSelection.assets(reports_intake))


@dg.sensor(job=intake_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING,
           description="All ready files in KIBAN_HOME/landing/ -> one reports_intake run.")
def reports_landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    files = landing.scan(lake.paths())
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
