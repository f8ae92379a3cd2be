"""不動産情報ライブラリ XPT002 地価公示・地価調査 points (``land_prices``). Contract and rules only; no logic."""

from __future__ import annotations

from quality.rules import Rule, plain_text_rule
from schemas.contract import CodeTable, Column, Contract

PRICE_CLASSIFICATION = CodeTable(
    name="land_price_classification", ja="価格区分", en="price classification",
    codes={"0": "地価公示", "1": "都道府県地価調査"},
    en_labels={"0": "Official land price (MLIT, 1 January)", "1": "Prefectural land price survey (1 July)"},
)

REINFOLIB_ATTRIBUTION = "出典：国土交通省 不動産情報ライブラリ（地価公示・都道府県地価調査）を加工して作成"

LAND_PRICES = Contract(
    name="land_prices",
    version="1.0.0",
    title_ja="地価公示・都道府県地価調査 地点",
    title_en="Official land prices (points)",
    description=(
        "One row per 標準地/基準地 and year from the 不動産情報ライブラリ API XPT002 (GeoJSON tiles), with the "
        "price per ㎡ parsed to an integer and the raw properties kept as JSON."
    ),
    columns=(
        Column("point_id", "string", "地点ID", "Point identifier in the API", nullable=False,
               source_name="point_id"),
        Column("year", "int32", "対象年", "Year requested", nullable=False, min_value=1970, max_value=2100),
        Column("target_year_name", "string", "対象年名", "Year label (e.g. 令和6年)",
               source_name="target_year_name_ja"),
        Column("price_classification", "string", "価格区分", "0 地価公示 / 1 都道府県地価調査", nullable=False,
               codes=PRICE_CLASSIFICATION, source_name="land_price_type"),
        Column("prefecture_code", "string", "都道府県コード", "2-digit prefecture code", pattern=r"\d{2}",
               source_name="prefecture_code"),
        Column("prefecture_name", "string", "都道府県名", "Prefecture name", source_name="prefecture_name_ja"),
        Column("city_code", "string", "市区町村コード", "5-digit municipality code", pattern=r"\d{5}",
               source_name="city_code"),
        Column("lg_code", "string", "全国地方公共団体コード", "6-digit code with check digit", pattern=r"\d{6}"),
        Column("city_county_name", "string", "市郡名", "City or county name", source_name="city_county_name_ja"),
        Column("ward_town_village_name", "string", "区町村名", "Ward, town or village name",
               source_name="ward_town_village_name_ja"),
        Column("standard_lot_number", "string", "標準地番号", "Standard lot number (e.g. 千代田5-1)",
               source_name="standard_lot_number_ja"),
        Column("use_category", "string", "用途区分", "Use category (住宅地, 商業地 …)",
               source_name="use_category_name_ja"),
        Column("place_name", "string", "所在及び地番", "Location and 地番", source_name="place_name_ja"),
        Column("residence_display", "string", "住居表示", "Residence display address",
               source_name="residence_display_name_ja"),
        Column("location_number", "string", "所在地番号", "Location number", source_name="location_number_ja"),
        Column("price_per_sqm", "int64", "当年価格（円/㎡）", "Price of the year in yen per ㎡", min_value=0,
               source_name="u_current_years_price_ja"),
        Column("last_years_price", "int64", "前年価格（円/㎡）", "Previous year's price in yen per ㎡", min_value=0,
               source_name="last_years_price"),
        Column("year_on_year_change_rate", "double", "対前年変動率（%）", "Change from the previous year, percent",
               source_name="year_on_year_change_rate"),
        Column("cadastral_area", "string", "地積", "Lot area as published (text)", source_name="u_cadastral_ja"),
        Column("nearest_station", "string", "最寄駅", "Nearest station", source_name="nearest_station_name_ja"),
        Column("usage_status", "string", "利用現況", "Current use", source_name="usage_status_name_ja"),
        Column("lon", "double", "経度", "Longitude (EPSG:6668)", nullable=False, min_value=122, max_value=154),
        Column("lat", "double", "緯度", "Latitude (EPSG:6668)", nullable=False, min_value=20, max_value=46),
        Column("geometry", "geometry", "地点", "Point in EPSG:6668 (lon, lat), WKB", nullable=False),
        Column("tile_z", "int32", "タイルZ", "Tile zoom the row came from", nullable=False, min_value=13,
               max_value=15),
        Column("tile_x", "int32", "タイルX", "Tile x", nullable=False, min_value=0),
        Column("tile_y", "int32", "タイルY", "Tile y", nullable=False, min_value=0),
        Column("properties", "json", "元属性", "All feature properties as returned (minus _id/_index)"),
    ),
    primary_key=("point_id", "year", "price_classification"),
    sort_by=("city_code", "standard_lot_number"),
    group="real_estate", cadence="semiannual", temporal="year",
    licence="不動産情報ライブラリ利用規約（出典の記載が必要）",
    attribution=REINFOLIB_ATTRIBUTION,
    spatial=True,
)

LAND_PRICES_RULES: tuple[Rule, ...] = (
    plain_text_rule([c.name for c in LAND_PRICES.columns if c.type == "string" and c.pattern is None
                     and c.codes is None and c.name != "point_id"]),
    Rule(
        name="land_price_key_unique",
        description="(地点ID, 対象年, 価格区分) が一意（隣接タイルの重複取得を除いた後）",
        failing_rows=(
            "SELECT * EXCLUDE (_n) FROM (SELECT *, count(*) OVER "
            "(PARTITION BY point_id, year, price_classification) AS _n FROM staged) WHERE _n > 1"
        ),
    ),
)
