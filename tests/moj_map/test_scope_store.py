"""How a 地図XML file is stored: its (団体, 地図名) scopes' rows deleted and its rows inserted -- work in
proportion to the file, never a rewrite of the whole ``parcels`` table -- and a first load of a scope only
appends (appends of concurrent loads do not conflict on a shared catalog)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiban.config import paths as make_paths
from kiban.lake import LAKE, Lake
from kiban.load.files import ingest_file
from registries.moj_map import synth
from registries.moj_map.load import moj_map_source, scope_predicate


def zip_of(folder: Path, code: str, map_name: str, rows: int, tag: str = "") -> Path:
    xml = synth.grid_xml_bytes(rows, 3, header=synth.SynthHeader(code, f"市{code}", map_name))
    path = folder / tag / f"{code}-0001.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synth.nested_zip(f"{code}-0001", [(f"{code}-0001-1", xml)]))
    return path


def parcels_files(paths) -> list[tuple[str, str | None]]:
    with Lake(paths).catalog_reader() as con:
        return con.execute("SELECT data_file, delete_file FROM ducklake_list_files(?, 'parcels')", [LAKE]).fetchall()


def counts(paths) -> dict[str, int]:
    con = Lake(paths).reader(spatial=False)
    try:
        return dict(con.execute("SELECT map_name, count(*) FROM parcels GROUP BY 1").fetchall())
    finally:
        con.close()


@pytest.fixture
def home(tmp_path):
    return make_paths(tmp_path / "home").ensure()


def test_new_scopes_append_and_a_republished_file_replaces_only_its_own(home, tmp_path):
    source = moj_map_source()
    assert ingest_file(home, source, zip_of(tmp_path, "13101", "千代田図", 4)).status == "loaded"
    assert ingest_file(home, source, zip_of(tmp_path, "13102", "中央図", 5)).status == "loaded"
    files = parcels_files(home)
    assert len(files) == 2 and all(delete is None for _, delete in files)  # two appends, nothing rewritten
    chiyoda, chuo = (f for f, _ in files)

    republished = ingest_file(home, source, zip_of(tmp_path, "13101", "千代田図", 3, tag="2025"))
    assert republished.status == "loaded", republished.summary()
    assert counts(home) == {"千代田図": 9, "中央図": 15}
    files = dict(parcels_files(home))
    # 千代田's old file, all of whose rows were deleted, left the table; 中央's file is untouched (not rewritten)
    assert chiyoda not in files and files[chuo] is None
    assert len(files) == 2 and all(delete is None for delete in files.values())


def test_the_scope_values_are_bound_never_pasted_into_the_sql(home, tmp_path):
    name = "O'Brien図); DROP TABLE parcels; --"
    sql, params = scope_predicate([{"lg_code": "131016", "map_name": name}, {"lg_code": "131016", "map_name": "B"},
                                   {"lg_code": "131024", "map_name": "C"}])
    assert name not in sql and "131016" not in sql
    assert params == ["131016", ["B", name], "131024", ["C"]]
    source = moj_map_source()
    assert ingest_file(home, source, zip_of(tmp_path, "13101", name, 2)).status == "loaded"
    again = ingest_file(home, source, zip_of(tmp_path, "13101", name, 3, tag="again"))
    assert again.status == "loaded", again.summary()
    assert counts(home) == {name: 9}


def test_a_file_without_scopes_selects_nothing():
    assert scope_predicate([]) == ("false", [])
