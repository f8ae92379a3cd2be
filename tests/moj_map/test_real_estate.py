"""法務省 地図XML parcels, the parcel registry (ABR join) and land prices through the whole load path."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from kiban import query
from kiban.config import Paths
from kiban.config import paths as make_paths
from kiban.load import LoadResult
from kiban.load.files import ingest_file
from registries.moj_map.load import moj_map_source

REPO = Path(__file__).resolve().parents[2]
MOJ = REPO / "samples" / "moj_map" / "13101-0001.zip"
MOJ_BROKEN = REPO / "samples" / "moj_map" / "broken" / "13101-0002.zip"
ABR_PARCEL = REPO / "samples" / "abr" / "mt_parcel_city131016.csv.zip"
LAND_PRICE = REPO / "samples" / "land_price" / "xpt002_2024_13_7276_3225.json"


def rows(paths: Paths, sql: str) -> list[dict]:
    return json.loads(query.run(paths, sql, fmt="json"))


def ingest_moj(paths: Paths, path: Path = MOJ) -> LoadResult:
    return ingest_file(paths, moj_map_source(), path)


def moj_xml(inner: str = "13101-0001-1") -> str:
    """The text of one XML of the sample (``13101-0001.zip!{inner}.zip!{inner}.xml``)."""
    with zipfile.ZipFile(MOJ) as outer, zipfile.ZipFile(io.BytesIO(outer.read(f"{inner}.zip"))) as zf:
        return zf.read(f"{inner}.xml").decode("utf-8")


def moj_variant(target: Path, replace: dict[str, str], inner: str = "13101-0001-1") -> Path:
    """The sample zip with text replacements in one XML, re-zipped in the published layout."""
    buf = io.BytesIO()
    with zipfile.ZipFile(MOJ) as outer, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in outer.namelist():
            data = outer.read(name)
            if name == f"{inner}.zip":
                xml = moj_xml(inner)
                for old, new in replace.items():
                    assert old in xml, old
                    xml = xml.replace(old, new)
                inner_buf = io.BytesIO()
                with zipfile.ZipFile(inner_buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr(f"{inner}.xml", xml.encode("utf-8"))
                data = inner_buf.getvalue()
            out.writestr(name, data)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buf.getvalue())
    return target


def load_abr_parcels(paths: Paths, workdir: Path) -> int:
    """ABR 地番 sample (master + 位置参照拡張) into ``abr_parcels``: through ``registries.abr.load`` when present,
    else staged with ``registries.abr.stage`` and appended through a lake writer."""
    try:
        from registries.abr.load import abr_source, build_sets, write_set
    except ImportError:
        abr_source = None
    if abr_source is not None:
        (abr_set,) = build_sets([ABR_PARCEL])
        result = ingest_file(paths, abr_source(), write_set(abr_set, workdir))
        assert result.status == "loaded", result.summary()
        return result.rows["abr_parcels"]
    from kiban.duck import quote_literal
    from kiban.lake import Lake, contract_select
    from registries.abr.stage import stage_abr_file
    from schemas.abr import ABR_PARCELS

    out = workdir / "abr_parcels.parquet"
    stage_abr_file(ABR_PARCEL, out)
    with Lake(paths).writer() as writer:
        select = contract_select(ABR_PARCELS, ABR_PARCELS.column_names)
        return writer.append(ABR_PARCELS, f"SELECT {select} FROM read_parquet({quote_literal(str(out))})")


@pytest.fixture
def fresh(tmp_path) -> Paths:
    return make_paths(tmp_path / "home").ensure()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Paths, LoadResult]:
    """A KIBAN_HOME with the MOJ sample loaded (read-only use)."""
    paths = make_paths(tmp_path_factory.mktemp("moj") / "home").ensure()
    result = ingest_moj(paths)
    assert result.status == "loaded", result.summary()
    return paths, result


# -- parcels ---------------------------------------------------------------------------------------------------
def test_sample_lands_with_staging_counts(loaded):
    paths, result = loaded
    assert result.rows == {"parcels": 4}
    info = result.info
    assert (info["excluded_outside"], info["excluded_betsuzu"], info["arbitrary_crs"], info["dangling_idref"]) \
        == (1, 1, 1, 0)
    assert {(s["lg_code"], s["map_name"]) for s in info["scopes"]} == {
        ("131016", "千代田区丸の内一丁目"), ("131016", "千代田区任意座標図")}
    got = rows(paths, "SELECT chiban, is_arbitrary_crs, geometry IS NULL AS no_geom, typeof(geometry) AS t "
                      "FROM parcels ORDER BY oaza_code, chiban")
    assert [(r["chiban"], r["is_arbitrary_crs"], r["no_geom"]) for r in got] == [
        ("1-1", False, False), ("1-2", False, False), ("2", False, False), ("5", True, True)]
    assert {r["t"] for r in got} == {"BLOB"}
    logged = rows(paths, "SELECT status, detail FROM loads WHERE source = 'moj_map'")
    assert logged[0]["status"] == "loaded"
    assert json.loads(logged[0]["detail"])["info"]["excluded_betsuzu"] == 1


def _first_point(xml: str, point_id: str) -> tuple[float, float]:
    """(X northing, Y easting) of a GM_Point of the XML, read independently of the parser."""
    from lxml import etree

    from registries.moj_map.xmlstream import Z  # the 地図XML 座標 namespace, "{...}" form

    root = etree.fromstring(xml.encode("utf-8"))
    point = root.find(f".//{Z}GM_Point[@id='{point_id}']")
    return float(point.find(f".//{Z}X").text), float(point.find(f".//{Z}Y").text)


def test_public_coordinates_land_in_the_right_place(loaded):
    import shapely
    from pyproj import Transformer

    paths, _ = loaded
    # P000001 is the south-west corner of 地番 1-1 (公共座標9系, EPSG:6677): X is the northing, Y the easting
    x_north, y_east = _first_point(moj_xml(), "P000001")
    lon, lat = Transformer.from_crs(6677, 6668, always_xy=True).transform(y_east, x_north)
    (row,) = rows(paths, "SELECT geometry, rep_lon, rep_lat, source_epsg FROM parcels WHERE chiban = '1-1'")
    assert row["source_epsg"] == 6677
    polygon = shapely.from_wkb(bytes.fromhex(row["geometry"]))
    corner = min(polygon.exterior.coords, key=lambda c: (c[0] - lon) ** 2 + (c[1] - lat) ** 2)
    assert abs(corner[0] - lon) < 1e-6 and abs(corner[1] - lat) < 1e-6
    assert corner == min(polygon.exterior.coords, key=lambda c: c[0] + c[1])  # it is the south-west corner
    rep = shapely.Point(row["rep_lon"], row["rep_lat"])
    assert polygon.contains(rep)
    assert abs(row["rep_lon"] - 139.765) < 1e-5 and abs(row["rep_lat"] - 35.683) < 1e-5  # near 東京駅 丸の内
    assert 0.9e-4 < (polygon.bounds[3] - polygon.bounds[1]) < 1.9e-4  # 16 m north-south, not a swapped X/Y


def test_broken_file_is_quarantined_and_parcels_unchanged(loaded):
    paths, _ = loaded
    before = rows(paths, "SELECT * FROM parcels ORDER BY map_name, chiban")
    result = ingest_moj(paths, MOJ_BROKEN)
    assert result.status == "quarantined"
    assert result.errors[0]["rule"] == "xml_illegal_character"
    assert "13101-0002-1.xml" in result.errors[0]["file"]
    report = json.loads(result.quarantine_report.read_text())
    assert report["errors"][0]["rule"] == "xml_illegal_character" and report["file"] == "13101-0002.zip"
    assert rows(paths, "SELECT * FROM parcels ORDER BY map_name, chiban") == before


def test_same_file_twice_is_a_duplicate(loaded):
    paths, _ = loaded
    again = ingest_moj(paths)
    assert again.status == "duplicate"
    assert rows(paths, "SELECT count(*) AS n FROM parcels") == [{"n": 4}]


def test_later_file_replaces_its_municipality_and_map(fresh, tmp_path):
    assert ingest_moj(fresh).status == "loaded"
    # the republished map: 地番 2 became 3, and 1-2's 形状 points at nothing (dangling idref)
    later = moj_variant(tmp_path / "later" / "13101-0001.zip", {
        "<地番>2</地番>": "<地番>3</地番>",
        '<形状 idref="F000002"/>': '<形状 idref="F999999"/>',
    })
    result = ingest_moj(fresh, later)
    assert result.status == "loaded", result.summary()
    assert result.info["dangling_idref"] == 1
    assert result.info["row_issues"][0]["rule"] == "dangling_idref"
    assert result.info["row_issues"][0]["fude_id"] == "H000002"
    got = rows(fresh, "SELECT map_name, chiban FROM parcels ORDER BY map_name, chiban")
    assert [(r["map_name"], r["chiban"]) for r in got] == [
        ("千代田区丸の内一丁目", "1-1"), ("千代田区丸の内一丁目", "3"), ("千代田区任意座標図", "5")]


# -- spatial query through the views file ----------------------------------------------------------------------
WITHIN = """
SELECT chiban, round(ST_Distance_Sphere(ST_Point(rep_lat, rep_lon), ST_Point(35.6812, 139.7671)), 1) AS m
FROM parcels
WHERE rep_lat IS NOT NULL
  AND ST_Distance_Sphere(ST_Point(rep_lat, rep_lon), ST_Point(35.6812, 139.7671)) <= {radius}
ORDER BY m"""


def test_parcels_within_500_m_of_a_point(loaded):
    from pyproj import Geod

    paths, _ = loaded
    got = rows(paths, WITHIN.format(radius=500))
    assert [r["chiban"] for r in got] == ["1-2", "1-1", "2"]
    # the sphere distance agrees with the GRS80 geodesic to within 0.5 %
    (rep,) = rows(paths, "SELECT rep_lon, rep_lat FROM parcels WHERE chiban = '1-1'")
    _, _, metres = Geod(ellps="GRS80").inv(139.7671, 35.6812, rep["rep_lon"], rep["rep_lat"])
    assert abs(next(r["m"] for r in got if r["chiban"] == "1-1") - metres) < 0.005 * metres
    assert [r["chiban"] for r in rows(paths, WITHIN.format(radius=270))] == ["1-2"]
    # the polygon itself is usable too (WKB -> GEOMETRY)
    inside = rows(paths, "SELECT chiban FROM parcels WHERE geometry IS NOT NULL AND "
                         "ST_Contains(ST_GeomFromWKB(geometry), ST_Point(139.765, 35.683))")
    assert inside == [{"chiban": "1-1"}]


# -- parcel registry -------------------------------------------------------------------------------------------
def test_registry_of_an_empty_lake_has_the_right_columns(fresh):
    from registries.moj_map.parcel_registry import refresh
    from schemas.moj_map import PARCEL_MATCH_RATE, PARCEL_REGISTRY

    assert refresh(fresh) == {"parcel_registry": 0, "parcel_match_rate": 0}
    for contract in (PARCEL_REGISTRY, PARCEL_MATCH_RATE):
        described = rows(fresh, f"SELECT column_name FROM (DESCRIBE {contract.name})")
        assert [r["column_name"] for r in described] == contract.column_names


def test_registry_joins_abr_parcels_and_carries_real_property_numbers(fresh, tmp_path):
    from registries.moj_map.parcel_registry import refresh

    assert ingest_moj(fresh).status == "loaded"
    # no abr_parcels table yet: every 筆 is moj_only, the match rate has no denominator
    refresh(fresh)
    assert rows(fresh, "SELECT match_status, count(*) AS n FROM parcel_registry GROUP BY ALL") == [
        {"match_status": "moj_only", "n": 4}]
    assert rows(fresh, "SELECT abr_parcels, moj_parcels, matched, match_rate FROM parcel_match_rate") == [
        {"abr_parcels": 0, "moj_parcels": 4, "matched": 0, "match_rate": None}]

    assert load_abr_parcels(fresh, tmp_path / "abr") == 3
    assert refresh(fresh) == {"parcel_registry": 4, "parcel_match_rate": 1}
    got = rows(fresh, """
        SELECT chiban, match_status, real_prop_num, abr_prc_id, fude_id, rep_source, geometry IS NOT NULL AS poly,
               rep_lon, abr_rep_lon
        FROM parcel_registry ORDER BY oaza_code, chiban""")
    assert [(r["chiban"], r["match_status"], r["real_prop_num"], r["fude_id"]) for r in got] == [
        ("1-1", "matched", "1300000000001", "H000001"),
        ("1-2", "matched", "1300000000002", "H000002"),
        ("2", "matched", "1300000000003", "H000003"),
        ("5", "moj_only", None, "H000001"),
    ]
    first = got[0]
    assert first["abr_prc_id"] == "000010000100000" and first["poly"] and first["rep_source"] == "moj"
    assert abs(first["rep_lon"] - 139.765) < 1e-5 and first["abr_rep_lon"] == 139.75101
    (rate,) = rows(fresh, "SELECT * EXCLUDE (computed_at) FROM parcel_match_rate")
    assert rate == {"lg_code": "131016", "abr_parcels": 3, "moj_parcels": 4, "matched": 3, "match_rate": 1.0,
                    "moj_match_rate": 0.75, "matched_with_real_prop_num": 3}


def test_chiban_normalisation_matches_full_width_and_zero_padded_forms():
    from kiban.duck import connect
    from registries.moj_map.parcel_registry import normalise_chiban

    con = connect()
    got = con.execute(f"SELECT {normalise_chiban('x')} FROM (VALUES ('１－１'), ('01-002'), (' 2 '), (''), "
                      "('10-0'), ('3‐4')) t(x)").fetchall()
    assert [g[0] for g in got] == ["1-1", "1-2", "2", None, "10-0", "3-4"]


# -- land prices -----------------------------------------------------------------------------------------------
def test_land_prices_from_the_bundled_xpt002_response(fresh, tmp_path):
    from registries.land_price.load import land_price_source

    first = ingest_file(fresh, land_price_source(), LAND_PRICE)
    assert first.status == "loaded", first.summary()
    assert (first.info["year"], first.info["z"], first.info["x"], first.info["y"]) == (2024, 13, 7276, 3225)
    got = rows(fresh, "SELECT point_id, price_classification, price_per_sqm, lg_code, tile_x, "
                      "ST_X(ST_GeomFromWKB(geometry)) AS x FROM land_prices ORDER BY point_id")
    assert [(r["point_id"], r["price_classification"], r["price_per_sqm"]) for r in got] == [
        ("101010001", "0", 36800000), ("101010002", "0", 3610000), ("131010105", "1", 5260000)]
    assert {r["lg_code"] for r in got} == {"131016"} and got[0]["x"] == 139.76583
    assert ingest_file(fresh, land_price_source(), LAND_PRICE).status == "duplicate"
    # a corrected response for the same tile and year replaces the point's row (upsert by key)
    body = json.loads(LAND_PRICE.read_text("utf-8"))
    body["features"][0]["properties"]["u_current_years_price_ja"] = "37,000,000(円/㎡)"
    corrected = tmp_path / "again" / LAND_PRICE.name
    corrected.parent.mkdir()
    corrected.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    assert ingest_file(fresh, land_price_source(), corrected).status == "loaded"
    assert rows(fresh, "SELECT count(*) AS n, max(price_per_sqm) AS top FROM land_prices") == [
        {"n": 3, "top": 37000000}]


def test_land_price_response_with_a_bad_name_or_body_is_quarantined(fresh, tmp_path):
    from registries.land_price.load import land_price_source

    wrong_name = tmp_path / "prices.json"
    wrong_name.write_bytes(LAND_PRICE.read_bytes())
    assert ingest_file(fresh, land_price_source(), wrong_name).errors[0]["rule"] == "file_name"
    not_json = tmp_path / "xpt002_2024_13_1_1.json"
    not_json.write_text("<html>maintenance</html>")
    result = ingest_file(fresh, land_price_source(), not_json)
    assert result.status == "quarantined" and result.errors[0]["rule"] == "not_json"


# -- CLI -------------------------------------------------------------------------------------------------------
def test_cli_ingest_moj_map_loads_quarantines_and_recomputes_registry(fresh):
    from click.testing import CliRunner

    from kiban.cli import main

    out = CliRunner().invoke(main, ["--home", str(fresh.home), "ingest", "moj-map", str(MOJ), str(MOJ_BROKEN)])
    assert out.exit_code == 1, out.output
    assert "loaded 13101-0001.zip (parcels=4)" in out.output
    assert "QUARANTINED 13101-0002.zip" in out.output and "xml_illegal_character" in out.output
    assert "parcel registry recomputed (parcel_registry=4, parcel_match_rate=1)" in out.output
