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
from kiban.intake.landing import ingest_landing
from kiban.load import LoadResult
from pipelines.common import LAKE_POOL, OWNER, KibanHome, data_docs_link, ge_check_specs
from registries.reports.fields import REPORT_TYPES
from registries.reports.rules import rules_for
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
CHECK_SPECS = [spec for rt in REPORT_TYPES for spec in ge_check_specs(CONTRACTS[rt].name, CONTRACTS[rt], rules_for(rt))]


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
    results = ingest_landing(kiban.paths(), config.files or None, settle=config.settle)
    context.log.info(f"{len(results)} submissions: {[r.status for r in results]}")
    meta = batch_metadata(results)
    # Only what this batch touched: the typed table of each report type in it, and that type's checks
    # (a run's events cost milliseconds each, and the landing path is latency-bound).
    for spec in (REPORT_VERSIONS, REPORT_SUBMISSIONS, REPORTS_LATEST):
        yield dg.MaterializeResult(asset_key=spec.name, metadata=meta)
    touched = {v["dataset"] for r in results for v in r.validation}
    for contract in TYPED:
        if contract.name in touched:
            yield dg.MaterializeResult(asset_key=contract.name, metadata=meta)
    yield from check_results(results)


def batch_metadata(results: list[LoadResult]) -> dict[str, dg.MetadataValue]:
    statuses = [r.status for r in results]
    return {
        "batch_id": dg.MetadataValue.text(results[0].batch_id if results else ""),
        "submissions": dg.MetadataValue.int(len(statuses)),
        "quarantined": dg.MetadataValue.int(statuses.count("quarantined")),
        "rows": dg.MetadataValue.json({k: sum(r.rows.get(k, 0) for r in results)
                                       for k in sorted({k for r in results for k in r.rows})}),
        "files": dg.MetadataValue.json([{"file": r.source_file, "status": r.status, "id": r.load_id}
                                        for r in results[:200]]),
    }


def check_results(results: list[LoadResult]) -> list[dg.AssetCheckResult]:
    """One result per check of each report type validated in the batch (types not validated are not reported)."""
    out = []
    for spec in CHECK_SPECS:
        dataset = spec.asset_key.path[-1]
        runs = [c for r in results for v in r.validation if v["dataset"] == dataset
                for c in v["results"] if c["name"] == spec.name]
        if not runs:
            continue
        failed = [c for c in runs if not c["success"]]
        out.append(dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            metadata={**({"data_docs": link} if (link := data_docs_link(next(
                          (v for r in results for v in r.validation if v["dataset"] == dataset), {}))) else {}),
                      "submissions_validated": len(runs),
                      "unexpected_count": sum(c.get("unexpected_count") or 0 for c in failed),
                      "samples": dg.MetadataValue.json([s for c in failed for s in c["samples"]][:20])},
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
