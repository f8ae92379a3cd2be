import csv
import io
import json
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from indicators_crafted import T0, A, B, C
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kiban.indicators.service import attach
from kiban.lake import Lake
from kiban.serve import snapshot, status
from schemas.abr import ABR_CITIES


@pytest.fixture(scope="module")
def client(lake_home):
    # ABR representative point for A only: the other municipalities get geometry null
    row = {c.name: None for c in ABR_CITIES.columns} | {"lg_code": A, "rep_lon": 130.7, "rep_lat": 32.8}
    with Lake(lake_home).writer() as w:
        w.con.register("_cities", pa.Table.from_pylist([row], schema=ABR_CITIES.arrow_schema()))
        w.append(ABR_CITIES, "SELECT * FROM _cities")
    # only the routes under test: kiban.serve.app's other modules import Great Expectations (15 s)
    app = Starlette(routes=snapshot.routes(lake_home) + status.routes(lake_home))
    attach(app, lake_home)  # the app's indicator service (create_app does this)
    return TestClient(app)


def test_snapshot_json_carries_as_of_coverage_freshness(client):
    r = client.get("/v1/snapshot", params={"type": "disaster_damage", "pref": "43"})
    assert r.status_code == 200 and r.headers["etag"] and r.headers["last-modified"]
    doc = r.json()
    assert doc["area"] == {"grain": "prefecture", "code": "43", "name": "熊本県"}
    assert doc["coverage"]["reported"] == 2 and doc["coverage"]["expected"] == 45
    assert doc["coverage"]["statement"].startswith("2 of 45 municipalities reported; oldest as_of 2026-09-14T03:00")
    assert doc["as_of"].startswith("2026-09-14T03:00") and doc["generated_at"]
    assert doc["freshness"]["status"] == "overdue"  # the wall clock is long after the crafted event
    dead = next(v for v in doc["indicators"] if v["indicator_id"] == "dead")
    assert dead["value"] == 8
    assert {m["lg_code"] for m in doc["municipalities"]} == {A, B}
    assert C in {s["lg_code"] for s in doc["silent"]}


def test_conditional_get_304(client):
    r = client.get("/v1/snapshot?type=disaster_damage&lg_code=" + A)
    again = client.get("/v1/snapshot?type=disaster_damage&lg_code=" + A, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = client.get("/v1/indicators/dead", headers={"If-Modified-Since": r.headers["last-modified"]})
    assert since.status_code == 304


def test_csv_utf8_and_sjis(client):
    utf = client.get("/v1/snapshot?type=disaster_damage&pref=43&format=csv")
    assert utf.headers["content-type"].startswith("text/csv; charset=utf-8")
    rows = list(csv.DictReader(io.StringIO(utf.content.decode("utf-8"))))
    assert len(rows) == 45
    sj = client.get("/v1/snapshot?type=disaster_damage&pref=43&format=csv&encoding=sjis")
    assert "Shift_JIS" in sj.headers["content-type"]
    with pytest.raises(UnicodeDecodeError):
        sj.content.decode("utf-8")
    srows = list(csv.DictReader(io.StringIO(sj.content.decode("cp932"))))
    assert srows == rows
    a = next(r for r in srows if r["lg_code"] == A)
    assert a["prefecture_name"] == "熊本県" and a["dead"] == "5.0" and a["reporting"] == "True"
    assert next(r for r in srows if r["lg_code"] == B)["missing"] == ""  # 未確認: empty, not 0


def test_geojson_shape(client):
    doc = client.get("/v1/snapshot?type=disaster_damage&pref=43&format=geojson").json()
    assert doc["type"] == "FeatureCollection" and doc["coverage"]["reported"] == 2
    feats = {f["id"]: f for f in doc["features"]}
    assert len(feats) == 45
    assert feats[A]["geometry"] == {"type": "Point", "coordinates": [130.7, 32.8]}
    assert feats[B]["geometry"] is None and feats[B]["properties"]["dead"] == 3


def test_parquet(client):
    r = client.get("/v1/snapshot?type=disaster_damage&pref=43&format=parquet")
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == 45
    meta = json.loads(table.schema.metadata[b"kiban:snapshot"])
    assert meta["coverage"]["reported"] == 2


def test_as_of_time_travel_on_both_routes(client):
    at = (T0 + timedelta(minutes=30)).isoformat()
    snap = client.get("/v1/snapshot", params={"type": "disaster_damage", "lg_code": A, "as_of": at}).json()
    assert snap["as_known_at"] == at and snap["indicators"][0]["value"] == 1
    ind = client.get("/v1/indicators/dead", params={"grain": "prefecture", "area": "43", "as_of": at}).json()
    assert ind["current"]["value"] == 1 + 7  # C not yet withdrawn, A not yet corrected


def test_bad_parameters_are_400_and_no_sql(client):
    assert client.get("/v1/snapshot?type=nope").status_code == 400
    assert client.get("/v1/snapshot?type=disaster_damage&pref=99").status_code == 400
    assert client.get("/v1/snapshot?type=disaster_damage&as_of=yesterday").status_code == 400
    assert client.get("/v1/indicators/nope").status_code == 404
    assert client.get("/v1/snapshot?type=disaster_damage&lg_code=999999").status_code == 404


def test_indicator_series_from_refresh(client, lake_home):
    from kiban.indicators import refresh

    refresh.backfill(lake_home, [T0 + timedelta(minutes=30), T0 + timedelta(hours=6)])
    body = client.get("/v1/indicators/dead").json()
    assert [p["value"] for p in body["series"]] == [8.0, 8.0]  # national: A(1)+C(7) at T0+30m, A(5)+B(3) later
    early = client.get("/v1/indicators/dead", params={"to": (T0 + timedelta(hours=1)).isoformat()}).json()
    assert len(early["series"]) == 1
    assert body["indicator"]["measure_sql"] == "dead"
    from kiban.serve.openapi import spec as openapi_spec

    spec = openapi_spec()
    assert {"/v1/snapshot", "/v1/indicators/{indicator_id}", "/v1/status"} <= set(spec["paths"])
    assert "as_of" in str(spec["paths"]["/v1/snapshot"])


def test_app_registers_the_routes():
    from kiban.serve.app import ROUTE_MODULES

    assert {"snapshot", "status"} <= set(ROUTE_MODULES)


def test_service_reopens_on_new_views_file_and_serves_stale_while_refreshing(lake_home):
    import time as _time

    from kiban.indicators.service import IndicatorService

    svc = IndicatorService(lake_home, ttl=0.0)
    first = svc.rows()
    assert svc.rows() is first  # expired: the stale entry is served while a thread recomputes
    for _ in range(100):
        if svc.rows() is not first:
            break
        _time.sleep(0.05)
    assert svc.rows() is not first
    svc.ttl = 3600.0
    while svc._refreshing:
        _time.sleep(0.05)
    opened, computed, current = svc.reader.opened, svc.computed, svc.rows()
    with Lake(lake_home).writer():
        pass  # an empty commit rebuilds the views file; the lake snapshot is the same
    assert svc.rows() is current and svc.computed == computed  # the cache is keyed on the lake snapshot
    assert svc.reader.opened == opened + 1
    row = {c.name: None for c in ABR_CITIES.columns} | {"lg_code": C}
    with Lake(lake_home).writer() as w:  # a real change: a new snapshot, new rows
        w.con.register("_more", pa.Table.from_pylist([row], schema=ABR_CITIES.arrow_schema()))
        w.append(ABR_CITIES, "SELECT * FROM _more")
    assert svc.rows().identity != first.identity and svc.computed == computed + 1
