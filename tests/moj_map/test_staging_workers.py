"""Many 地図XML files staged in worker processes load exactly as one at a time, each failure on its own."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from kiban.archive import FetchLog, RawArchive
from kiban.config import paths as make_paths
from kiban.lake import Lake
from registries.moj_map import sample, synth
from registries.moj_map.load import moj_map_source

SQUARE = [(25917.765, -42247.011), (25937.765, -42247.011), (25937.765, -42227.011), (25917.765, -42227.011)]


def _file(tmp: Path, name: str, map_name: str, parcels: int) -> Path:
    header = synth.SynthHeader("13101", "千代田区", map_name)
    rows = [synth.SynthParcel(str(k + 1), [(e + 30 * k, n) for e, n in SQUARE]) for k in range(parcels)]
    path = tmp / name
    path.write_bytes(synth.nested_zip(path.stem, [(f"{path.stem}-1", synth.render(header, rows).encode())]))
    return path


def _home(tmp: Path, files: list[Path]):
    paths = make_paths(tmp / "home").ensure()
    archive, log = RawArchive(paths.raw), FetchLog(paths.raw, "moj_map")
    for f in files:
        log.record(archive.put_file(f))
    return paths


def _outcome(paths, results):
    statuses = [(r.source_file, r.status, [e["rule"] for e in r.errors]) for r in results]
    with Lake(paths).reader() as con:
        rows = con.execute("SELECT map_name, chiban FROM parcels ORDER BY map_name, chiban").fetchall()
    return statuses, rows


def test_files_staged_in_two_workers_load_like_one_at_a_time_and_a_bad_one_is_quarantined_alone(tmp_path):
    from kiban.load.files import ingest_pending

    files = [_file(tmp_path, f"13101-000{k}.zip", f"図{k}", k + 1) for k in range(1, 5)]
    broken = tmp_path / "13101-0009.zip"
    broken.write_bytes(synth.nested_zip("13101-0009", [("13101-0009-1", sample.surveyed_xml("丸の\x0b内"))]))
    files.insert(2, broken)
    order = lambda e: e["original_name"]  # noqa: E731
    one = ingest_pending(_home(tmp_path / "one", files), moj_map_source(), order=order)
    two = ingest_pending(_home(tmp_path / "two", files), moj_map_source(), order=order, workers=2)
    statuses, rows = _outcome(make_paths(tmp_path / "two" / "home"), two)
    assert _outcome(make_paths(tmp_path / "one" / "home"), one) == (statuses, rows)
    assert [s[1] for s in statuses] == ["loaded", "loaded", "loaded", "loaded", "quarantined"]
    assert statuses[4] == ("13101-0009.zip", "quarantined", ["xml_illegal_character"])
    assert len(rows) == 2 + 3 + 4 + 5
    assert not list((make_paths(tmp_path / "two" / "home").staging).glob("workers-*"))


def test_a_file_that_kills_its_worker_is_quarantined_and_the_others_load(tmp_path, monkeypatch):
    from kiban.load.files import ingest_pending

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "helpers"))
    import dying_stage

    files = [_file(tmp_path, name, name[:-4], 2) for name in ("a-0001.zip", "die-0002.zip", "z-0003.zip")]
    source = dataclasses.replace(moj_map_source(), stage=dying_stage.stage)
    results = ingest_pending(_home(tmp_path, files), source, order=lambda e: e["original_name"], workers=2)
    by_name = {r.source_file: r for r in results}
    assert by_name["die-0002.zip"].status == "quarantined"
    assert [e["rule"] for e in by_name["die-0002.zip"].errors] == ["worker_died"]
    assert by_name["a-0001.zip"].status == by_name["z-0003.zip"].status == "loaded"
    assert "dying_stage" in sys.modules


@pytest.mark.parametrize("workers", [1, 2])
def test_a_single_pending_file_is_loaded_in_process(tmp_path, workers):
    from kiban.load.files import ingest_pending

    results = ingest_pending(_home(tmp_path, [_file(tmp_path, "13101-0001.zip", "図", 3)]), moj_map_source(),
                             workers=workers)
    assert [(r.status, r.info["rows"]) for r in results] == [("loaded", 3)]
