"""ABR parsing and staging on the bundled sample, plus broken inputs."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from pyproj import Transformer

from registries.abr.coords import detect_swapped, normalise_points
from registries.abr.layout import HEADERS, parse_file_name
from registries.abr.parse import read_abr_file
from registries.abr.rules import RULES
from registries.abr.sample import csv_bytes, zip_bytes
from registries.abr.stage import stage_abr_file
from registries.errors import SourceError
from schemas.abr import ABR_CONTRACTS

SAMPLE_FILES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "samples" / "abr").glob("*.csv.zip"))


def test_sample_has_the_published_file_set():
    assert {"mt_pref_all.csv.zip", "mt_pref_pos_all.csv.zip", "mt_city_all.csv.zip", "mt_city_pos_all.csv.zip",
            "mt_town_all.csv.zip", "mt_town_pos_pref13.csv.zip", "mt_rsdtdsp_blk_pref13.csv.zip",
            "mt_rsdtdsp_blk_pos_pref13.csv.zip", "mt_rsdtdsp_rsdt_pref13.csv.zip",
            "mt_rsdtdsp_rsdt_pos_pref13.csv.zip", "mt_parcel_city131016.csv.zip",
            "mt_parcel_pos_city131016.csv.zip"} <= set(SAMPLE_FILES)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_sample_file_parses(samples, name):
    f = read_abr_file(samples / name)
    with zipfile.ZipFile(samples / name) as zf:
        assert zf.namelist() == [name.removesuffix(".zip")]
    assert f.frame.height >= 1
    assert list(f.frame.columns[1:len(HEADERS[f.name.layout]) + 1]) == list(HEADERS[f.name.layout])
    assert f.frame["_source_row"].to_list() == list(range(1, f.frame.height + 1))
    assert all(len(c) == 6 for c in f.frame["lg_code"].to_list())


def test_bom_tolerated(samples):
    f = read_abr_file(samples / "mt_pref_all.csv.zip")
    assert f.had_bom and f.frame["lg_code"].to_list() == ["130001", "220001"]


def test_file_names():
    n = parse_file_name("mt_parcel_pos_city131016.csv.zip")
    assert (n.type, n.pos, n.scope, n.code, n.layout) == ("parcel", True, "city", "131016", "parcel_pos")
    assert parse_file_name("mt_town_pos_pref13.csv.zip").code == "13"
    assert parse_file_name("mt_rsdtdsp_rsdt_all.csv.zip").type == "rsdtdsp_rsdt"
    assert parse_file_name("mt_unknown_all.csv.zip") is None


def _stage(samples, tmp_path, name):
    out = tmp_path / f"{name}.parquet"
    result = stage_abr_file(samples / name, out)
    return result, pl.read_parquet(out)


@pytest.mark.parametrize("name,dataset,rows", [
    ("mt_pref_all.csv.zip", "abr_prefs", 2),
    ("mt_city_all.csv.zip", "abr_cities", 3),
    ("mt_town_all.csv.zip", "abr_towns", 4),
    ("mt_rsdtdsp_blk_pref13.csv.zip", "abr_blocks", 2),
    ("mt_rsdtdsp_rsdt_pref13.csv.zip", "abr_residences", 2),
    ("mt_parcel_city131016.csv.zip", "abr_parcels", 3),
])
def test_stage_every_dataset_and_rules_pass(samples, tmp_path, name, dataset, rows):
    result, frame = _stage(samples, tmp_path, name)
    assert (result.dataset, result.rows) == (dataset, rows)
    assert frame.columns == [*ABR_CONTRACTS[dataset].column_names, "_source_row"]
    assert frame["rep_lon"].null_count() == 0  # every row got its representative point from the _pos file
    con = duckdb.connect()
    con.register("staged", frame.to_arrow())
    for rule in RULES[dataset]:
        if rule.name == "rep_lonlat_swapped":
            continue
        assert con.execute(f"SELECT count(*) FROM ({rule.failing_rows})").fetchone()[0] == 0, rule.name


def test_towns_keep_abolished_and_pair_pos_files(samples, tmp_path):
    result, frame = _stage(samples, tmp_path, "mt_town_all.csv.zip")
    assert result.pos_files == ("mt_town_pos_pref13.csv.zip", "mt_town_pos_pref22.csv.zip")
    abolished = frame.filter(pl.col("ablt_date").is_not_null())
    assert abolished["oaza_cho"].to_list() == ["永楽町"] and abolished["ablt_date"].to_list() == ["1967-01-01"]
    assert set(frame["rsdt_addr_flg"].to_list()) == {"0", "1"}
    assert result.srid_counts == {"EPSG:6668": 2, "EPSG:4612": 2}


def test_srid_4612_transformed_like_pyproj(samples, tmp_path):
    _, frame = _stage(samples, tmp_path, "mt_town_all.csv.zip")
    row = frame.filter(pl.col("machiaza_id") == "0002001").row(0, named=True)
    assert row["rep_srid"] == "EPSG:4612"
    lon, lat = Transformer.from_crs("EPSG:4612", "EPSG:6668", always_xy=True).transform(139.764936, 35.681236)
    assert row["rep_lon"] == pytest.approx(lon, abs=1e-12) and row["rep_lat"] == pytest.approx(lat, abs=1e-12)


def test_normalise_points_numerically():
    # a point in the Tohoku area, where JGD2000 -> JGD2011 may shift with grids; compare with pyproj directly
    pts = normalise_points(np.array([141.0, 139.7]), np.array([38.3, 35.6]), ["EPSG:4612", "EPSG:6668"])
    lon, lat = Transformer.from_crs("EPSG:4612", "EPSG:6668", always_xy=True).transform(141.0, 38.3)
    assert (pts.lon[0], pts.lat[0]) == pytest.approx((lon, lat), abs=1e-12)
    assert (pts.lon[1], pts.lat[1]) == (139.7, 35.6)
    assert pts.srid_counts == {"EPSG:4612": 1, "EPSG:6668": 1}
    unknown = normalise_points(np.array([139.7]), np.array([35.6]), ["EPSG:99999"])
    assert np.isnan(unknown.lon[0]) and unknown.unknown_srid == {"EPSG:99999": 1}


def test_swapped_pair_fixed_and_counted(samples, tmp_path):
    result, frame = _stage(samples, tmp_path, "mt_parcel_city131016.csv.zip")
    assert result.swapped_fixed == 1
    fixed = frame.filter(pl.col("rep_lonlat_swapped"))
    assert fixed["prc_id"].to_list() == ["000020000000000"]
    assert fixed["rep_lon"][0] == pytest.approx(139.752) and fixed["rep_lat"][0] == pytest.approx(35.6752)
    assert detect_swapped(np.array([139.7, 35.6, 200.0]), np.array([35.6, 139.7, 10.0])).tolist() == [
        False, True, False]


def test_parcel_keys_for_moj_join(samples, tmp_path):
    _, frame = _stage(samples, tmp_path, "mt_parcel_city131016.csv.zip")
    rows = frame.select("prc_num1", "prc_num2", "real_prop_num", "moj_map_city_code", "moj_map_oaza_code",
                        "moj_map_chome_code", "moj_map_brushid").rows()
    assert rows == [
        ("1", "1", "1300000000001", "13101", "001", "001", "H000000001"),
        ("1", "2", "1300000000002", "13101", "001", "001", "H000000002"),
        ("2", None, "1300000000003", "13101", "001", "001", "H000000003"),
    ]


def test_residences_keep_empty_rsdt2_id(samples, tmp_path):
    _, frame = _stage(samples, tmp_path, "mt_rsdtdsp_rsdt_pref13.csv.zip")
    assert frame["rsdt2_id"].to_list() == ["", ""]


def test_stage_without_pos_files(samples, tmp_path):
    shutil.copy(samples / "mt_pref_all.csv.zip", tmp_path / "mt_pref_all.csv.zip")
    result = stage_abr_file(tmp_path / "mt_pref_all.csv.zip", tmp_path / "out.parquet")
    assert result.rows == 2 and result.pos_files == () and result.srid_counts == {}
    assert pl.read_parquet(tmp_path / "out.parquet")["rep_lon"].null_count() == 2


def test_pos_file_is_not_staged_alone(samples, tmp_path):
    with pytest.raises(ValueError, match="位置参照拡張"):
        stage_abr_file(samples / "mt_town_pos_pref13.csv.zip", tmp_path / "x.parquet")


def _write(tmp_path, name: str, csv: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(zip_bytes(name.removesuffix(".zip"), csv))
    return p


def test_unexpected_header_names_columns(tmp_path):
    header = [c for c in HEADERS["town_pos"] if c != "rep_srid"] + ["surprise"]
    p = _write(tmp_path, "mt_town_pos_pref13.csv.zip", (",".join(header) + "\n").encode())
    with pytest.raises(SourceError) as exc:
        read_abr_file(p)
    assert exc.value.rule == "unexpected_header"
    assert "rep_srid" in exc.value.message and "surprise" in exc.value.message


def test_parcel_header_variant_with_machiaza_dist(tmp_path):
    header = list(HEADERS["parcel"])
    header.insert(8, "machiaza_dist")
    row = ["131016", "0001001", "000010000100000", "千代田区", "", "霞が関", "１丁目", "", "", "1", "1", "", "0",
           "1", "1", "1947-03-15", "", "0", "", "1300000000001"]
    p = _write(tmp_path, "mt_parcel_city131016.csv.zip", (",".join(header) + "\n" + ",".join(row) + "\n").encode())
    f = read_abr_file(p)
    assert f.frame["real_prop_num"].to_list() == ["1300000000001"]


def test_truncated_zip(samples, tmp_path):
    data = (samples / "mt_town_all.csv.zip").read_bytes()
    p = tmp_path / "mt_town_all.csv.zip"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError) as exc:
        read_abr_file(p)
    assert exc.value.rule == "truncated_zip"


def test_not_a_zip_and_bad_encoding(tmp_path):
    p = tmp_path / "mt_pref_all.csv.zip"
    p.write_bytes(b"<html>503</html>")
    with pytest.raises(SourceError) as exc:
        read_abr_file(p)
    assert exc.value.rule == "not_a_zip"
    sjis = csv_bytes("pref", [{"lg_code": "130001", "pref": "東京都"}]).decode("utf-8").encode("cp932")
    p = _write(tmp_path, "mt_pref_all.csv.zip", sjis)
    with pytest.raises(SourceError) as exc:
        read_abr_file(p)
    assert exc.value.rule == "encoding"


def test_zip_with_two_csvs(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", "x")
        zf.writestr("b.csv", "y")
    p = tmp_path / "mt_pref_all.csv.zip"
    p.write_bytes(buf.getvalue())
    with pytest.raises(SourceError) as exc:
        read_abr_file(p)
    assert exc.value.rule == "zip_layout"


def test_rules_catch_bad_rows(samples, tmp_path):
    _, frame = _stage(samples, tmp_path, "mt_town_all.csv.zip")
    bad = pl.concat([frame, frame.head(1)]).with_columns(
        pl.when(pl.col("machiaza_id") == "0003000").then(pl.lit("131017")).otherwise(pl.col("lg_code"))
        .alias("lg_code"),
        pl.when(pl.col("machiaza_id") == "0002001").then(pl.lit("9")).otherwise(pl.col("machiaza_type"))
        .alias("machiaza_type"),
        pl.when(pl.col("machiaza_id") == "0002001").then(pl.lit(10.0)).otherwise(pl.col("rep_lat"))
        .alias("rep_lat"),
    )
    con = duckdb.connect()
    con.register("staged", bad.to_arrow())
    failing = {r.name: con.execute(f"SELECT count(*) FROM ({r.failing_rows})").fetchone()[0]
               for r in RULES["abr_towns"]}
    assert failing["lg_code_check_digit"] == 1
    assert failing["keys_unique"] == 2
    assert failing["machiaza_type_code_set"] == 1
    assert failing["rep_point_in_japan"] == 1
