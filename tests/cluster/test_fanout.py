"""The national fan-out's backfills (``KIBAN_FANOUT=area``): a run of a backfill loads the pending files of its
range of areas and nothing else, so areas are loaded once whatever the split. Runs on the laptop lake; the same
assets run on PostgreSQL and S3 in ``bench/bench_fanout.py`` and ``test_runs.py``."""

from __future__ import annotations

import dagster as dg
import pytest

from kiban.archive import FetchLog, RawArchive
from kiban.config import paths as resolve
from kiban.orchestration import instance
from registries.moj_map import synth

AREAS = ["13101", "13102", "13103", "13104"]


def queue_zips(paths, folder) -> None:
    archive, log = RawArchive(paths.raw), FetchLog(paths.raw, "moj_map")
    for code in AREAS:
        xml = synth.grid_xml_bytes(2, 3, header=synth.SynthHeader(code, f"市{code}", "合成グリッド"))
        zip_path = folder / f"{code}-0001.zip"
        zip_path.write_bytes(synth.nested_zip(f"{code}-0001", [(f"{code}-0001-1", xml)]))
        log.record(archive.put_file(zip_path))


def test_a_backfill_run_loads_only_its_range_of_areas_and_the_next_run_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("KIBAN_FANOUT", "area")
    monkeypatch.setenv("KIBAN_FANOUT_AREAS_PER_RUN", "2")
    from pipelines.definitions import build_defs

    paths = resolve(tmp_path / "home").ensure()
    queue_zips(paths, tmp_path)
    defs = build_defs("official", home=str(paths.home))
    load = defs.resolve_assets_def("parcels")
    assert load.backfill_policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=2)
    assets = [*(defs.assets or []), *(defs.asset_checks or [])]

    def run(first: str, last: str) -> None:
        result = dg.materialize(assets, selection=["parcels"], resources=defs.resources, instance=inst,
                                tags={"dagster/asset_partition_range_start": first,
                                      "dagster/asset_partition_range_end": last})
        assert result.success

    def loaded() -> list[str]:
        from kiban.lake import Lake

        con = Lake(paths).reader(spatial=False)
        try:
            return [r[0] for r in con.execute("SELECT DISTINCT left(lg_code, 5) FROM parcels ORDER BY 1").fetchall()]
        finally:
            con.close()

    with instance(paths) as inst:
        inst.add_dynamic_partitions("moj_map_area", AREAS)
        run("13102", "13103")
        assert loaded() == ["13102", "13103"]
        run("13101", "13104")  # the whole range: only what is still pending is loaded
        assert loaded() == AREAS
        materialized = inst.get_materialized_partitions(dg.AssetKey("parcels"))
        assert materialized == set(AREAS)


@pytest.mark.parametrize("value", ["0", "-1", "ten", "2.5"])
def test_areas_per_run_must_be_a_positive_integer(monkeypatch, value):
    from pipelines.fanout import areas_per_run

    monkeypatch.setenv("KIBAN_FANOUT_AREAS_PER_RUN", value)
    with pytest.raises(ValueError, match="KIBAN_FANOUT_AREAS_PER_RUN"):
        areas_per_run()


def test_without_fan_out_the_loads_have_no_partitions_and_no_backfill_policy(monkeypatch):
    monkeypatch.delenv("KIBAN_FANOUT", raising=False)
    from pipelines.fanout import backfill_policy

    assert backfill_policy() is None
