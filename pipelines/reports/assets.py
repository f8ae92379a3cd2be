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

import dagster as dg

from kiban.intake import landing
from kiban.intake.landing import ingest_landing
from kiban.load import LoadResult
from pipelines.checks import check_wanted, ge_check_results, ge_check_specs
from pipelines.lake import LAKE_POOL, LakeResource, dataset_result, dataset_spec, row_counts, selected
from registries.reports.fields import REPORT_TYPES
from registries.reports.rules import rules_for
from schemas.reports import CONTRACTS, REPORT_SUBMISSIONS, REPORT_VERSIONS, REPORTS_LATEST

GROUP = "reports"
OP_NAME = "reports_intake"
TYPED = [CONTRACTS[rt] for rt in REPORT_TYPES]
CHECK_SPECS = [spec for rt in REPORT_TYPES for spec in ge_check_specs(CONTRACTS[rt].name, CONTRACTS[rt], rules_for(rt))]


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
    results = ingest_landing(paths, config.files or None, settle=config.settle)
    context.log.info(f"{len(results)} submissions: " + ", ".join(f"{r.source_file} {r.status}" for r in results[:50]))
    written_rows = {t: sum(r.rows.get(t, 0) for r in results) for t in {t for r in results for t in r.rows}}
    # Only what this batch touched: the typed table of each report type in it, and that type's checks.
    written = [c for c in (REPORT_VERSIONS, REPORT_SUBMISSIONS, REPORTS_LATEST) if selected(context, c.name)]
    written += [c for c in TYPED if written_rows.get(c.name) and selected(context, c.name)]
    counts = row_counts(paths, [c.name for c in written])
    batch = batch_metadata(results)
    for contract in written:
        yield dataset_result(contract, counts.get(contract.name),
                             {"rows_written": dg.MetadataValue.int(written_rows.get(contract.name, 0)), **batch})
    for rt in REPORT_TYPES:
        yield from ge_check_results(CONTRACTS[rt].name, CONTRACTS[rt], rules_for(rt), results, check_wanted(context))


def batch_metadata(results: list[LoadResult]) -> dict[str, dg.MetadataValue]:
    """What the batch was (the same batch wrote every table of the run)."""
    statuses = [r.status for r in results]
    return {
        "batch_id": dg.MetadataValue.text(results[0].batch_id or "" if results else ""),
        "submissions": dg.MetadataValue.int(len(statuses)),
        "quarantined": dg.MetadataValue.int(statuses.count("quarantined")),
        "files": dg.MetadataValue.json([{"file": r.source_file, "status": r.status, "id": r.load_id}
                                        for r in results[:200]]),
    }


intake_job = dg.define_asset_job("reports_intake_job", selection=dg.AssetSelection.assets(reports_intake))


@dg.sensor(job=intake_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.STOPPED,
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
