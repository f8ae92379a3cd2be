"""The 地図XML (with the parcel registry) and land-price domains materialised through Dagster on the samples."""

from __future__ import annotations

import json

import dagster as dg

from kiban import query
from pipelines.definitions import build_defs


def test_the_domains_materialise_on_samples_with_passing_checks(home):
    d = build_defs("samples")
    selection = ["moj_map_files", "parcels", "parcel_registry", "parcel_match_rate", "land_price_files",
                 "land_prices"]
    with dg.instance_for_test() as instance:
        result = dg.materialize([*d.assets, *d.asset_checks], selection=selection, resources=d.resources,
                                instance=instance)
    assert result.success
    materialised = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert set(materialised) == set(selection)
    checks = result.get_asset_check_evaluations()
    assert {c.asset_key.to_user_string() for c in checks} == {"parcels", "land_prices", "parcel_registry"}
    assert {"parcel_in_japan", "parcel_key_unique", "land_price_key_unique", "key_unique",
            "abr_parcels_kept"} <= {c.check_name for c in checks}
    assert all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    assert materialised["parcels"]["dagster/row_count"].value == 4
    assert materialised["parcels"]["staging"].value[0]["file"] == "13101-0001.zip"
    assert materialised["parcel_registry"]["dagster/row_count"].value == 4
    assert materialised["parcel_match_rate"]["dagster/row_count"].value == 1
    assert materialised["land_prices"]["dagster/row_count"].value == 3
    counts = json.loads(query.run(home, """
        SELECT (SELECT count(*) FROM parcels) AS parcels, (SELECT count(*) FROM land_prices) AS land_prices,
               (SELECT count(*) FROM parcel_registry) AS registry,
               (SELECT count(*) FROM loads WHERE status = 'loaded') AS loads""", fmt="json"))
    # the sample folder's broken/ subfolder is not fetched: only the two good files are loaded
    assert counts == [{"parcels": 4, "land_prices": 3, "registry": 4, "loads": 2}]


def test_the_parcel_registry_follows_parcels_and_the_abr_parcels():
    graph = build_defs("samples").resolve_asset_graph()
    registry = graph.get(dg.AssetKey("parcel_registry"))
    assert {k.to_user_string() for k in registry.parent_keys} == {"parcels", "abr_parcels"}
    assert registry.automation_condition.get_label() == "eager"
    assert registry.group_name == "moj_map"
    assert graph.get(dg.AssetKey("land_prices")).group_name == "land_price"
