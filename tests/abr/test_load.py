"""総務省 master and ABR through archive -> stage -> Great Expectations -> lake, queried back."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from kiban import query
from kiban.lake import Lake
from kiban.load.files import ingest_file
from registries.abr.load import abr_source
from registries.municipalities.load import municipalities_source
from registries.municipalities.resolve import BUNDLED_MASTER as MASTER
from schemas.abr import ABR_CONTRACTS


def rows(paths, sql: str) -> list[dict]:
    return json.loads(query.run(paths, sql, fmt="json"))


def test_every_load_succeeded(loaded):
    _, results = loaded
    assert {name: r.status for name, r in results.items()} == {name: "loaded" for name in results}
    assert len(results) == 7  # the master + 6 ABR sets (pref, city, town, block, residence, parcel)


def test_master_counts(loaded):
    paths, _ = loaded
    counts = {r["type"]: r["n"] for r in rows(paths, """
        SELECT type, count(*) AS n FROM municipalities WHERE valid_to IS NULL GROUP BY type""")}
    assert counts == {"prefecture": 47, "city": 772, "designated_city": 20, "town": 743, "village": 189,
                      "special_ward": 23, "ward": 171}
    [r] = rows(paths, """
        SELECT count(*) FILTER (WHERE type NOT IN ('prefecture', 'ward') AND NOT is_northern_territories) AS usual,
               count(*) FILTER (WHERE is_northern_territories) AS northern,
               count(*) FILTER (WHERE valid_to IS NOT NULL) AS abolished, count(*) AS total
        FROM municipalities""")
    assert r["usual"] == 1741 and r["northern"] == 6
    assert r["abolished"] >= 1 and r["total"] == 1965 + r["abolished"]


def test_municipality_codes_resolve_every_form(loaded):
    paths, _ = loaded
    got = rows(paths, """
        WITH nta(pref, city) AS (VALUES ('13', '101'), ('01', '100'), ('22', '138'))
        SELECT n.pref, n.city, m.lg_code, mu.name
        FROM nta n JOIN municipality_codes m ON m.code = n.pref || n.city AND m.form = 'code5'
        JOIN municipalities mu USING (lg_code) ORDER BY n.pref""")
    assert [(r["lg_code"], r["name"]) for r in got] == [
        ("011002", "札幌市"), ("131016", "千代田区"), ("221384", "浜松市中央区")]
    [pref] = rows(paths, "SELECT lg_code FROM municipality_codes WHERE form = 'pref2' AND code = '13'")
    assert pref["lg_code"] == "130001"
    [old] = rows(paths, "SELECT lg_code, CAST(valid_to AS VARCHAR) AS valid_to FROM municipality_codes "
                        "WHERE form = 'lg_code' AND code = '221317'")  # 浜松市中区, abolished 2024-01-01
    assert old == {"lg_code": "221317", "valid_to": "2024-01-01"}


def test_abr_tables_land_and_join_the_master(loaded):
    paths, _ = loaded
    counts = {t: rows(paths, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ABR_CONTRACTS}
    assert counts == {"abr_prefs": 2, "abr_cities": 3, "abr_towns": 4, "abr_blocks": 2, "abr_residences": 2,
                      "abr_parcels": 3}
    unknown = rows(paths, " UNION ALL ".join(
        f"SELECT lg_code FROM {t} WHERE lg_code NOT IN (SELECT lg_code FROM municipalities)" for t in ABR_CONTRACTS))
    assert unknown == []


def test_swapped_coordinates_fixed_and_srids_recorded(loaded):
    paths, results = loaded
    parcel = rows(paths, "SELECT rep_lon, rep_lat, rep_lonlat_swapped FROM abr_parcels "
                         "WHERE prc_id = '000020000000000'")
    assert parcel == [{"rep_lon": pytest.approx(139.752), "rep_lat": pytest.approx(35.6752),
                       "rep_lonlat_swapped": True}]
    [town] = rows(paths, "SELECT rep_srid, rep_lon, rep_lat FROM abr_towns WHERE machiaza_id = '0002001' "
                         "AND lg_code = '131016'")
    assert town["rep_srid"] == "EPSG:4612" and 139 < town["rep_lon"] < 140 and 35 < town["rep_lat"] < 36
    info = results["mt_parcel_city131016.set.zip"].info
    assert info["swapped_fixed"] == 1 and info["srid_counts"] == {"EPSG:6668": 3}
    assert results["mt_town_all.set.zip"].info["srid_counts"] == {"EPSG:6668": 2, "EPSG:4612": 2}
    # the same figures are kept in the load log
    [logged] = rows(paths, "SELECT detail FROM loads WHERE source_file = 'mt_parcel_city131016.set.zip' "
                         "AND status = 'loaded'")
    assert json.loads(logged["detail"])["info"]["swapped_fixed"] == 1


def test_same_file_twice_loads_once(loaded, set_zips, samples, tmp_path):
    paths, _ = loaded
    assert ingest_file(paths, municipalities_source(), MASTER).status == "duplicate"
    again = set_zips(samples, tmp_path)  # rebuilt from the same files: byte-identical sets
    [town_set] = [z for z in again if z.name == "mt_town_all.set.zip"]
    assert ingest_file(paths, abr_source(), town_set).status == "duplicate"
    assert rows(paths, "SELECT count(*) AS n FROM abr_towns") == [{"n": 4}]
    assert rows(paths, "SELECT count(*) AS n FROM municipalities") == [{"n": 1971}]


def _rewrite_csv(zip_path, edit) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        inner = zf.namelist()[0]
        text = zf.read(inner).decode("utf-8-sig")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(inner, edit(text).encode("utf-8"))
    zip_path.write_bytes(buf.getvalue())


def _town_table(paths) -> list[tuple]:
    con = Lake(paths).reader()
    try:
        return con.execute("SELECT * FROM abr_towns ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_unexpected_header_is_quarantined_and_the_lake_unchanged(loaded, abr_copy, set_zips, tmp_path):
    home, _ = loaded
    before = _town_table(home)
    assert len(before) == 4
    _rewrite_csv(abr_copy / "mt_town_all.csv.zip", lambda t: t.replace("machiaza_id", "machiaza_code", 1))
    [bad_set] = [z for z in set_zips(abr_copy, tmp_path / "b") if z.name.startswith("mt_town_")]
    result = ingest_file(home, abr_source(), bad_set)
    assert result.status == "quarantined"
    report = json.loads(result.quarantine_report.read_text())
    [error] = report["errors"]
    assert error["file"] == "mt_town_all.csv.zip" and error["rule"] == "unexpected_header"
    assert "machiaza_id" in error["message"] and "machiaza_code" in error["message"]
    assert _town_table(home) == before


def test_a_narrower_file_replaces_only_its_scope(home, abr_copy, set_zips, tmp_path):
    [town_set] = [z for z in set_zips(abr_copy, tmp_path / "a") if z.name.startswith("mt_town_")]
    ingest_file(home, abr_source(), town_set)
    city = abr_copy / "mt_town_city131016.csv.zip"
    (abr_copy / "mt_town_all.csv.zip").rename(city)
    # keep only 千代田区's 丸の内１丁目 in the city-scope file
    _rewrite_csv(city, lambda t: "\n".join(
        line for i, line in enumerate(t.splitlines()) if i == 0 or ("131016" in line and "0002001" in line)))
    with zipfile.ZipFile(city) as zf:  # the member must carry the file's own stem
        data = zf.read(zf.namelist()[0])
    with zipfile.ZipFile(city, "w") as zf:
        zf.writestr("mt_town_city131016.csv", data)
    [city_set] = [z for z in set_zips(abr_copy, tmp_path / "b") if z.name.startswith("mt_town_city")]
    result = ingest_file(home, abr_source(), city_set)
    assert result.status == "loaded", result.summary()
    got = rows(home, "SELECT lg_code, machiaza_id, rep_lon IS NOT NULL AS has_point FROM abr_towns ORDER BY ALL")
    assert got == [{"lg_code": "131016", "machiaza_id": "0002001", "has_point": True},
                   {"lg_code": "221384", "machiaza_id": "0001001", "has_point": True}]
