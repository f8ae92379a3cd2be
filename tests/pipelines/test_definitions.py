"""The Dagster code location loads; every asset is documented, owned and grouped; datasets carry their GE checks."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import build_definitions, defs


def test_definitions_load_and_every_asset_is_described_owned_and_grouped():
    specs = list(defs.resolve_all_asset_specs())
    assert specs
    for spec in specs:
        key = spec.key.to_user_string()
        assert spec.description, f"{key} has no description"
        assert spec.owners, f"{key} has no owner"
        assert spec.group_name and spec.group_name != "default", f"{key} has no group"


def test_every_lake_dataset_asset_has_great_expectations_checks():
    repo = defs.get_repository_def()
    check_keys = {c.asset_key.to_user_string() for c in repo.asset_graph.asset_check_keys}
    for name in ("corporate_events",):
        assert name in check_keys
    corporate = [c.name for c in repo.asset_graph.asset_check_keys if c.asset_key == dg.AssetKey("corporate_events")]
    for expected in ("columns__ordered", "corporate_number__pattern", "corporate_number_check_digit",
                     "process__in_codes", "assignment_date__castable"):
        assert expected in corporate


def test_schedules_run_in_japan_time():
    repo = build_definitions().get_repository_def()
    tz = {s.name: s.execution_timezone for s in repo.schedule_defs}
    assert tz["nta_full_monthly_schedule"] == "Asia/Tokyo"
    assert tz["nta_diff_daily_schedule"] == "Asia/Tokyo"


def test_corporate_assets_materialise_on_samples_with_checks(home, samples):
    d = build_definitions(home=str(home.home), samples_dir=str(samples))
    assets = list(d.assets)
    res = dg.materialize(assets, selection=["nta_diff_files"], partition_key="2026-11-02",
                         resources=d.resources, raise_on_error=True)
    assert res.success
    res = dg.materialize(assets, selection=["nta_full_files", "corporate_events", "corporations",
                                                            "corporate_reconciliation"], resources=d.resources)
    assert res.success
    checks = res.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    mats = {m.asset_key.to_user_string(): m for m in res.get_asset_materialization_events()}
    assert {"corporate_events", "corporations", "corporate_reconciliation"} <= set(mats)
    from kiban import query

    # both bundled 全件 (October, November) and the one 差分 partition, loaded in date order
    files = query.run(home, "SELECT source_file FROM loads WHERE source = 'corporate' ORDER BY started_at", fmt="csv")
    assert files.split()[1:] == ["00_zenkoku_all_20261030.zip", "diff_20261102.zip", "00_zenkoku_all_20261130.zip"]


def test_kiban_dagster_validates_the_code_location_without_an_activated_venv(tmp_path):
    """`kiban dagster ...` finds this environment's dagster and sets the instance under KIBAN_HOME."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    kiban = Path(sys.executable).parent / "kiban"
    env = {"HOME": os.environ.get("HOME", "/root"), "KIBAN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
           "DAGSTER_DISABLE_TELEMETRY": "1"}
    done = subprocess.run([str(kiban), "dagster", "definitions", "validate"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout
    assert "enabled: false" in (tmp_path / "home" / "dagster" / "dagster.yaml").read_text()
