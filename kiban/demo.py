"""The main job on bundled sample data: every asset materialised through Dagster, in process, offline.

While it works, a progress bar shows the phase on a terminal (one line per phase otherwise); Dagster logs only
warnings. The last screen is the summary: what was produced (row counts), where, the next commands and ports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kiban import progress
from kiban.config import Paths
from kiban.orchestration import REPO_ROOT, instance

SAMPLES = REPO_ROOT / "samples"
#: Seed of the demo's scenario (the bundled samples/reports is the same generator on 8 municipalities).
SCENARIO_SEED = 20260914
#: The typhoon of the demo scenario as known at noon JST on its second day: open the status page there.
TYPHOON_AS_OF = "2026-09-15T12:00:00+09:00"
#: Dagster's console logger for the demo's runs: warnings and errors only (the UI keeps every event).
QUIET_DAGSTER = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
PHASES = 5  # reports, the other assets, quarantine examples, indicators, publish (besides one run per partition)


@dataclass
class Produced:
    """What the demo made, for the summary."""

    counts: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)
    quarantined: list[str] = field(default_factory=list)
    indicator_points: int = 0
    release: object | None = None
    release_error: str | None = None
    seconds: float = 0.0


def run_demo(paths: Paths, echo: Callable[[str], None] = print, *, show_progress: bool | None = None,
             console: Console | None = None) -> dict[str, int]:
    """Materialise every asset on the samples, show the quarantine path, publish, then print the summary.

    ``echo`` gets one line per phase when no bar is drawn (``show_progress`` False, or stderr not a terminal);
    the summary goes to ``console`` (stdout). Returns the row count of every dataset.
    """
    import dagster as dg

    from pipelines.definitions import build_defs, sample_partitions

    started = time.perf_counter()
    err = progress.console()
    drawing = progress.interactive(err) if show_progress is None else show_progress
    say = (lambda s: None) if drawing else echo
    paths.ensure()
    inst = instance(paths)
    defs = build_defs("samples", home=str(paths.home))
    specs = list(defs.resolve_all_asset_specs())
    # the release asset runs on its own schedule; the demo publishes once at the end (see _publish)
    unpartitioned = [s.key for s in specs if s.partitions_def is None and s.key.to_user_string() != "release"]
    assets = [*(defs.assets or []), *(defs.asset_checks or [])]
    resources = defs.resources or {}
    runs = [(key, pk) for key, keys in sample_partitions().items() for pk in keys]
    total = len(runs) + PHASES
    made = Produced()

    with progress.bar("demo", enabled=drawing, con=err) as update:
        def phase(done: int, text: str, short: str) -> None:
            update(done, total, f"demo: {short}")  # short: the bar keeps its room on an 80-column terminal
            say(f"- {text}")

        for i, (key, pk) in enumerate(runs):
            phase(i, f"materialising {key} partition {pk}", f"{key} {pk}")
            result = dg.materialize(assets, selection=[key], partition_key=pk, resources=resources, instance=inst,
                                    run_config=QUIET_DAGSTER, raise_on_error=False)
            if not result.success:
                raise SystemExit(f"run for {key}/{pk} failed: see `kiban dagster dev` for the log")
        done = len(runs)
        phase(done, "municipal reports: the typhoon scenario through the landing folder and the sensor",
              "municipal reports (scenario)")
        made.reports = _reports(paths, inst, say)
        phase(done + 1, f"materialising {len(unpartitioned)} assets (registries, reports, checks)",
              f"{len(unpartitioned)} assets")
        result = dg.materialize(assets, selection=unpartitioned, resources=resources, instance=inst,
                                run_config=QUIET_DAGSTER, raise_on_error=False)
        if not result.success:
            raise SystemExit("the main run failed: see `kiban dagster dev` for the run log")
        phase(done + 2, "broken sample files down the quarantine path", "quarantine examples")
        made.quarantined = _quarantine_example(paths, say)
        phase(done + 3, "indicators as known at past arrival times and now", "indicators")
        made.indicator_points = _indicators(paths)
        phase(done + 4, "publishing a release", "publish")
        made.release, made.release_error = _publish(paths, assets, resources, inst)
        update(total, total, "demo: done")
    made.counts = _counts(paths)
    made.seconds = time.perf_counter() - started
    summary(paths, made, console or Console())
    return made.counts


def _reports(paths: Paths, inst, say: Callable[[str], None]) -> dict[str, int]:
    """Municipal reports: the full scenario (typhoon + monthly reports of all 1,741 municipalities), generated
    deterministically, replayed through the landing folder, the sensor and one run per wave."""
    import shutil

    from pipelines.reports.demo import ingest_scenario
    from registries.reports.scenario import generate

    scenario = paths.staging / "scenario"
    shutil.rmtree(scenario, ignore_errors=True)
    facts = generate(scenario, SCENARIO_SEED)
    say(f"  scenario of {facts['arrivals']} arrivals for {facts['municipalities']} municipalities "
        f"(seed {SCENARIO_SEED})")
    try:
        statuses = ingest_scenario(paths, scenario, inst, say, run_config=QUIET_DAGSTER)
    finally:
        shutil.rmtree(scenario, ignore_errors=True)
    return {"arrivals": facts["arrivals"], **statuses}


def _quarantine_example(paths: Paths, say: Callable[[str], None]) -> list[str]:
    """The bundled broken files go through the same path and end in quarantine, with reasons."""
    from kiban.load.files import ingest_file
    from registries.corporate.load import corporate_source
    from registries.moj_map.load import moj_map_source

    cases = [(corporate_source(), f) for f in sorted((SAMPLES / "corporate" / "broken").glob("*.zip"))]
    cases += [(moj_map_source(), f) for f in sorted((SAMPLES / "moj_map" / "broken").glob("*.zip"))]
    out = []
    for source, f in cases:
        result = ingest_file(paths, source, f, source_url=str(f))
        say(f"  {result.summary()}")
        out.append(f"{f.name}: {result.status}")
    return out


def _indicators(paths: Paths) -> int:
    """Indicators last: the time series as known at past arrival times (backfill), then as known now."""
    from kiban.indicators import refresh

    times = refresh.arrival_times(paths, 24)
    if times:
        refresh.backfill(paths, times)
    refresh.refresh(paths)
    return len(times) + 1


def _counts(paths: Paths) -> dict[str, int]:
    from kiban.lake import Lake

    con = Lake(paths).reader()
    try:
        tables = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


@dataclass(frozen=True)
class Release:
    version: str
    path: Path
    manifest: dict


def _publish(paths: Paths, assets: list, resources: dict, inst) -> tuple[Release | None, str | None]:
    """Materialise ``release`` through Dagster (its checks run too): freeze what the demo produced, or say why
    it was blocked."""
    import dagster as dg

    from kiban.releases.store import ReleaseStore

    result = dg.materialize(assets, selection=["release"], resources=resources, instance=inst,
                            run_config=QUIET_DAGSTER, raise_on_error=False)
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        data = failure.step_failure_data.user_failure_data if failure is not None else None
        return None, (data.description if data is not None else "see `kiban dagster dev` for the run log")
    store = ReleaseStore.of(paths)
    version = store.latest()
    return Release(version, store.path(version), store.manifest(version)), None


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def summary(paths: Paths, made: Produced, out: Console) -> None:
    """The demo's last screen: what, where, row counts, the next commands and the ports."""
    home = _rel(paths.home)
    kiban = ".venv/bin/kiban" + ("" if home == "data" else f" --home {home}")
    out.print(f"[bold]Kiban demo: done in {made.seconds:.0f} s; everything is in {home}/ (KIBAN_HOME)[/bold]",
              highlight=False, soft_wrap=True)
    table = Table(show_edge=False, pad_edge=False, box=None)
    names = sorted(made.counts)
    pairs = max(1, min(3, out.width // 38))  # (dataset, rows) pairs side by side: 2 on an 80-column screen
    per_column = -(-len(names) // pairs)
    for _ in range(pairs):
        table.add_column("dataset", no_wrap=True)
        table.add_column("rows", justify="right", no_wrap=True)
    for r in range(per_column):
        cells: list[str] = []
        for c in range(pairs):
            i = c * per_column + r
            cells += [names[i], f"{made.counts[names[i]]:,}"] if i < len(names) else ["", ""]
        table.add_row(*cells)
    out.print(table)
    rep = made.reports
    lines = [
        "",
        f"[bold]Produced[/bold] (in {home}/)",
        f"  lake        lake/ (DuckLake, Parquet); read-only SQL views: {home}/kiban.duckdb",
        f"  reports     {rep.get('arrivals', 0):,} arrivals of the typhoon + monthly scenario: "
        f"{rep.get('submissions', 0):,} submissions, {rep.get('quarantined', 0)} quarantined",
        f"  quarantine  {len(made.quarantined)} broken sample files refused with reasons: {home}/quarantine/",
        f"  indicators  indicator_values at {made.indicator_points} points in time (status page series)",
    ]
    if made.release is not None:
        ds = made.release.manifest["datasets"]
        lines.append(f"  release     {made.release.version}: {len(ds)} datasets, "
                     f"{sum(d['rows'] for d in ds.values()):,} rows: {_rel(made.release.path)}/ "
                     f"(views: {home}/releases/latest.duckdb)")
    else:
        lines.append(f"  release     NOT published: {made.release_error}")
    lines += [
        "",
        "[bold]Next[/bold]",
        f"  {kiban} sql \"select count(*) from corporations\"       read-only SQL, --format csv|json",
        f"  {kiban} serve         status page and API on http://127.0.0.1:8080",
        f"      the typhoon: http://127.0.0.1:8080/status?as_of={TYPHOON_AS_OF.replace('+', '%2B')}",
        f"  {kiban} dagster dev   Dagster UI on http://127.0.0.1:3000 (schedules start stopped; sensors run)",
        f"  {kiban} report national disaster --as-of {TYPHOON_AS_OF} -o report.pdf   第4号様式 (.xlsx/.html/.csv)",
        f"  cd {home} && duckdb -readonly kiban.duckdb   any DuckDB client (views relative to that folder)",
        f"  {kiban} releases list",
    ]
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)
