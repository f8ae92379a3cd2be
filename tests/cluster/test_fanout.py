"""The national fan-out's backfills (``KIBAN_FANOUT=area``): a run of a backfill loads the pending files of its
range of areas and nothing else, so areas are loaded once whatever the split. Runs on the laptop lake; the same
assets run on PostgreSQL and S3 in ``bench/bench_fanout.py`` and ``test_runs.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiban.archive import FetchLog, RawArchive
from kiban.config import paths as resolve
from registries.moj_map import synth

REPO = Path(__file__).resolve().parents[2]

AREAS = ["13101", "13102", "13103", "13104"]


def queue_zips(paths, folder) -> None:
    archive, log = RawArchive(paths.raw), FetchLog(paths.raw, "moj_map")
    for code in AREAS:
        xml = synth.grid_xml_bytes(2, 3, header=synth.SynthHeader(code, f"市{code}", "合成グリッド"))
        zip_path = folder / f"{code}-0001.zip"
        zip_path.write_bytes(synth.nested_zip(f"{code}-0001", [(f"{code}-0001-1", xml)]))
        log.record(archive.put_file(zip_path))


RUNS = """
import json, sys
import dagster as dg
from kiban.config import paths as resolve
from kiban.lake import Lake
from kiban.orchestration import instance
from pipelines.definitions import build_defs

paths = resolve()
defs = build_defs("official", home=str(paths.home))
assets = [*(defs.assets or []), *(defs.asset_checks or [])]
policy = defs.resolve_assets_def("parcels").backfill_policy
out = {"max_partitions_per_run": policy.max_partitions_per_run if policy else None, "loaded": []}

def loaded():
    con = Lake(paths).reader(spatial=False)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT left(lg_code, 5) FROM parcels ORDER BY 1").fetchall()]
    finally:
        con.close()

with instance(paths) as inst:
    inst.add_dynamic_partitions("moj_map_area", sys.argv[1].split(","))
    for first, last in (a.split(":") for a in sys.argv[2:]):
        result = dg.materialize(assets, selection=["parcels"], resources=defs.resources, instance=inst,
                                tags={"dagster/asset_partition_range_start": first,
                                      "dagster/asset_partition_range_end": last})
        out["loaded"].append(loaded() if result.success else "failed")
    out["materialized"] = sorted(inst.get_materialized_partitions(dg.AssetKey("parcels")))
print(json.dumps(out))
"""


def test_a_backfill_run_loads_only_its_range_of_areas_and_the_next_run_the_rest(tmp_path):
    paths = resolve(tmp_path / "home").ensure()
    queue_zips(paths, tmp_path)
    env = {**os.environ, "KIBAN_HOME": str(paths.home), "KIBAN_FANOUT": "area", "KIBAN_FANOUT_AREAS_PER_RUN": "2",
           "PYTHONPATH": str(REPO)}
    # the assets' partitions are set when their module is imported: a process of its own, as a run worker is
    done = subprocess.run([sys.executable, "-c", RUNS, ",".join(AREAS), "13102:13103", "13101:13104"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["max_partitions_per_run"] == 2
    # the first run loads its two areas only; the whole range then loads only what is still pending
    assert out["loaded"] == [["13102", "13103"], AREAS]
    assert out["materialized"] == AREAS


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
