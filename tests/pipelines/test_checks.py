"""Asset checks report only what was checked: a run that validated nothing yields no check result (never a pass);
derived tables and releases are checked after they are written."""

from __future__ import annotations

import dagster as dg
import duckdb

from kiban.load import LoadResult
from pipelines.checks import ge_check_results, key_duplicates
from pipelines.definitions import build_defs
from schemas.land_price import LAND_PRICES, LAND_PRICES_RULES
from schemas.moj_map import PARCEL_MATCH_RATE


def _load(file: str, status: str, results: list[dict], dataset: str = LAND_PRICES.name) -> LoadResult:
    report = {"dataset": dataset, "row_count": 3, "results": results}
    return LoadResult("id", "land_price", file, "0" * 64, status, validation=[report])


def test_checks_of_a_run_that_validated_no_file_are_not_reported():
    assert list(ge_check_results(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES, [])) == []
    duplicate = LoadResult("id", "land_price", "a.json", "0" * 64, "duplicate")  # skipped before validation
    assert list(ge_check_results(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES, [duplicate])) == []


def test_a_check_fails_when_it_failed_for_any_file_and_reports_only_checks_that_ran():
    ok = _load("a.json", "loaded", [{"name": "point_id__not_null", "success": True}])
    bad = _load("b.json", "quarantined", [{"name": "point_id__not_null", "success": False, "unexpected_count": 2,
                                          "samples": [{"row": 4}]}])
    other = _load("c.json", "loaded", [{"name": "point_id__not_null", "success": False}], dataset="parcels")
    results = list(ge_check_results(LAND_PRICES.name, LAND_PRICES, LAND_PRICES_RULES, [ok, bad, other]))
    assert [(r.check_name, r.passed) for r in results] == [("point_id__not_null", False)]
    meta = results[0].metadata
    assert meta["files_validated"].value == 2 and meta["unexpected_count"].value == 2
    assert meta["failed_files"].value == ["b.json"]


def test_a_second_run_with_no_new_file_yields_no_passed_check(home):
    d = build_defs("samples")
    selection = ["land_price_files", LAND_PRICES.name]
    with dg.instance_for_test() as instance:
        first = dg.materialize(list(d.assets), selection=selection, resources=d.resources, instance=instance)
        checks = first.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
        assert {c.asset_key.to_user_string() for c in checks} == {LAND_PRICES.name}
        again = dg.materialize(list(d.assets), selection=selection, resources=d.resources, instance=instance)
        assert again.success and again.get_asset_check_evaluations() == []
        key = dg.AssetCheckKey(dg.AssetKey(LAND_PRICES.name), checks[0].check_name)
        latest = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)[0]
        assert latest.run_id == again.run_id
        assert latest.status.value == "PLANNED"  # shown as not executed, never as passed
        mat = again.asset_materializations_for_node("land_prices_load")[0].metadata
        assert mat["files_loaded"].value == 0 and mat["dagster/row_count"].value == 3


def test_duplicated_keys_of_a_derived_table_are_counted_and_sampled():
    con = duckdb.connect()
    con.execute("CREATE TABLE parcel_match_rate AS SELECT * FROM (VALUES ('131016'), ('131016'), ('131016'), "
                "('131024')) t(lg_code)")
    rows, extra, sample = key_duplicates(con, PARCEL_MATCH_RATE)
    assert (rows, extra) == (4, 2)
    assert sample == [{"lg_code": "131016", "n": 3}]
    con.execute("DELETE FROM parcel_match_rate WHERE lg_code = '131016'")
    assert key_duplicates(con, PARCEL_MATCH_RATE) == (1, 0, [])


def test_the_release_verifies_its_manifest_after_publishing(home):
    d = build_defs("samples")
    with dg.instance_for_test() as instance:
        result = dg.materialize(list(d.assets), selection=["land_price_files", LAND_PRICES.name, "release"],
                                resources=d.resources, instance=instance)
        assert result.success
        [check] = [c for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey("release")]
        assert check.check_name == "manifest_verifies" and check.passed
        assert check.metadata["files"].value > 0 and check.metadata["mismatches"].value == []
        meta = result.asset_materializations_for_node("release")[0].metadata
        assert meta["rows"].value[LAND_PRICES.name] == 3
