"""The main job on bundled sample data: every asset materialised through Dagster, in process, offline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kiban.config import Paths
from kiban.orchestration import REPO_ROOT, instance

SAMPLES = REPO_ROOT / "samples"


def run_demo(paths: Paths, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Materialise every asset on the samples, show the quarantine path, then print what was produced."""
    import dagster as dg

    from pipelines.definitions import build_defs, sample_partitions

    started = time.perf_counter()
    paths.ensure()
    inst = instance(paths)
    defs = build_defs("samples", home=str(paths.home))
    specs = list(defs.resolve_all_asset_specs())
    partitioned = [s.key for s in specs if s.partitions_def is not None]
    # the release asset follows the registry loads; the demo publishes once at the end (see _publish)
    unpartitioned = [s.key for s in specs if s.partitions_def is None and s.key.to_user_string() != "release"]
    assets = [*(defs.assets or []), *(defs.asset_checks or [])]
    resources = defs.resources or {}

    for key, partition_keys in sample_partitions().items():
        for pk in partition_keys:
            echo(f"- materialising {key} partition {pk}")
            result = dg.materialize(assets, selection=[key], partition_key=pk, resources=resources,
                                    instance=inst, raise_on_error=False)
            if not result.success:
                raise SystemExit(f"run for {key}/{pk} failed: see `kiban dagster dev` for the run log")
    _reports(paths, inst, echo)
    echo(f"- materialising {len(unpartitioned)} assets: {', '.join(k.to_user_string() for k in unpartitioned)}")
    result = dg.materialize(assets, selection=unpartitioned, resources=resources, instance=inst,
                            raise_on_error=False)
    if not result.success:
        raise SystemExit("the main run failed: see `kiban dagster dev` for the run log")
    del partitioned

    _quarantine_example(paths, echo)
    _indicators(paths, echo)
    counts = _summary(paths, echo)
    _publish(assets, resources, inst, echo)
    echo(f"\nDone in {time.perf_counter() - started:.1f} s. Data in {paths.home}")
    return counts


#: Seed of the demo's scenario (the bundled samples/reports is the same generator on 8 municipalities).
SCENARIO_SEED = 20260914


def _reports(paths: Paths, inst, echo: Callable[[str], None]) -> None:
    """Municipal reports: the full scenario (typhoon + monthly reports of all 1,741 municipalities), generated
    deterministically, replayed through the landing folder, the sensor and one run per wave."""
    import shutil

    from pipelines.reports.demo import ingest_scenario
    from registries.reports.scenario import generate

    scenario = paths.staging / "scenario"
    shutil.rmtree(scenario, ignore_errors=True)
    summary = generate(scenario, SCENARIO_SEED)
    echo(f"- reports: scenario of {summary['arrivals']} arrivals for {summary['municipalities']} municipalities "
         f"(seed {SCENARIO_SEED})")
    try:
        statuses = ingest_scenario(paths, scenario, inst, echo)
    finally:
        shutil.rmtree(scenario, ignore_errors=True)
    echo(f"- reports: submissions by status {statuses} (quarantine reports under {paths.quarantine})")


def _quarantine_example(paths: Paths, echo: Callable[[str], None]) -> None:
    """The bundled broken files go through the same path and end in quarantine, with reasons."""
    from kiban.loads import ingest_file
    from registries.corporate.load import corporate_source
    from registries.moj_map.load import moj_map_source

    cases = [(corporate_source(), f) for f in sorted((SAMPLES / "corporate" / "broken").glob("*.zip"))]
    cases += [(moj_map_source(), f) for f in sorted((SAMPLES / "moj_map" / "broken").glob("*.zip"))]
    for source, f in cases:
        result = ingest_file(paths, source, f, source_url=str(f))
        echo(f"- quarantine example: {result.summary()}")


def _indicators(paths: Paths, echo: Callable[[str], None]) -> None:
    """Indicators last: the time series as known at past arrival times (backfill), then as known now."""
    from kiban.indicators import refresh

    times = refresh.arrival_times(paths, 24)
    if times:
        refresh.backfill(paths, times)
    echo(f"- indicators: {refresh.refresh(paths)} values appended to indicator_values "
         f"({len(times)} past points backfilled); status page: kiban serve, then /status")


def _summary(paths: Paths, echo: Callable[[str], None]) -> dict[str, int]:
    from kiban.lake import Lake

    con = Lake(paths).reader()
    try:
        tables = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
    echo("\nDatasets (rows):")
    for t, n in counts.items():
        echo(f"  {t:32s} {n:>10,}")
    kiban = Path(".venv/bin/kiban")
    echo(f"""
Query them (read-only SQL over {paths.views_db}):
  {kiban} sql "select count(*) from corporations"
  {kiban} sql "select prefecture_code, kind, count(*) n from corporations group by all order by n desc" --format csv
  duckdb {paths.views_db} -readonly   # or any DuckDB client; the views point at the lake's Parquet files
Quarantined inputs and their reports: {paths.quarantine}""")
    return counts


def _publish(assets: list, resources: dict, inst, echo: Callable[[str], None]) -> None:
    """Materialise ``release`` through Dagster: freeze what the demo produced (or show why it was blocked)."""
    import dagster as dg

    result = dg.materialize(assets, selection=["release"], resources=resources, instance=inst, raise_on_error=False)
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        reason = failure.step_failure_data.user_failure_data.description if failure is not None and \
            failure.step_failure_data.user_failure_data is not None else "see `kiban dagster dev` for the run log"
        echo(f"\nRelease NOT published: {reason}")
        return
    meta = result.asset_materializations_for_node("release")[0].metadata
    version = meta["version"].value
    echo(f"""
{meta["summary"].value}
  .venv/bin/kiban releases list | show | verify {version}
  duckdb {Path(meta["path"].value).parent / 'latest.duckdb'} -readonly   # views over the latest release
  catalog: `kiban serve`, then /catalog.jsonld, /api/3/action/package_list, /datasets/corporations""")
