"""Linked datasets in a real lake: corporation_addresses (full, incremental, after an ABR change), shelters on the
map, "who is in the affected area" over HTTP, and the CLI on the lake's ABR."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kiban.addresses import linked
from kiban.cli import main as cli
from kiban.config import paths as resolve
from kiban.duck import connect
from kiban.lake import Lake, contract_select
from kiban.load.files import ingest_file
from kiban.serve.app import create_app
from registries.abr import synth
from registries.corporate.checkdigit import make_corporate_number
from registries.corporate.csvform import format_row
from registries.corporate.load import corporate_source
from registries.municipalities.parse import as_records
from registries.municipalities.resolve import bundled_master
from registries.reports.parse import parse
from registries.reports.records import versions_table
from registries.reports.versions import latest_sql
from registries.reports.writers import json_bytes
from schemas.abr import ABR_CONTRACTS
from schemas.corporate import OFFICIAL_COLUMN_NAMES
from schemas.municipalities import MUNICIPALITIES
from schemas.reports import REPORT_VERSIONS, REPORTS_LATEST

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corporate"
DISASTER = "2026-typhoon-21"
IRYO = make_corporate_number("900150000001")
FUKUSHI = make_corporate_number("900150000002")
MOVER = make_corporate_number("900150000003")
NOWHERE = make_corporate_number("900150000004")


def _write_abr(paths, machiaza: int) -> None:
    """The synthetic ABR written into the lake's ABR tables, and the master into municipalities."""
    built = connect()
    synth.build(built, machiaza)
    tables = {name: built.execute(f"SELECT * FROM {name}").to_arrow_table() for name in ABR_CONTRACTS}
    built.close()
    with Lake(paths).writer() as w:
        w.con.register("_master", pa.Table.from_pylist(as_records(bundled_master())))
        for name, contract in ABR_CONTRACTS.items():
            w.con.register(f"_{name}", tables[name])
            w.replace(contract, f"SELECT {contract_select(contract, tables[name].column_names)} FROM _{name}")
        w.replace(MUNICIPALITIES, f"SELECT {contract_select(MUNICIPALITIES, MUNICIPALITIES.column_names)} "
                                  f"FROM _master")


def _corp(number: str, name: str, street: str, pref: str = "東京都", city: str = "千代田区",
          process: str = "01") -> dict[str, str]:
    v = dict.fromkeys(OFFICIAL_COLUMN_NAMES, "")
    v.update({"corporate_number": number, "process": process, "correct": "0", "update_date": "2026-11-05",
              "change_date": "2026-11-04", "name": name, "kind": "399", "prefecture_name": pref,
              "city_name": city, "street_number": street, "prefecture_code": "13", "city_code": "101",
              "assignment_date": "2016-01-04", "latest": "1", "hihyoji": "0"})
    return v


def _diff_zip(tmp_path, name: str, rows: list[dict[str, str]]):
    text = "\n".join(format_row(i, r) for i, r in enumerate(rows, start=1)) + "\n"
    path = tmp_path / f"{name}.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.csv", text.encode("utf-8"))
    path.write_bytes(buf.getvalue())
    return path


def _land_reports(paths, rows: list[dict]) -> None:
    subs = parse(json_bytes(rows), "shelters.json", received_at=datetime(2026, 9, 14, 4, tzinfo=UTC))
    table = versions_table(subs, [[] for _ in subs])
    with Lake(paths).writer() as w:
        w.con.register("_v", table)
        w.append(REPORT_VERSIONS, "SELECT * FROM _v")
        w.replace(REPORTS_LATEST, latest_sql(table="lake.report_versions"))


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("addr")
    paths = resolve(tmp / "home").ensure()
    _write_abr(paths, 2_000)
    assert ingest_file(paths, corporate_source(), SAMPLES / "00_zenkoku_all_20261030.zip").status == "loaded"
    first = linked.refresh_corporations(paths)
    return paths, tmp, first


def _q(paths, sql: str, params=()):
    con = Lake(paths).reader(spatial=False)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _indicators_as_recounted(paths) -> None:
    """The match rate and the review list hold exactly what a recount over corporation_addresses gives."""
    rate = "SELECT prefecture_code, match_level, corporations, share, at_least_machiaza FROM {} ORDER BY 1, 2"
    recount = """(SELECT p AS prefecture_code, match_level, n AS corporations, n / sum(n) OVER (PARTITION BY p) AS share,
                         coalesce(sum(n) FILTER (WHERE match_level NOT IN ('unknown', 'prefecture', 'city'))
                                  OVER (PARTITION BY p), 0) / sum(n) OVER (PARTITION BY p) AS at_least_machiaza
                  FROM (SELECT coalesce(prefecture_code, '--') AS p, match_level, count(*) AS n
                        FROM corporation_addresses GROUP BY ALL))"""
    assert _q(paths, rate.format("corporation_address_match_rate")) == _q(paths, rate.format(recount))
    review = "SELECT corporate_number, name, prefecture_code, input, match_level, lg_code, others FROM {} ORDER BY 1"
    below = "(SELECT * FROM corporation_addresses WHERE match_level IN ('unknown', 'prefecture', 'city'))"
    assert _q(paths, review.format("corporation_address_review")) == _q(paths, review.format(below))


def test_every_corporation_with_a_domestic_address_is_matched_once_with_a_rate_and_a_review_list(lake):
    paths, _, first = lake
    assert first["mode"] == "full"
    domestic = _q(paths, "SELECT count(*) FROM corporations WHERE prefecture_name IS NOT NULL")[0][0]
    assert _q(paths, "SELECT count(*), count(DISTINCT corporate_number) FROM corporation_addresses")[0] == (
        domestic, domestic)
    # every prefecture's shares add up to one, and the review list holds exactly the rows below 町字
    for pref, total in _q(paths, "SELECT prefecture_code, sum(share) FROM corporation_address_match_rate GROUP BY 1"):
        assert total == pytest.approx(1.0), pref
    below = _q(paths, "SELECT count(*) FROM corporation_addresses WHERE match_level IN ('unknown','prefecture','city')")
    assert _q(paths, "SELECT count(*) FROM corporation_address_review")[0][0] == below[0][0]
    # the sample's addresses name municipalities the master knows: none is left at prefecture level or below
    assert _q(paths, "SELECT count(*) FROM corporation_addresses WHERE match_level IN ('unknown', 'prefecture')"
              )[0][0] == 0


def test_a_diff_rematches_only_the_corporations_it_changes(lake):
    paths, tmp, _ = lake
    before = dict(_q(paths, "SELECT corporate_number, matched_at FROM corporation_addresses"))
    moved = next(iter(before))
    old = _q(paths, "SELECT * FROM corporations WHERE corporate_number = ?", [moved])
    cols = [c[0] for c in Lake(paths).reader(spatial=False).execute("DESCRIBE corporations").fetchall()]
    mover = dict(zip(cols, old[0], strict=True))
    rows = [
        _corp(IRYO, "医療法人社団紀尾井会", "紀尾井町１番１号"),
        _corp(FUKUSHI, "社会福祉法人上賀茂福祉会", "上賀茂女夫岩町", pref="京都府", city="京都市北区"),
        _corp(moved, mover["name"], "霞が関三丁目１番１号", process="12"),
        _corp(NOWHERE, "株式会社架空", "存在しない町１番", city="架空市"),
    ]
    rate_before = _q(paths, "SELECT prefecture_code, match_level, corporations FROM corporation_address_match_rate")
    assert ingest_file(paths, corporate_source(), _diff_zip(tmp, "diff_20261105", rows)).status == "loaded"
    info = linked.refresh_corporations(paths)
    assert info["mode"] == "incremental" and info["matched"] == 4
    # the indicators are brought up to date from the changed rows alone, and equal a recount
    _indicators_as_recounted(paths)
    assert _q(paths, "SELECT prefecture_code, match_level, corporations FROM corporation_address_match_rate"
              ) != rate_before
    assert _q(paths, "SELECT reason FROM corporation_address_review WHERE corporate_number = ?", [NOWHERE]
              ) == [("no_city",)]
    assert info["changes_from"] == "feed" and info["reference_cached"]  # the 差分's rows only, ABR not rebuilt
    got = {r[0]: r[1:] for r in _q(paths, "SELECT corporate_number, lg_code, machiaza_id, match_level, legal_form, "
                                          "matched_at FROM corporation_addresses WHERE corporate_number IN (?, ?, ?)",
                                   [IRYO, FUKUSHI, moved])}
    assert got[IRYO][:4] == ("131016", "0001000", "residential_detail", "医療法人")
    assert got[FUKUSHI][:4] == ("261017", "0002000", "machiaza", "社会福祉法人")
    assert got[moved][:3] == ("131016", "0002003", "machiaza_detail") or got[moved][2] == "residential_detail"
    untouched = _q(paths, "SELECT corporate_number, matched_at FROM corporation_addresses "
                          "WHERE corporate_number NOT IN (?, ?, ?, ?)", [IRYO, FUKUSHI, moved, NOWHERE])
    assert all(before[n] == at for n, at in untouched)
    # nothing changed: nothing is matched again
    assert linked.refresh_corporations(paths)["matched"] == 0
    _indicators_as_recounted(paths)


def test_matching_in_small_chunks_gives_exactly_the_rows_of_one_pass(lake):
    paths, _, _ = lake
    columns = "* EXCLUDE (matched_at)"
    one_pass = linked.refresh_corporations(paths, full=True, chunk_rows=10_000_000)
    whole = _q(paths, f"SELECT {columns} FROM corporation_addresses ORDER BY corporate_number")
    assert one_pass["matched"] == len(whole) > 40
    chunked = linked.refresh_corporations(paths, full=True, chunk_rows=100)
    assert chunked["matched"] == len(whole) and chunked["reference_cached"]
    assert _q(paths, f"SELECT {columns} FROM corporation_addresses ORDER BY corporate_number") == whole


def test_an_abr_reload_matches_every_corporation_again(lake):
    paths, _, _ = lake
    version = _q(paths, "SELECT DISTINCT abr_version FROM corporation_addresses")
    _write_abr(paths, 2_000)
    info = linked.refresh_corporations(paths)
    assert info["mode"] == "full" and not info["reference_cached"]  # a new ABR: its reference is built anew
    assert _q(paths, "SELECT DISTINCT abr_version FROM corporation_addresses") != version


def test_shelters_with_an_address_are_placed_and_reported_positions_win(lake):
    paths, _, _ = lake
    base = {"report_type": "shelter_status", "as_of": datetime(2026, 9, 14, 3, tzinfo=UTC), "sequence_no": 1,
            "control": "正規", "update_type": "新規", "disaster_id": DISASTER, "open_status": "開設"}
    _land_reports(paths, [
        {**base, "report_id": "00000000-0000-4000-8000-000000000101", "lg_code": "261017",
         "subject_key": f"{DISASTER}/261017-001", "shelter_id": "261017-001", "shelter_name": "上賀茂小学校",
         "address": "上賀茂女夫岩町"},
        {**base, "report_id": "00000000-0000-4000-8000-000000000102", "lg_code": "131016",
         "subject_key": f"{DISASTER}/131016-001", "shelter_id": "131016-001", "shelter_name": "紀尾井町公民館",
         "address": "東京都千代田区紀尾井町１－１", "latitude": 35.68, "longitude": 139.73},
        {**base, "report_id": "00000000-0000-4000-8000-000000000103", "lg_code": "131016",
         "subject_key": f"{DISASTER}/131016-002", "shelter_id": "131016-002", "shelter_name": "住所なし避難所"},
        {"report_id": "00000000-0000-4000-8000-000000000104", "report_type": "disaster_damage", "lg_code": "131016",
         "subject_key": DISASTER, "as_of": datetime(2026, 9, 14, 3, tzinfo=UTC), "sequence_no": 1,
         "control": "正規", "update_type": "新規", "form_part": "その2", "dead": 0},
    ])
    assert linked.refresh_shelters(paths)["shelter_addresses"] == 3
    rows = {r[0]: r[1:] for r in _q(paths, "SELECT shelter_id, address_lg_code, machiaza_id, match_level, "
                                           "position_source, lat, lon FROM shelter_addresses")}
    town = _q(paths, "SELECT rep_lat, rep_lon FROM abr_towns WHERE lg_code = '261017' AND machiaza_id = '0002000'")
    assert rows["261017-001"][:4] == ("261017", "0002000", "machiaza", "abr")  # read within 京都市北区
    assert rows["261017-001"][4:] == pytest.approx(town[0])
    assert rows["131016-001"][3:] == ("reported", 35.68, 139.73)
    assert rows["131016-002"][2:4] == ("unknown", "none")


def test_who_is_in_the_affected_area_as_json_csv_and_geojson(lake):
    paths, _, _ = lake
    client = TestClient(create_app(paths))
    r = client.get("/v1/addresses/affected", params={"disaster": DISASTER, "kinds": "医療法人,社会福祉法人"})
    assert r.status_code == 200
    doc = r.json()
    numbers = {c["corporate_number"]: c for c in doc["corporations"]}
    assert IRYO in numbers and FUKUSHI in numbers  # 千代田区 reported damage, 京都市北区 opened a shelter
    assert numbers[IRYO]["reason"] == "damage_report,shelter_open"
    assert all(c["legal_form"] in ("医療法人", "社会福祉法人") for c in doc["corporations"])
    in_town = client.get("/v1/addresses/affected", params={"disaster": DISASTER, "scope": "machiaza",
                                                           "kinds": "社会福祉法人"}).json()
    assert [c["corporate_number"] for c in in_town["corporations"]] == [FUKUSHI]
    assert in_town["areas"] == [{"lg_code": "131016", "machiaza_id": "0001000", "reason": "shelter_open"},
                                {"lg_code": "261017", "machiaza_id": "0002000", "reason": "shelter_open"}]
    csv_text = client.get("/v1/addresses/affected", params={"disaster": DISASTER, "kinds": "医療法人",
                                                            "format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("corporate_number,name,legal_form")
    assert IRYO in csv_text
    geo = client.get("/v1/addresses/affected", params={"disaster": DISASTER, "kinds": "医療法人,社会福祉法人",
                                                       "format": "geojson", "pref": "26"}).json()
    assert geo["type"] == "FeatureCollection"
    assert [f["properties"]["corporate_number"] for f in geo["features"]] == [FUKUSHI]
    assert geo["features"][0]["geometry"]["coordinates"][0] > 135
    assert client.get("/v1/addresses/affected", params={"kinds": "'; DROP TABLE x; --"}).status_code == 400
    assert client.get("/v1/addresses/affected", params={"lg_code": "13101x"}).status_code == 400
    assert client.get("/v1/addresses/affected", params={"disaster": "other'); --"}).json()["count"] == 0


def test_the_match_endpoint_answers_with_the_geocoder_fields(lake):
    paths, _, _ = lake
    client = TestClient(create_app(paths))
    r = client.get("/v1/addresses/match", params={"q": "千代田区紀尾井町１－１ 紀尾井ビル"})
    assert r.status_code == 200
    body = r.json()
    assert (body["lg_code"], body["machiaza_id"], body["match_level"]) == ("131016", "0001000", "residential_detail")
    assert body["others"] == ["紀尾井ビル"] and body["pref"] == "東京都" and body["lat"] is not None
    assert client.get("/v1/addresses/match").status_code == 400
    assert client.get("/v1/addresses/match", params={"q": "x" * 501}).status_code == 400
    odd = client.get("/v1/addresses/match", params={"q": "'; DROP TABLE abr_towns; --"}).json()
    assert odd["match_level"] == "unknown"
    assert client.get("/v1/addresses/match", params={"q": "霞が関一丁目"}).json()["match_level"] == "machiaza_detail"


def test_the_cli_answers_one_record_per_line_in_input_order(lake):
    paths, tmp, _ = lake
    f = tmp / "in.txt"
    f.write_text("北区赤羽二丁目\n\n東京都千代田区紀尾井町1-1\nほげ\n", encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["--home", str(paths.home), "addresses", "match", str(f), "-"], input="京都府\n")
    assert out.exit_code == 0, out.output
    recs = [json.loads(line) for line in out.output.splitlines()]
    assert [r["input"] for r in recs] == ["北区赤羽二丁目", "", "東京都千代田区紀尾井町1-1", "ほげ", "京都府"]
    assert [r["match_level"] for r in recs] == ["machiaza_detail", "unknown", "residential_detail", "unknown",
                                                "prefecture"]
    csv_out = runner.invoke(cli, ["--home", str(paths.home), "addresses", "match", str(f), "--format", "csv"])
    lines = csv_out.output.splitlines()
    assert lines[0].startswith("input,output,others,match_level,coordinate_level,lat,lon,lg_code,machiaza_id")
    assert len(lines) == 5
    table = runner.invoke(cli, ["--home", str(paths.home), "addresses", "match", str(f), "--format", "table"])
    assert table.output.splitlines()[1].startswith("machiaza_detail\t131172\t0001002")
    missing = runner.invoke(cli, ["--home", str(paths.home), "addresses", "match", str(tmp / "nope.txt")])
    assert missing.exit_code != 0 and "no such file" in missing.output


def test_a_reference_cache_of_an_older_format_is_built_anew_not_read(lake, monkeypatch):
    from kiban.addresses import reference

    paths, _, _ = lake
    cache = linked.reference_cache(paths)
    with Lake(paths).writer() as w:
        version = linked.abr_version(w)
    monkeypatch.setattr(reference, "REF_FORMAT", reference.REF_FORMAT - 1)
    cache.unlink(missing_ok=True)
    with Lake(paths).writer() as w:
        linked._use_lake(w)
        assert reference.load_or_build(w.con, cache, version) is False  # built, saved as the older format
        assert reference.load_or_build(w.con, cache, version) is True
    monkeypatch.undo()
    with Lake(paths).writer() as w:
        linked._use_lake(w)
        assert reference.load_or_build(w.con, cache, version) is False  # this format: not the older one's tables
        assert "jk" in {r[0] for r in w.con.execute("DESCRIBE ref_town").fetchall()}
        assert reference.load_or_build(w.con, cache, version) is True


def test_a_copied_home_keeps_its_abr_fingerprint_and_refreshes_incrementally(lake, tmp_path):
    paths, _, _ = lake
    linked.refresh_corporations(paths)  # up to date with whatever the tests before changed
    copy = resolve(tmp_path / "moved-home")
    shutil.copytree(paths.home, copy.home, symlinks=True)
    with Lake(paths).writer() as w:
        here = linked.abr_version(w)
    with Lake(copy).writer() as w:
        there = linked.abr_version(w)
    assert here == there
    info = linked.refresh_corporations(copy)
    assert info["mode"] == "incremental" and info["matched"] == 0


def test_a_refresh_that_fails_half_way_publishes_nothing_and_leaves_no_file_behind(lake, monkeypatch):
    paths, _, _ = lake
    linked.refresh_corporations(paths)  # up to date with whatever the tests before changed
    table = paths.lake_data / "main" / "corporation_addresses"
    files, rows = sorted(table.iterdir()), _q(paths, "SELECT * FROM corporation_addresses ORDER BY corporate_number")
    snapshot = Lake(paths).snapshot_id()
    passes = []
    real = linked.match.run

    def failing(con, source, **kw):  # the third chunk fails, after two have been written and adopted
        passes.append(source)
        if len(passes) == 3:
            raise RuntimeError("matcher failed")
        return real(con, source, **kw)

    monkeypatch.setattr(linked.match, "run", failing)
    with pytest.raises(RuntimeError, match="matcher failed"):
        linked.refresh_corporations(paths, full=True, chunk_rows=10)
    assert len(passes) == 3
    assert Lake(paths).snapshot_id() == snapshot
    assert _q(paths, "SELECT * FROM corporation_addresses ORDER BY corporate_number") == rows
    assert sorted(table.iterdir()) == files  # the adopted chunks were removed again
    assert not list(paths.staging.glob("kiban-addresses-*"))  # and so were the staged ones
