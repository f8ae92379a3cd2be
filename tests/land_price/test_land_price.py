"""不動産情報ライブラリ XPT002 client and parser, served by httpx.MockTransport."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import httpx
import pytest
import shapely

from registries.land_price.client import (
    KEY_HEADER,
    ReinfolibAuthError,
    ReinfolibClient,
    ReinfolibConfig,
    ReinfolibError,
    ReinfolibQuotaError,
)
from registries.land_price.fetch import fetch_land_prices
from registries.land_price.parse import parse_number, rows_from_collection, staged_schema, to_table
from registries.land_price.tiles import lonlat_to_tile, tile_bounds, tiles_for_bbox
from schemas.land_price import LAND_PRICES, LAND_PRICES_RULES

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "xpt002_13_7276_3225.json").read_text("utf-8"))
SECRET = "s3cr3t-key-0123456789"
BASE = "http://127.0.0.1:9/ex-api/external"


def _client(handler, **kwargs) -> ReinfolibClient:
    config = ReinfolibConfig(base_url=BASE, key=SECRET)
    return ReinfolibClient(config, transport=httpx.MockTransport(handler), sleep=lambda s: None, **kwargs)


def test_request_shape_and_key_header(caplog):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=FIXTURE)

    caplog.set_level(logging.DEBUG)
    with _client(handler) as client:
        body = client.xpt002(13, 7276, 3225, 2024, price_classification="0", use_category_codes=("00", "05"))
        text = repr(client)
    assert len(body["features"]) == 3
    req = seen[0]
    assert req.url.path == "/ex-api/external/XPT002"
    assert dict(req.url.params) == {"response_format": "geojson", "z": "13", "x": "7276", "y": "3225",
                                    "year": "2024", "priceClassification": "0", "useCategoryCode": "00,05"}
    assert req.headers[KEY_HEADER] == SECRET
    assert SECRET not in caplog.text and SECRET not in text and SECRET not in str(req.url)
    assert SECRET not in repr(ReinfolibConfig(BASE, SECRET))


def test_config_from_env():
    cfg = ReinfolibConfig.from_env({"KIBAN_REINFOLIB_KEY": SECRET, "KIBAN_REINFOLIB_URL": BASE})
    assert cfg.base_url == BASE and cfg.key == SECRET
    assert ReinfolibConfig.from_env({"KIBAN_REINFOLIB_KEY": "k"}).base_url.startswith("https://www.reinfolib")
    with pytest.raises(ReinfolibAuthError):
        ReinfolibConfig.from_env({})


def test_404_is_no_data_and_empty_tile():
    with _client(lambda r: httpx.Response(404, json={"message": "no data"})) as client:
        assert client.xpt002(15, 29105, 12903, 2024)["features"] == []
    with _client(lambda r: httpx.Response(200, json={"type": "FeatureCollection", "features": []})) as client:
        table = fetch_land_prices(client, [(15, 29105, 12903)], 2024)
    assert table.num_rows == 0 and table.schema == staged_schema()


def test_retries_429_then_succeeds_and_gives_up():
    calls = {"n": 0}
    slept: list[float] = []

    def handler(request):
        calls["n"] += 1
        if calls["n"] < 3:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, json=FIXTURE)

    client = ReinfolibClient(ReinfolibConfig(BASE, SECRET), transport=httpx.MockTransport(handler),
                             sleep=slept.append, backoff=0.5)
    assert len(client.xpt002(13, 7276, 3225, 2024)["features"]) == 3
    assert calls["n"] == 3 and slept == [7.0, 7.0]
    with _client(lambda r: httpx.Response(503), max_retries=2) as failing, pytest.raises(ReinfolibError) as err:
        failing.xpt002(13, 7276, 3225, 2024)
    assert err.value.status == 503


@pytest.mark.parametrize(("status", "error"), [(401, ReinfolibAuthError), (403, ReinfolibQuotaError),
                                               (400, ReinfolibError)])
def test_error_statuses(status, error):
    with _client(lambda r: httpx.Response(status, text="denied")) as client, pytest.raises(error) as err:
        client.xpt002(13, 7276, 3225, 2024)
    assert err.value.status == status and SECRET not in str(err.value)


def test_bad_zoom_rejected_before_calling():
    with _client(lambda r: pytest.fail("no request expected")) as client, pytest.raises(ValueError):
        client.xpt002(12, 1, 1, 2024)


def test_parse_fixture_into_typed_rows():
    rows = {r["point_id"]: r for r in rows_from_collection(FIXTURE, year=2024, z=13, x=7276, y=3225)}
    a = rows["101010001"]
    assert a["price_per_sqm"] == 36_800_000 and a["last_years_price"] == 35_600_000
    assert a["year_on_year_change_rate"] == 3.4 and a["price_classification"] == "0"
    assert (a["city_code"], a["lg_code"], a["prefecture_code"]) == ("13101", "131016", "13")
    assert a["standard_lot_number"] == "千代田5-1" and a["use_category"] == "商業地"
    assert shapely.from_wkb(a["geometry"]).coords[0] == (139.76583, 35.68135)
    props = json.loads(a["properties"])
    assert "_id" not in props and "_index" not in props and props["front_road_width"] == 27.0
    b = rows["101010002"]
    assert b["last_years_price"] == 3_440_000 and b["year_on_year_change_rate"] == -0.5
    c = rows["131010105"]
    assert c["price_classification"] == "1" and c["last_years_price"] is None
    assert c["year_on_year_change_rate"] is None and c["residence_display"] is None
    table = to_table(rows.values())
    assert table.schema.names == [*LAND_PRICES.column_names, "_source_row"]
    assert table.column("price_per_sqm").type == "int64"


def test_parse_number_forms():
    assert parse_number("36,800,000(円/㎡)") == 36_800_000
    assert parse_number(" -1.25 ") == -1.25 and parse_number(2) == 2.0
    assert parse_number("") is None and parse_number("－") is None and parse_number(None) is None


def test_fetch_dedupes_points_across_tiles_and_rules_pass():
    def handler(request):
        return httpx.Response(200, json=FIXTURE)

    with _client(handler) as client:
        table = fetch_land_prices(client, [(13, 7276, 3225), (13, 7277, 3225)], 2024)
    assert table.num_rows == 3
    con = duckdb.connect()
    con.register("staged", table)
    for rule in LAND_PRICES_RULES:
        assert con.execute(f"SELECT count(*) FROM ({rule.failing_rows})").fetchone()[0] == 0
    con.execute("CREATE TABLE dup AS SELECT * FROM staged UNION ALL SELECT * FROM staged LIMIT 4")
    unique = next(r for r in LAND_PRICES_RULES if r.name == "land_price_key_unique")
    sql = unique.failing_rows.replace("FROM staged", "FROM dup")
    assert con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] == 2


def test_tiles_cover_bbox():
    x, y = lonlat_to_tile(139.765, 35.683, 13)
    assert (x, y) == (7276, 3225)
    w, s, e, n = tile_bounds(13, x, y)
    assert w <= 139.765 <= e and s <= 35.683 <= n
    tiles = list(tiles_for_bbox(139.73, 35.67, 139.78, 35.70, 13))
    assert (13, 7276, 3225) in tiles and len(tiles) == len(set(tiles)) >= 2
    with pytest.raises(ValueError):
        list(tiles_for_bbox(139.7, 35.6, 139.8, 35.7, 16))
