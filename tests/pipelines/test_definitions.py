"""The Dagster code location: domains merged once, every asset described and owned, lake datasets described by
their contracts, automation instead of hand-written sensors and schedules, sources chosen per deployment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.automation import FRESHNESS_WINDOWS
from pipelines.definitions import build_defs, defs
from schemas import all_contracts

DOMAINS = {"corporate", "municipalities", "abr", "moj_map", "land_price", "reports", "indicators", "releases",
           "addresses"}


def _specs(d: dg.Definitions) -> dict[str, dg.AssetSpec]:
    return {s.key.to_user_string(): s for s in d.resolve_all_asset_specs()}


def test_every_asset_is_described_owned_and_grouped_by_its_domain_folder():
    specs = _specs(defs)
    assert {s.group_name for s in specs.values()} == DOMAINS
    for key, spec in specs.items():
        assert spec.description, f"{key} has no description"
        assert spec.owners, f"{key} has no owner"
        module = defs.resolve_assets_def(spec.key).op.compute_fn.decorated_fn.__module__
        assert module.split(".")[1] == spec.group_name, (key, module)


def test_every_lake_dataset_asset_carries_the_column_schema_of_its_contract():
    specs = _specs(defs)
    contracts = {n: c for n, c in all_contracts().items() if c.group != "platform"}
    assert set(contracts) <= set(specs), set(contracts) - set(specs)
    for name, contract in contracts.items():
        schema = specs[name].metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description, c.constraints.nullable) for c in schema.columns] == [
            (c.name, c.duckdb_type, f"{c.ja} / {c.en}", c.nullable) for c in contract.columns], name
        assert specs[name].metadata["dagster/table_name"] == f"lake.{name}"


def test_every_lake_dataset_has_the_freshness_policy_of_its_cadence():
    specs = _specs(defs)
    for name, contract in all_contracts().items():
        if name not in specs:
            continue
        policy, windows = specs[name].freshness_policy, FRESHNESS_WINDOWS[contract.cadence]
        if windows is None:
            assert policy is None, name
            continue
        warn, fail = windows
        assert policy.fail_window.to_timedelta() == fail, name
        assert (policy.warn_window.to_timedelta() if policy.warn_window else None) == warn, name
    assert specs["corporations"].freshness_policy.fail_window.to_timedelta().days == 2  # daily 差分


def test_automation_conditions_replace_schedules_and_lake_polling_sensors():
    repo = defs.get_repository_def()
    assert list(repo.schedule_defs) == []
    sensors = {s.name: s for s in repo.sensor_defs}
    assert set(sensors) == {"kiban_automation", "reports_landing_sensor"}
    assert isinstance(sensors["kiban_automation"], dg.AutomationConditionSensorDefinition)
    assert sensors["kiban_automation"].default_status == dg.DefaultSensorStatus.RUNNING
    specs = _specs(defs)
    fetches = {k for k, s in specs.items() if s.kinds == {"python", "file"}}
    assert fetches == {"nta_full_files", "nta_diff_files", "municipality_master_files", "abr_files",
                       "moj_map_files", "land_price_files"}
    for key in fetches:
        assert specs[key].automation_condition.get_label().startswith("on_cron("), key
    for key in ("corporations", "abr_towns", "parcels", "parcel_registry", "land_prices", "indicator_values"):
        assert specs[key].automation_condition.get_label().startswith("eager"), key
    assert specs["release"].automation_condition.get_label() == "after registry loads"


def test_each_deployment_chooses_its_own_source_implementations():
    official, samples = build_defs("official").resources, build_defs("samples").resources
    assert set(official) == set(samples) == {"lake", "nta", "municipality_master", "abr", "moj_map", "land_price"}
    for key in set(official) - {"lake"}:
        assert type(official[key]) is not type(samples[key]), key
        assert type(official[key]).__mro__[1] is type(samples[key]).__mro__[1], key  # one abstract resource each
    assert Path(samples["nta"].folder).name == "corporate"


def test_a_set_setting_reaches_the_resource_as_an_environment_variable(monkeypatch):
    monkeypatch.setenv("KIBAN_NTA_DOWNLOAD_URL", "http://127.0.0.1:9/download/")
    nta = build_defs("official").resources["nta"]
    assert nta.download_url == dg.EnvVar("KIBAN_NTA_DOWNLOAD_URL")
    monkeypatch.delenv("KIBAN_NTA_DOWNLOAD_URL")
    assert build_defs("official").resources["nta"].download_url == ""


def test_an_unknown_deployment_name_is_refused(monkeypatch):
    from pipelines.settings import deployment

    monkeypatch.setenv("KIBAN_DEPLOYMENT", "staging")
    with pytest.raises(ValueError, match="KIBAN_DEPLOYMENT='staging'"):
        deployment()
    monkeypatch.setenv("KIBAN_DEPLOYMENT", "samples")
    assert deployment() == "samples"


def test_the_definitions_validate_through_dagster(tmp_path):
    """`kiban dagster definitions validate` finds this environment's dagster and sets the instance under KIBAN_HOME;
    it runs without an activated venv. (The samples deployment is validated in process.)"""
    dg.Definitions.validate_loadable(build_defs("samples"))
    kiban = Path(sys.executable).parent / "kiban"
    env = {"HOME": os.environ.get("HOME", "/root"), "KIBAN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
           "DAGSTER_DISABLE_TELEMETRY": "1", "KIBAN_DEPLOYMENT": "official"}
    done = subprocess.run([str(kiban), "dagster", "definitions", "validate"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout
    yaml = (tmp_path / "home" / "dagster" / "dagster.yaml").read_text()
    assert "enabled: false" in yaml and "run_launcher" not in yaml
