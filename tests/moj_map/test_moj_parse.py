"""地図XML staging: projection, nesting, exclusions, 任意座標系, errors, memory."""

from __future__ import annotations

import io
import math
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import Point

from registries.errors import SourceError
from registries.moj_map import crs, sample, synth
from registries.moj_map.parse import iter_parcel_batches, stage_moj_file, staged_schema
from registries.moj_map.xmlstream import Document, read_document
from schemas.moj_map import PARCELS, PARCELS_RULES

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "moj_map"


def _stage(tmp_path: Path, name: str, data: bytes):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.parquet"
    result = stage_moj_file(src, out)
    return result, pq.read_table(out).to_pylist()


def _doc(parcels, **header) -> bytes:
    h = synth.SynthHeader(**{"city_code": "13101", "city_name": "千代田区", "map_name": "テスト", **header})
    return synth.render(h, parcels).encode()


SQUARE = [(25917.765, -42247.011), (25937.765, -42247.011), (25937.765, -42227.011), (25917.765, -42227.011)]


def test_design_example_projects_to_known_lon_lat():
    lon, lat = crs.to_lonlat(crs.resolve("公共座標9系", "測量").source_epsg).transform(25917.765, -42247.011)
    assert abs(lon - 140.119444) < 1e-6 and abs(lat - 35.618866) < 1e-6


def test_x_is_northing_in_parsed_file(tmp_path):
    _, rows = _stage(tmp_path, "a.xml", _doc([synth.SynthParcel("1", SQUARE)]))
    poly = shapely.from_wkb(rows[0]["geometry"])
    xmin, ymin, _, _ = poly.bounds
    assert abs(xmin - 140.119444) < 1e-6 and abs(ymin - 35.618866) < 1e-6
    # Reading X as easting instead would move this parcel by about 90 km (to 139.36 E, 36.23 N).
    swapped = [(n, e) for e, n in SQUARE]
    _, bad = _stage(tmp_path, "b.xml", _doc([synth.SynthParcel("1", swapped)]))
    moved_km = math.hypot((bad[0]["rep_lon"] - rows[0]["rep_lon"]) * 90.4,
                          (bad[0]["rep_lat"] - rows[0]["rep_lat"]) * 110.95)
    assert moved_km > 50


def test_crs_resolution():
    assert crs.resolve("公共座標1系", None).source_epsg == 6669
    assert crs.resolve("公共座標19系", "変換").source_epsg == 6687
    assert crs.resolve("公共座標９系", "世界測地系").source_epsg == 6677
    assert crs.resolve("公共座標9系", "日本測地系") == crs.FileCrs(9, 30169, "Tokyo")
    assert crs.resolve("任意座標系", None).is_arbitrary
    for name, kind, rule in (("公共座標20系", None, "unknown_crs"), ("平面直角", None, "unknown_crs"),
                             ("公共座標9系", "不明", "unknown_datum")):
        with pytest.raises(crs.UnknownCrs) as err:
            crs.resolve(name, kind)
        assert err.value.rule == rule


def test_sample_nested_zip_lands_where_intended(tmp_path):
    result = stage_moj_file(SAMPLES / "13101-0001.zip", tmp_path / "s.parquet")
    assert result.files == ("13101-0001.zip!13101-0001-1.zip!13101-0001-1.xml",
                            "13101-0001.zip!13101-0001-2.zip!13101-0001-2.xml")
    assert (result.rows, result.excluded_outside, result.excluded_betsuzu, result.arbitrary, result.dangling) == \
        (4, 1, 1, 1, 0)
    rows = {r["chiban"]: r for r in pq.read_table(tmp_path / "s.parquet").to_pylist()}
    assert set(rows) == {"1-1", "1-2", "2", "5"}
    anchor = Point(*sample.ANCHOR)
    polys = {k: shapely.from_wkb(r["geometry"]) for k, r in rows.items() if r["geometry"]}
    assert polys["1-1"].contains(anchor)
    assert not polys["1-2"].contains(anchor) and not polys["2"].contains(anchor)
    assert rows["1-2"]["rep_lon"] > sample.ANCHOR[0] and rows["2"]["rep_lat"] > sample.ANCHOR[1]
    r = rows["1-1"]
    assert abs(r["rep_lon"] - sample.ANCHOR[0]) < 1e-5 and abs(r["rep_lat"] - sample.ANCHOR[1]) < 1e-5
    # 20 m x 16 m: about 0.000221 deg of longitude and 0.000144 deg of latitude at 35.68 N.
    assert math.isclose(r["bbox_xmax"] - r["bbox_xmin"], 20 / 90_400, rel_tol=0.02)
    assert math.isclose(r["bbox_ymax"] - r["bbox_ymin"], 16 / 110_950, rel_tol=0.02)
    assert polys["1-1"].touches(polys["1-2"]) and polys["2"].touches(polys["1-1"])
    assert (r["lg_code"], r["city_code"], r["oaza_code"], r["chome_code"], r["koaza_code"], r["yobi_code"]) == \
        ("131016", "13101", "001", "001", "0000", "00")
    assert r["map_name"] == "千代田区丸の内一丁目" and r["source_epsg"] == 6677 and r["datum"] == "JGD2011"


def test_arbitrary_crs_flagged_not_projected(tmp_path):
    stage_moj_file(SAMPLES / "13101-0001.zip", tmp_path / "s.parquet")
    row = next(r for r in pq.read_table(tmp_path / "s.parquet").to_pylist() if r["chiban"] == "5")
    assert row["is_arbitrary_crs"] is True and row["geometry"] is None and row["rep_lon"] is None
    assert row["source_epsg"] is None and row["datum"] is None
    local = shapely.from_wkb(row["local_geometry"])
    assert local.bounds == (100.0, 200.0, 118.5, 214.25)  # raw plane coordinates, untouched


def test_staged_file_schema_and_geoparquet_metadata(tmp_path):
    stage_moj_file(SAMPLES / "13101-0001.zip", tmp_path / "s.parquet")
    f = pq.ParquetFile(tmp_path / "s.parquet")
    assert f.schema_arrow.names == [*PARCELS.column_names, "_source_row"]
    assert f.schema_arrow.names == staged_schema().names
    import json

    geo = json.loads(f.metadata.metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["crs"]["id"]["code"] == 6668
    assert geo["columns"]["local_geometry"]["crs"] is None
    xmin, ymin, xmax, ymax = geo["columns"]["geometry"]["bbox"]
    assert 139.76 < xmin < xmax < 139.77 and 35.68 < ymin < ymax < 35.69


def test_control_character_file_is_source_error(tmp_path):
    out = tmp_path / "b.parquet"
    with pytest.raises(SourceError) as err:
        stage_moj_file(SAMPLES / "broken" / "13101-0002.zip", out)
    e = err.value
    assert e.rule == "xml_illegal_character"
    assert e.file == "13101-0002.zip!13101-0002-1.zip!13101-0002-1.xml"
    text = sample.surveyed_xml(oaza_name="丸の\x0b内").decode()
    assert e.row == text[: text.index("\x0b")].count("\n") + 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_malformed_xml_is_source_error(tmp_path):
    with pytest.raises(SourceError) as err:
        _stage(tmp_path, "m.xml", _doc([synth.SynthParcel("1", SQUARE)])[:-20])
    assert err.value.rule == "xml_malformed"


@pytest.mark.parametrize(("header", "rule"), [
    ({"crs_name": "公共座標21系"}, "unknown_crs"),
    ({"datum_kind": "旧測地系?"}, "unknown_datum"),
    ({"city_code": "1310"}, "bad_city_code"),
])
def test_unknown_header_values_reject_the_file(tmp_path, header, rule):
    with pytest.raises(SourceError) as err:
        _stage(tmp_path, "u.xml", _doc([synth.SynthParcel("1", SQUARE)], **header))
    assert err.value.rule == rule and err.value.file == "u.xml"


def test_tokyo_datum_is_transformed_and_labelled(tmp_path):
    _, world = _stage(tmp_path, "w.xml", _doc([synth.SynthParcel("1", SQUARE)]))
    _, tokyo = _stage(tmp_path, "t.xml", _doc([synth.SynthParcel("1", SQUARE)], datum_kind="日本測地系"))
    assert tokyo[0]["datum"] == "Tokyo" and tokyo[0]["source_epsg"] == 30169
    # Same numbers in 日本測地系 lie about 400 m north-west of their 世界測地系 reading.
    assert tokyo[0]["rep_lon"] < world[0]["rep_lon"] and tokyo[0]["rep_lat"] > world[0]["rep_lat"]
    shift_m = math.hypot((world[0]["rep_lon"] - tokyo[0]["rep_lon"]) * 90_400,
                         (world[0]["rep_lat"] - tokyo[0]["rep_lat"]) * 110_950)
    assert 300 < shift_m < 600


def test_dangling_idref_reports_the_parcel_and_keeps_the_rest(tmp_path):
    parcels = [synth.SynthParcel("1", SQUARE),
               synth.SynthParcel("2", [(e + 20, n) for e, n in SQUARE]),
               synth.SynthParcel("3", [(e + 40, n) for e, n in SQUARE])]
    text = _doc(parcels).decode()
    text = text.replace('<形状 idref="F000002"/>', '<形状 idref="F999999"/>')
    text = text.replace('<zmn:GM_CompositeCurve.generator idref="C000008"/>',
                        '<zmn:GM_CompositeCurve.generator idref="C777777"/>', 1)
    result, rows = _stage(tmp_path, "d.xml", text.encode())
    assert [r["chiban"] for r in rows] == ["1"]
    assert result.dangling == 2
    issues = {i.row: i for i in result.issues}
    assert issues[2].rule == "dangling_idref" and issues[2].value == "F999999" and issues[2].file == "d.xml"
    assert issues[3].value == "C777777"


def test_parcels_before_geometry_are_resolved(tmp_path):
    """筆 placed before 空間属性 (not the published order) still resolve."""
    text = _doc([synth.SynthParcel("1", SQUARE)]).decode()
    spatial = text[text.index("  <空間属性>"): text.index("  <主題属性>")]
    subject = text[text.index("  <主題属性>"): text.index("</地図>")]
    text = text.replace(spatial, "").replace(subject, subject + spatial)
    _, rows = _stage(tmp_path, "o.xml", text.encode())
    assert len(rows) == 1 and rows[0]["is_valid"]


def test_reversed_curve_and_invalid_polygon(tmp_path):
    bowtie = [(0, 0), (10, 10), (10, 0), (0, 10)]
    parcels = [synth.SynthParcel("bow", [(e + 25900, n - 42200) for e, n in bowtie])]
    _, rows = _stage(tmp_path, "v.xml", _doc(parcels))
    assert rows[0]["is_valid"] is False
    assert rows[0]["rep_lon"] is not None
    text = _doc([synth.SynthParcel("1", SQUARE)]).decode()
    # Reverse the point order of the second curve: the ring must still close into the same square.
    a = '<zmn:GM_Curve id="C000002">'
    head, tail = text.split(a)
    body, rest = tail.split("</zmn:GM_Curve>", 1)
    refs = body.split('idref="')
    p0, p1 = refs[1].split('"')[0], refs[2].split('"')[0]
    body = body.replace(f'idref="{p0}"', "@@").replace(f'idref="{p1}"', f'idref="{p0}"').replace("@@", f'idref="{p1}"')
    _, rows2 = _stage(tmp_path, "r.xml", (head + a + body + "</zmn:GM_Curve>" + rest).encode())
    assert rows2[0]["is_valid"] is True
    assert math.isclose(shapely.from_wkb(rows2[0]["geometry"]).area,
                        shapely.from_wkb(_stage(tmp_path, "s.xml", _doc([synth.SynthParcel("1", SQUARE)]))[1][0]
                                         ["geometry"]).area, rel_tol=1e-9)


def test_not_a_zip_and_empty_zip(tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceError) as err:
        stage_moj_file(bad, tmp_path / "o.parquet")
    assert err.value.rule == "not_a_zip"
    empty = tmp_path / "e.zip"
    empty.write_bytes(synth.zip_bytes([("readme.txt", b"x")]))
    with pytest.raises(SourceError) as err:
        stage_moj_file(empty, tmp_path / "o.parquet")
    assert err.value.rule == "empty"


def test_rules_pass_on_sample_and_catch_violations(tmp_path):
    stage_moj_file(SAMPLES / "13101-0001.zip", tmp_path / "s.parquet")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE staged AS SELECT * FROM read_parquet('{tmp_path / 's.parquet'}')")
    for rule in PARCELS_RULES:
        assert con.execute(f"SELECT count(*) FROM ({rule.failing_rows})").fetchone()[0] == 0, rule.name
    con.execute("INSERT INTO staged SELECT * FROM staged WHERE chiban = '1-1'")  # duplicate key
    con.execute("UPDATE staged SET lg_code = '131017' WHERE chiban = '1-2'")    # bad check digit
    con.execute("UPDATE staged SET rep_lon = 40.0, bbox_xmin = 40.0 WHERE chiban = '2'")  # outside Japan
    con.execute("UPDATE staged SET rep_lon = 0, rep_lat = 0 WHERE chiban = '5'")  # arbitrary: not checked
    counts = {r.name: con.execute(f"SELECT count(*) FROM ({r.failing_rows})").fetchone()[0] for r in PARCELS_RULES}
    assert counts == {"parcel_in_japan": 1, "parcel_polygon_valid": 0, "parcel_lg_code_check_digit": 1,
                      "parcel_key_unique": 2}


def test_contract_licence_and_keys():
    assert PARCELS.spatial and PARCELS.group == "real_estate"
    assert "加工" in PARCELS.attribution and "出典" in PARCELS.attribution
    assert PARCELS.primary_key == ("lg_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban",
                                   "map_name")


def test_element_tree_stays_bounded():
    """Retained elements do not grow with the file: cleared elements are deleted as parsing goes."""
    peaks = []
    for rows in (5, 40):
        doc = Document()
        n = sum(1 for _ in read_document(io.BytesIO(synth.grid_xml_bytes(rows, 40)), doc))
        assert n == rows * 40
        peaks.append(doc.retained_peak)
        assert sum(1 for _ in doc.root.iter()) < 50
    assert peaks[1] < 3000 and peaks[1] < peaks[0] * 2 + 500


def test_batches_cover_many_parcels(tmp_path):
    path = tmp_path / "g.xml"
    path.write_bytes(synth.grid_xml_bytes(30, 200))  # 6000 筆 > one batch
    batches = list(iter_parcel_batches(path))
    assert sum(b.num_rows for b in batches) == 6000 and len(batches) == 2
    rows = batches[0].to_pylist()
    assert [r["_source_row"] for r in rows[:3]] == [1, 2, 3] and all(r["is_valid"] for r in rows)


def test_sample_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    sample.write(a)
    sample.write(b)
    for rel in ("13101-0001.zip", "broken/13101-0002.zip"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes() == (SAMPLES / rel).read_bytes()
