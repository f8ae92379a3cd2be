"""The 法人番号 domain materialised through Dagster on the bundled samples: 差分 partitions, 全件, checks."""

from __future__ import annotations

import dagster as dg

from kiban import query
from pipelines.corporate.assets import load_order
from pipelines.definitions import build_defs, sample_partitions


def test_the_samples_load_in_date_order_with_checks_on_events_and_state(home):
    d = build_defs("samples")
    assets = [*d.assets, *d.asset_checks]
    assert sample_partitions()["nta_diff_files"][:1] == ["2026-11-02"]
    with dg.instance_for_test() as instance:
        res = dg.materialize(assets, selection=["nta_diff_files"], partition_key="2026-11-02", resources=d.resources,
                             instance=instance)
        assert res.success
        res = dg.materialize(assets, selection=["nta_full_files", "corporate_events", "corporations",
                                                "corporate_reconciliation"], resources=d.resources, instance=instance)
    assert res.success
    checks = res.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    by_asset = {c.asset_key.to_user_string() for c in checks}
    assert by_asset == {"corporate_events", "corporations"}
    assert {c.check_name for c in checks if c.asset_key == dg.AssetKey("corporations")} == {
        "key_unique", "backed_by_events"}
    assert {"corporate_number__pattern", "corporate_number_check_digit", "process__in_codes"} <= {
        c.check_name for c in checks}
    mats = {m.asset_key.to_user_string(): m.materialization.metadata for m in res.get_asset_materialization_events()}
    assert mats["corporations"]["dagster/row_count"].value == int(
        query.run(home, "SELECT count(*) FROM corporations", fmt="csv").split()[1])
    assert mats["corporate_events"]["dagster/row_count"].value > mats["corporations"]["dagster/row_count"].value
    assert [f["file"] for f in mats["corporate_reconciliation"]["files"].value] == [
        "00_zenkoku_all_20261030.zip", "00_zenkoku_all_20261130.zip"]  # the 全件 files reconcile; the 差分 does not
    # both bundled 全件 (October, November) and the one 差分 partition, loaded in date order
    files = query.run(home, "SELECT source_file FROM loads WHERE source = 'corporate' ORDER BY started_at", fmt="csv")
    assert files.split()[1:] == ["00_zenkoku_all_20261030.zip", "diff_20261102.zip", "00_zenkoku_all_20261130.zip"]


def test_the_load_order_is_by_file_date_with_the_full_file_first_on_a_tie():
    names = ["diff_20261130.zip", "00_zenkoku_all_20261130.zip", "diff_20261102.zip"]
    ordered = sorted(({"original_name": n} for n in names), key=load_order)
    assert [e["original_name"] for e in ordered] == ["diff_20261102.zip", "00_zenkoku_all_20261130.zip",
                                                     "diff_20261130.zip"]
