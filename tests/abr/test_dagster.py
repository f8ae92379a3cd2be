"""The municipality master and ABR domains materialised through Dagster on the bundled samples."""

from __future__ import annotations

import dagster as dg

from kiban import query
from pipelines.abr.definitions import abr_resource
from pipelines.abr.definitions import build_defs as abr_defs
from pipelines.lake import LakeResource
from pipelines.municipalities.definitions import build_defs as municipality_defs


def _defs(home) -> dg.Definitions:
    return dg.Definitions.merge(municipality_defs("samples"), abr_defs("samples"),
                                dg.Definitions(resources={"lake": LakeResource(home=str(home.home))}))


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}


def test_the_domains_load_the_samples_with_one_materialisation_and_row_count_per_table(home):
    d = _defs(home)
    with dg.instance_for_test() as instance:
        result = dg.materialize(list(d.assets), resources=d.resources, instance=instance)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert {"municipalities", "municipality_codes", "abr_towns", "abr_parcels"} <= {
            e.asset_key.to_user_string() for e in checks}
        failed = [(e.asset_key.to_user_string(), e.check_name) for e in checks if not e.passed]
        # the one warning: the parcel point published with lat/lon swapped (fixed, reported)
        assert failed == [("abr_parcels", "rep_lonlat_swapped")]
        assert [e.severity for e in checks if not e.passed] == [dg.AssetCheckSeverity.WARN]
        meta = _metadata(result)
        counts = query.run(home, "SELECT (SELECT count(*) FROM municipalities) AS m, (SELECT count(*) FROM abr_towns) "
                                 "AS t, (SELECT count(*) FROM abr_parcels) AS p", fmt="csv")
        assert counts.splitlines()[1] == "1971,4,3"
        assert meta["municipalities"]["dagster/row_count"].value == 1971
        assert meta["abr_towns"]["dagster/row_count"].value == 4
        assert meta["abr_parcels"]["dagster/row_count"].value == 3
        assert meta["abr_parcels"]["swapped_lonlat_fixed"].value == 1
        assert meta["abr_towns"]["swapped_lonlat_fixed"].value == 0
        assert [f["file"] for f in meta["abr_towns"]["files"].value] == ["mt_town_all.set.zip"]

        # a second run fetches the same files: nothing is queued or loaded again, and no check is reported
        again = dg.materialize(list(d.assets), resources=d.resources, instance=instance)
        assert again.success and again.get_asset_check_evaluations() == []
        meta = _metadata(again)
        assert meta["abr_files"]["queued"].value == 0 and meta["abr_files"]["count"].value == 6
        assert meta["municipality_master_files"]["queued"].value == 0
        assert meta["abr_towns"]["files_loaded"].value == 0 and meta["abr_towns"]["dagster/row_count"].value == 4


def test_a_type_selection_narrows_the_sample_feed(home):
    from pipelines.abr.resources import AbrSampleFeed

    folder = abr_resource("samples").folder
    narrowed = AbrSampleFeed(folder=folder, types="town").files(home)
    assert sorted(p.name for p in narrowed) == ["mt_town_all.csv.zip", "mt_town_pos_pref13.csv.zip",
                                                "mt_town_pos_pref22.csv.zip"]
    everything = AbrSampleFeed(folder=folder).files(home)
    assert len(everything) > len(narrowed)
