"""A small lake written through ``Lake.writer()`` (real contracts, synthetic rows), built once and copied."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kiban.config import Paths
from kiban.config import paths as make_paths
from kiban.lake import Lake, contract_select
from schemas import all_contracts
from schemas.platform import LOADS

CORP_ROWS = 60
PREFS = ("01", "13", "47")


def contracts() -> dict:
    """All contracts, with corporations partitioned by prefecture (exercises Hive partitions)."""
    cs = all_contracts()
    cs["corporations"] = dataclasses.replace(cs["corporations"], partition_by=("prefecture_code",))
    return cs


def corporations_select(n: int = CORP_ROWS, name_suffix: str = "") -> str:
    c = contracts()["corporations"]
    src = f"""
        SELECT CAST(1000000000000 + i * 7 AS VARCHAR) AS corporate_number, '01' AS process, '0' AS correct,
               DATE '2020-01-01' + CAST(i AS INTEGER) AS update_date, DATE '2019-12-01' AS change_date,
               '株式会社テスト' || i || '{name_suffix}' AS name, CASE WHEN i % 2 = 0 THEN '301' ELSE '305' END AS kind,
               ['{PREFS[0]}', '{PREFS[1]}', '{PREFS[2]}'][i % 3 + 1] AS prefecture_code, '101' AS city_code,
               DATE '2015-10-05' AS assignment_date, '1' AS latest, '0' AS hihyoji,
               CASE WHEN i % 5 = 0 THEN DATE '2024-03-01' + CAST(i AS INTEGER) END AS close_date,
               i % 5 = 0 AS is_closed, 'synthetic.csv' AS source_file, 'load-1' AS load_id
        FROM range({n}) r(i)"""
    cols = ["corporate_number", "process", "correct", "update_date", "change_date", "name", "kind",
            "prefecture_code", "city_code", "assignment_date", "latest", "hihyoji", "close_date", "is_closed",
            "source_file", "load_id"]
    return f"SELECT {contract_select(c, cols)} FROM ({src}) s"


def parcels_select() -> str:
    c = contracts()["parcels"]
    src = """
        SELECT '131016' AS lg_code, '13101' AS city_code, '千代田区' AS city_name, '地図1' AS map_name,
               lpad(CAST(i AS VARCHAR), 3, '0') AS oaza_code, '001' AS chome_code, '0000' AS koaza_code,
               '00' AS yobi_code, i || '-1' AS chiban, '公共座標9系' AS crs_name, 'JGD2011' AS datum,
               6677 AS source_epsg, false AS is_arbitrary_crs, true AS is_valid,
               ST_AsWKB(ST_Buffer(ST_Point(139.75 + i / 1000.0, 35.68), 0.0002)) AS geometry,
               139.75 + i / 1000.0 AS rep_lon, 35.68 AS rep_lat, '13101-0001.zip!a.xml' AS source_file
        FROM range(5) r(i)"""
    cols = ["lg_code", "city_code", "city_name", "map_name", "oaza_code", "chome_code", "koaza_code",
            "yobi_code", "chiban", "crs_name", "datum", "source_epsg", "is_arbitrary_crs", "is_valid", "geometry",
            "rep_lon", "rep_lat", "source_file"]
    return f"SELECT {contract_select(c, cols)} FROM ({src}) s"


def loads_select(dataset_rows: dict[str, int], load_id: str = "load-1") -> str:
    detail = json.dumps({"info": {}, "rows": dataset_rows, "errors": []}).replace("'", "''")
    extras = {"load_id": f"'{load_id}'", "source": "'corporate'", "source_file": "'synthetic.csv'",
              "source_url": "'https://example.invalid/synthetic.csv'", "sha256": f"'{'a' * 64}'",
              "bytes": "123", "status": "'loaded'", "rows": "1", "detail": f"'{detail}'",
              "started_at": "TIMESTAMPTZ '2026-11-01 00:00:00+00'",
              "finished_at": "TIMESTAMPTZ '2026-11-01 00:01:00+00'"}
    return "SELECT " + contract_select(LOADS, [], extras)


def build_lake(home: Paths) -> None:
    cs = contracts()
    lake = Lake(home)
    with lake.writer() as w:
        w.con.execute(f"LOAD '{_spatial()}'")
        w.append(cs["corporations"], corporations_select())
        w.append(cs["parcels"], parcels_select())
        w.append(LOADS, loads_select({"corporations": CORP_ROWS, "parcels": 5}))


def _spatial() -> str:
    from kiban.duck import extension_path

    return str(extension_path("spatial"))


def _fresh(root: Path) -> Paths:
    home = make_paths(root).ensure()
    build_lake(home)
    return home


@pytest.fixture(scope="module")
def shared_release(tmp_path_factory) -> Paths:
    """One published release shared by the read-only tests of a module (do not modify it)."""
    from kiban.releases.publish import publish

    home = _fresh(tmp_path_factory.mktemp("shared") / "home")
    publish(home, contracts=contracts())
    return home


@pytest.fixture
def lake_home(tmp_path, monkeypatch) -> Paths:
    monkeypatch.setenv("KIBAN_HOME", str(tmp_path / "home"))
    return _fresh(tmp_path / "home")


@pytest.fixture
def published_home(lake_home) -> Paths:
    from kiban.releases.publish import publish

    publish(lake_home, contracts=contracts())
    return lake_home
