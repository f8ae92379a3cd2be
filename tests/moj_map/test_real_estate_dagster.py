"""The real-estate Dagster domain materialised on the bundled samples: loads, asset checks, registry."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from pipelines.common import KibanHome

from kiban import query
from kiban.config import paths as make_paths
from pipelines.moj_map import assets as real_estate

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_domain_materialises_on_samples_with_passing_checks(tmp_path):
    home = make_paths(tmp_path / "home").ensure()
    resources = {"kiban": KibanHome(home=str(home.home)), **real_estate.resources(SAMPLES)}
    result = dg.materialize(real_estate.assets, resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == {"moj_map_files", "parcels", "parcel_registry", "parcel_match_rate",
                            "land_price_files", "land_prices"}
    checks = result.get_asset_check_evaluations()
    by_asset = {c.asset_key.to_user_string() for c in checks}
    assert by_asset == {"parcels", "land_prices"}
    assert {"parcel_in_japan", "parcel_key_unique", "land_price_key_unique"} <= {c.check_name for c in checks}
    assert all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    counts = json.loads(query.run(home, """
        SELECT (SELECT count(*) FROM parcels) AS parcels, (SELECT count(*) FROM land_prices) AS land_prices,
               (SELECT count(*) FROM parcel_registry) AS registry,
               (SELECT count(*) FROM loads WHERE status = 'loaded') AS loads""", fmt="json"))
    # the sample folder's broken/ subfolder is not fetched: only the two good files are loaded
    assert counts == [{"parcels": 4, "land_prices": 3, "registry": 4, "loads": 2}]


def test_registry_sensor_and_definitions_wire_the_abr_dependency():
    from pipelines.definitions import build_definitions

    defs = build_definitions(samples_dir=str(SAMPLES))
    graph = defs.resolve_asset_graph()
    registry = graph.get(dg.AssetKey("parcel_registry"))
    assert {k.to_user_string() for k in registry.parent_keys} == {"parcels", "abr_parcels"}
    assert defs.resolve_sensor_def("parcel_registry_inputs_sensor").job_name == "parcel_registry_refresh"
    assert defs.resolve_job_def("moj_map_monthly") is not None
    assert real_estate.sample_partitions(SAMPLES) == {}
