"""Real-estate datasets: 法務省 登記所備付地図データ 筆 polygons (``parcels``) and 地価公示・地価調査 points
(``land_prices``, 不動産情報ライブラリ XPT002). Contracts and rules only; no logic."""

from __future__ import annotations

from quality.rules import Rule
from schemas import register
from schemas.contract import CodeTable, Column, Contract

MOJ_ATTRIBUTION = "出典：法務省登記所備付地図データ（G空間情報センター）を加工して作成"
MOJ_LICENCE = "登記所備付地図データ利用規約（政府標準利用規約第2.0版準拠、出典の記載と加工の旨の明示が必要）"

DATUM = CodeTable(
    name="moj_datum", ja="採用測地系", en="datum the plane coordinates were read in",
    codes={"JGD2011": "世界測地系（JGD2011 平面直角座標系として読込）",
           "Tokyo": "日本測地系（Tokyo 平面直角座標系から JGD2011 へ変換）"},
)

PARCELS = register(Contract(
    name="parcels",
    version="1.0.0",
    title_ja="登記所備付地図 筆ポリゴン",
    title_en="Land parcels (MOJ registry map)",
    description=(
        "One row per 筆 of the 法務省 登記所備付地図データ (地図XML), with its 地番 and 大字/丁目/小字/予備 codes "
        "and the polygon in JGD2011 lon/lat (EPSG:6668, WKB). Parcels in 任意座標系 files cannot be "
        "georeferenced: they keep geometry NULL and their plane polygon in local_geometry. 地区外 and 別図 "
        "features are excluded. No owners or rights: those are not open data."
    ),
    columns=(
        Column("lg_code", "string", "全国地方公共団体コード", "6-digit local government code with check digit",
               nullable=False, pattern=r"\d{6}"),
        Column("city_code", "string", "市区町村コード", "5-digit municipality code as in the file",
               nullable=False, pattern=r"\d{5}", source_name="市区町村コード"),
        Column("city_name", "string", "市区町村名", "Municipality name", source_name="市区町村名"),
        Column("map_name", "string", "地図名", "Map (sheet group) name", nullable=False, source_name="地図名"),
        Column("fude_id", "string", "筆ID", "筆 element id within the file", source_name="筆/@id"),
        Column("oaza_code", "string", "大字コード", "大字 code (3 digits)", nullable=False, pattern=r"\d{3}",
               source_name="大字コード"),
        Column("chome_code", "string", "丁目コード", "丁目 code (3 digits)", nullable=False, pattern=r"\d{3}",
               source_name="丁目コード"),
        Column("koaza_code", "string", "小字コード", "小字 code (4 digits)", nullable=False, pattern=r"\d{4}",
               source_name="小字コード"),
        Column("yobi_code", "string", "予備コード", "Spare code (2 digits)", nullable=False, pattern=r"\d{2}",
               source_name="予備コード"),
        Column("oaza_name", "string", "大字名", "大字 name", source_name="大字名"),
        Column("chome_name", "string", "丁目名", "丁目 name", source_name="丁目名"),
        Column("koaza_name", "string", "小字名", "小字 name", source_name="小字名"),
        Column("yobi_name", "string", "予備名", "Spare name", source_name="予備名"),
        Column("chiban", "string", "地番", "Parcel number (e.g. 1-1)", nullable=False, source_name="地番"),
        Column("accuracy_class", "string", "精度区分", "Accuracy class (e.g. 甲二)", source_name="精度区分"),
        Column("coordinate_type", "string", "座標値種別", "How coordinates were obtained (e.g. 測量成果, 図上測量)",
               source_name="座標値種別"),
        Column("hikkai_mitei", "string", "筆界未定構成筆", "Parcels forming an undetermined-boundary group",
               source_name="筆界未定構成筆"),
        Column("crs_name", "string", "座標系", "Coordinate system as in the file (公共座標N系 or 任意座標系)",
               nullable=False, source_name="座標系"),
        Column("datum_kind", "string", "測地系判別", "Datum indication as in the file", source_name="測地系判別"),
        Column("datum", "string", "採用測地系", "Datum the plane coordinates were read in (NULL for 任意座標系)",
               codes=DATUM),
        Column("source_epsg", "int32", "変換元EPSG", "EPSG code of the plane CRS projected from (6669–6687 or "
               "30161–30179); NULL for 任意座標系", min_value=6669, max_value=30179),
        Column("is_arbitrary_crs", "bool", "任意座標系フラグ", "True for parcels in 任意座標系 (not georeferenced)",
               nullable=False),
        Column("geometry", "geometry", "筆ポリゴン", "Polygon in EPSG:6668 (lon, lat), WKB; NULL for 任意座標系"),
        Column("local_geometry", "geometry", "任意座標系ポリゴン",
               "Polygon in the file's own plane coordinates (x = 地図XML Y east, y = 地図XML X north), WKB; "
               "only for 任意座標系"),
        Column("is_valid", "bool", "ポリゴン妥当性", "OGC validity of the polygon, computed at staging",
               nullable=False),
        Column("bbox_xmin", "double", "外接矩形 最小経度", "Bounding box min longitude", min_value=-180,
               max_value=180),
        Column("bbox_ymin", "double", "外接矩形 最小緯度", "Bounding box min latitude", min_value=-90, max_value=90),
        Column("bbox_xmax", "double", "外接矩形 最大経度", "Bounding box max longitude", min_value=-180,
               max_value=180),
        Column("bbox_ymax", "double", "外接矩形 最大緯度", "Bounding box max latitude", min_value=-90, max_value=90),
        Column("rep_lon", "double", "代表点経度", "Longitude of a point inside the polygon (point on surface)",
               min_value=-180, max_value=180),
        Column("rep_lat", "double", "代表点緯度", "Latitude of a point inside the polygon (point on surface)",
               min_value=-90, max_value=90),
        Column("source_file", "string", "元ファイル", "XML file inside the published zip (outer.zip!inner.zip!x.xml)",
               nullable=False),
    ),
    primary_key=("lg_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban", "map_name"),
    sort_by=("lg_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban"),
    group="real_estate",
    licence=MOJ_LICENCE,
    attribution=MOJ_ATTRIBUTION,
    spatial=True,
))

_PK = ", ".join(PARCELS.primary_key)
_LG_CD = " + ".join(f"{w} * TRY_CAST(substr(lg_code, {i + 1}, 1) AS INTEGER)" for i, w in enumerate((6, 5, 4, 3, 2)))

PARCELS_RULES: tuple[Rule, ...] = (
    Rule(
        name="parcel_in_japan",
        description="公共座標の筆は日本の範囲内 (経度 122–154, 緯度 20–46) にある（X/Y の取り違え・系の誤りの検出）",
        failing_rows=(
            "SELECT * FROM staged WHERE NOT is_arbitrary_crs AND ("
            "geometry IS NULL OR rep_lon IS NULL OR rep_lat IS NULL "
            "OR bbox_xmin < 122 OR bbox_xmax > 154 OR bbox_ymin < 20 OR bbox_ymax > 46 "
            "OR rep_lon NOT BETWEEN 122 AND 154 OR rep_lat NOT BETWEEN 20 AND 46)"
        ),
        column="geometry",
    ),
    Rule(
        name="parcel_polygon_valid",
        description="筆ポリゴンが OGC 的に妥当（自己交差なし）。取込時に計算した is_valid による。警告扱い",
        failing_rows="SELECT * FROM staged WHERE NOT is_valid",
        column="geometry",
        blocking=False,
    ),
    Rule(
        name="parcel_lg_code_check_digit",
        description="全国地方公共団体コードの検査数字 cd = (11 − (6·d1+5·d2+4·d3+3·d4+2·d5) mod 11) mod 10、"
                    "かつ先頭5桁が市区町村コードと一致",
        failing_rows=(
            "SELECT * FROM staged WHERE NOT coalesce(regexp_full_match(lg_code, '[0-9]{6}'), false) "
            f"OR TRY_CAST(substr(lg_code, 6, 1) AS INTEGER) IS DISTINCT FROM ((11 - (({_LG_CD}) % 11)) % 10) "
            "OR substr(lg_code, 1, 5) IS DISTINCT FROM city_code"
        ),
        column="lg_code",
    ),
    Rule(
        name="parcel_key_unique",
        description="主キー (団体コード, 大字・丁目・小字・予備コード, 地番, 地図名) が一意",
        failing_rows=(
            f"SELECT * EXCLUDE (_n) FROM (SELECT *, count(*) OVER (PARTITION BY {_PK}) AS _n FROM staged) "
            "WHERE _n > 1"
        ),
    ),
)

PRICE_CLASSIFICATION = CodeTable(
    name="land_price_classification", ja="価格区分", en="price classification",
    codes={"0": "地価公示", "1": "都道府県地価調査"},
    en_labels={"0": "Official land price (MLIT, 1 January)", "1": "Prefectural land price survey (1 July)"},
)

REINFOLIB_ATTRIBUTION = "出典：国土交通省 不動産情報ライブラリ（地価公示・都道府県地価調査）を加工して作成"

LAND_PRICES = register(Contract(
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
    group="real_estate",
    licence="不動産情報ライブラリ利用規約（出典の記載が必要）",
    attribution=REINFOLIB_ATTRIBUTION,
    spatial=True,
))

LAND_PRICES_RULES: tuple[Rule, ...] = (
    Rule(
        name="land_price_key_unique",
        description="(地点ID, 対象年, 価格区分) が一意（隣接タイルの重複取得を除いた後）",
        failing_rows=(
            "SELECT * EXCLUDE (_n) FROM (SELECT *, count(*) OVER "
            "(PARTITION BY point_id, year, price_classification) AS _n FROM staged) WHERE _n > 1"
        ),
    ),
)
