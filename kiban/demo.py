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

    from pipelines.definitions import build_definitions, sample_partitions

    started = time.perf_counter()
    paths.ensure()
    inst = instance(paths)
    defs = build_definitions(home=str(paths.home), samples_dir=str(SAMPLES))
    specs = list(defs.resolve_all_asset_specs())
    partitioned = [s.key for s in specs if s.partitions_def is not None]
    unpartitioned = [s.key for s in specs if s.partitions_def is None]
    assets = list(defs.assets or [])
    resources = defs.resources or {}

    for key, partition_keys in sample_partitions(SAMPLES).items():
        for pk in partition_keys:
            echo(f"- materialising {key} partition {pk}")
            result = dg.materialize(assets, selection=[key], partition_key=pk, resources=resources,
                                    instance=inst, raise_on_error=False)
            if not result.success:
                raise SystemExit(f"run for {key}/{pk} failed: see `kiban dagster dev` for the run log")
    echo(f"- materialising {len(unpartitioned)} assets: {', '.join(k.to_user_string() for k in unpartitioned)}")
    result = dg.materialize(assets, selection=unpartitioned, resources=resources, instance=inst,
                            raise_on_error=False)
    if not result.success:
        raise SystemExit("the main run failed: see `kiban dagster dev` for the run log")
    del partitioned

    _quarantine_example(paths, echo)
    counts = _summary(paths, echo)
    echo(f"\nDone in {time.perf_counter() - started:.1f} s. Data in {paths.home}")
    return counts


def _quarantine_example(paths: Paths, echo: Callable[[str], None]) -> None:
    """The bundled broken files go through the same path and end in quarantine, with reasons."""
    from kiban.loads import ingest_file
    from kiban.sources.corporate import corporate_source

    broken = sorted((SAMPLES / "nta" / "broken").glob("*.zip"))
    for f in broken:
        result = ingest_file(paths, corporate_source(), f, source_url=str(f))
        echo(f"- quarantine example: {result.summary()}")


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
