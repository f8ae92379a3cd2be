"""A lake write made outside a run (the intake service) is recorded in Dagster as a runless materialisation,
and the automation conditions react to it as to any run's: ``indicator_values`` is requested."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from kiban.orchestration import LakeWriteRecorder, record_lake_write
from pipelines.definitions import build_defs


def _requested(defs: dg.Definitions, instance: dg.DagsterInstance, cursor=None):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    keys = {k.to_user_string() for k in (dg.AssetKey(s.key.path) for s in defs.resolve_all_asset_specs())
            if result.get_num_requested(k)}
    return keys, result.cursor


def test_a_recorded_lake_write_is_in_the_event_log_with_row_count_and_schema():
    with dg.instance_for_test() as instance:
        record_lake_write(instance, "report_versions", {"dagster/row_count": 12, "batch_id": "b-1"})
        event = instance.get_latest_materialization_event(dg.AssetKey("report_versions"))
        assert event is not None and event.run_id == ""  # runless
        meta = event.asset_materialization.metadata
        assert meta["dagster/row_count"].value == 12 and meta["batch_id"].value == "b-1"
        assert "report_id" in [c.name for c in meta["dagster/column_schema"].schema.columns]


def test_a_recorded_write_of_report_versions_requests_the_eager_indicators():
    defs = build_defs("samples")
    with dg.instance_for_test() as instance:
        first, cursor = _requested(defs, instance)
        assert "indicator_values" not in first  # report_versions never materialised: nothing to compute from
        record_lake_write(instance, "report_versions", {"dagster/row_count": 3})
        second, cursor = _requested(defs, instance, cursor)
        assert "indicator_values" in second
        assert "release" not in second  # live data is served directly; it does not publish a release
        third, _ = _requested(defs, instance, cursor)
        assert "indicator_values" not in third  # handled: not requested again without a new write


def test_a_registry_load_requests_the_release_and_its_downstream():
    defs = build_defs("samples")
    with dg.instance_for_test() as instance:
        _, cursor = _requested(defs, instance)
        for key in ("abr_parcels", "parcels"):
            record_lake_write(instance, key)
        requested, _ = _requested(defs, instance, cursor)
        assert {"release", "parcel_registry", "parcel_match_rate"} <= requested


def test_the_recorder_opens_the_instance_under_kiban_home_once(home):
    with LakeWriteRecorder(home) as recorder:
        recorder.record("reports_latest", {"dagster/row_count": 5})
        first = recorder._instance
        recorder.record("report_versions", {"dagster/row_count": 7})
        assert recorder._instance is first
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        latest = instance.get_latest_materialization_event(dg.AssetKey("report_versions"))
        assert latest.asset_materialization.metadata["dagster/row_count"].value == 7


def test_importing_the_orchestration_module_imports_no_dagster():
    code = "import sys, kiban.orchestration; print('dagster' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
