"""The demo's output: Dagster logs warnings only, and the last screen is the summary (what, where, row counts,
the next commands and the ports)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import dagster as dg
from rich.console import Console

from kiban.config import paths as make_paths
from kiban.demo import QUIET_DAGSTER, TYPHOON_AS_OF, Produced, summary


@dg.asset
def tiny() -> int:
    return 1


def test_the_demo_runs_dagster_with_warnings_only(capfd):
    assert dg.materialize([tiny], instance=dg.DagsterInstance.ephemeral()).success
    noisy = capfd.readouterr().err
    assert "DEBUG" in noisy and "STEP_START" in noisy  # Dagster's default: every event on the console
    assert dg.materialize([tiny], instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_DAGSTER).success
    quiet = capfd.readouterr().err
    assert "DEBUG" not in quiet and "STEP_START" not in quiet and "INFO" not in quiet


def test_the_summary_says_what_was_produced_where_and_what_to_run_next(tmp_path):
    home = make_paths(tmp_path / "home")
    release = SimpleNamespace(version="2026-11-30.1", path=home.home / "releases" / "2026-11-30.1",
                              manifest={"datasets": {"corporations": {"rows": 289}, "municipalities": {"rows": 1971}}})
    made = Produced(counts={"corporations": 289, "municipalities": 1971, "report_versions": 73430},
                    reports={"arrivals": 3818, "submissions": 3802, "quarantined": 0},
                    quarantined=["a.zip: quarantined", "b.zip: quarantined", "c.zip: quarantined"],
                    indicator_points=25, release=release, seconds=576.6)
    buf = io.StringIO()
    summary(home, made, Console(file=buf, width=160, force_terminal=False))
    text = buf.getvalue()
    lines = text.splitlines()
    assert len(lines) < 30  # one screen
    assert lines[0].startswith("Kiban demo: done in 577 s") and str(home.home) in lines[0]
    assert any("corporations" in ln and "289" in ln and "report_versions" in ln and "73,430" in ln for ln in lines)
    assert "2026-11-30.1: 2 datasets, 2,260 rows" in text and "3 broken sample files" in text
    assert f"--home {home.home} serve" in text and "http://127.0.0.1:8080" in text
    assert f"status?as_of={TYPHOON_AS_OF.replace('+', '%2B')}" in text
    assert "dagster dev" in text and "http://127.0.0.1:3000" in text and "schedules start stopped" in text
    assert lines[-1].strip().endswith("releases list")  # the summary is the last thing on the screen


def test_the_dataset_table_fits_an_80_column_screen(tmp_path):
    counts = {f"report_population_monthly_{i}": 73430 + i for i in range(25)}
    buf = io.StringIO()
    summary(make_paths(tmp_path / "h"), Produced(counts=counts), Console(file=buf, width=80, force_terminal=False))
    table = buf.getvalue().splitlines()[1:15]
    assert all(len(line) <= 80 for line in table)
    shown = " ".join(table)
    assert all(f"{name}" in shown and f"{n:,}" in shown for name, n in counts.items())  # nothing cut
