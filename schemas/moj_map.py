"""法務省 登記所備付地図データ: 筆 polygons (``parcels``) and the parcel registry derived from them with ABR
(``parcel_registry``, ``parcel_match_rate``). Contracts and rules only; no logic."""

from __future__ import annotations

from quality.rules import Rule
from schemas.abr import ATTRIBUTION as ABR_ATTRIBUTION
from schemas.contract import CodeTable, Column, Contract

MOJ_ATTRIBUTION = "出典：法務省登記所備付地図データ（G空間情報センター）を加工して作成"
MOJ_LICENCE = "登記所備付地図データ利用規約（政府標準利用規約第2.0版準拠、出典の記載と加工の旨の明示が必要）"

DATUM = CodeTable(
    name="moj_datum", ja="採用測地系", en="datum the plane coordinates were read in",
    codes={"JGD2011": "世界測地系（JGD2011 平面直角座標系として読込）",
           "Tokyo": "日本測地系（Tokyo 平面直角座標系から JGD2011 へ変換）"},
)

PARCELS = Contract(
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
    group="real_estate", cadence="monthly",
    licence=MOJ_LICENCE,
    attribution=MOJ_ATTRIBUTION,
    spatial=True,
)

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


# -- parcel registry --------------------------------------------------------------------------------
# Parcel registry: ABR 地番マスター joined to 法務省 登記所備付地図 筆 through the 法務省地図 keys.
# 
# ``parcel_registry`` holds one row per current ABR 地番 and per MOJ 筆 (full outer join on 市区町村コード,
# 大字・丁目・小字・予備コード and 地番), so every parcel of either source appears once; ``parcel_match_rate``
# summarises the join per municipality. Both are derived datasets, recomputed together from the lake.


MATCH_STATUS = CodeTable(
    name="parcel_match_status", ja="突合結果", en="join outcome",
    codes={"matched": "ABR 地番と法務省 筆が一致", "abr_only": "ABR 地番のみ（地図XMLに筆なし）",
           "moj_only": "法務省 筆のみ（ABR に地番なし）"},
    en_labels={"matched": "ABR parcel and MOJ 筆 matched", "abr_only": "ABR parcel without MOJ 筆",
               "moj_only": "MOJ 筆 without ABR parcel"},
)

REP_SOURCE = CodeTable(
    name="parcel_rep_source", ja="代表点の出典", en="where the representative point comes from",
    codes={"moj": "法務省 筆ポリゴンの内点", "abr": "ABR 地番 位置参照拡張の代表点"},
)

_ATTRIBUTION = f"{MOJ_ATTRIBUTION}／{ABR_ATTRIBUTION}"
_LICENCE = f"{MOJ_LICENCE}; アドレス・ベース・レジストリ利用規約"

PARCEL_REGISTRY = Contract(
    name="parcel_registry",
    version="1.0.0",
    title_ja="地番・筆 統合台帳",
    title_en="Parcel registry (ABR parcels joined to MOJ map parcels)",
    description=(
        "ABR 地番マスター（現行のみ、abr_parcels と位置参照拡張）と法務省 登記所備付地図の筆（parcels）を、"
        "法務省地図キー（市区町村コード・大字/丁目/小字/予備コード・地番）で完全外部結合したもの。"
        "不動産番号（ABR）、筆ポリゴン（EPSG:6668, WKB）と代表点を持つ。地番は全角数字・ハイフン異体字を"
        "正規化し各部の先頭ゼロを除いて比較する。"
    ),
    columns=(
        Column("lg_code", "string", "全国地方公共団体コード", "6-digit local government code", nullable=False,
               pattern=r"\d{6}"),
        Column("city_code", "string", "市区町村コード", "5-digit municipality code (法務省地図)", nullable=False,
               pattern=r"\d{5}"),
        Column("oaza_code", "string", "大字コード", "大字 code of the 法務省 map", pattern=r"\d{3}"),
        Column("chome_code", "string", "丁目コード", "丁目 code of the 法務省 map", pattern=r"\d{3}"),
        Column("koaza_code", "string", "小字コード", "小字 code of the 法務省 map", pattern=r"\d{4}"),
        Column("yobi_code", "string", "予備コード", "Spare code of the 法務省 map", pattern=r"\d{2}"),
        Column("chiban", "string", "地番（正規化）", "Parcel number, normalised (e.g. 1-1)", nullable=False),
        Column("match_status", "string", "突合結果", "matched / abr_only / moj_only", nullable=False,
               codes=MATCH_STATUS),
        Column("real_prop_num", "string", "不動産番号", "Real-property number (13 digits) from ABR",
               pattern=r"[0-9]{13}"),
        Column("abr_machiaza_id", "string", "ABR 町字ID", "ABR machiaza id", pattern=r"[0-9]{7}"),
        Column("abr_prc_id", "string", "ABR 地番ID", "ABR parcel id"),
        Column("oaza_name", "string", "大字・町名", "Oaza / cho name (ABR, else 地図XML)"),
        Column("chome_name", "string", "丁目名", "Chome name (ABR, else 地図XML)"),
        Column("koaza_name", "string", "小字名", "Koaza name (ABR, else 地図XML)"),
        Column("map_name", "string", "地図名", "MOJ map name"),
        Column("fude_id", "string", "筆ID", "筆 element id in the MOJ file"),
        Column("abr_brush_id", "string", "ABR 法務省地図_筆ID", "MOJ 筆ID as recorded by ABR"),
        Column("is_arbitrary_crs", "bool", "任意座標系フラグ", "MOJ 筆 is in 任意座標系 (no georeferenced polygon)"),
        Column("geometry", "geometry", "筆ポリゴン", "MOJ polygon in EPSG:6668 (lon, lat), WKB"),
        Column("rep_lon", "double", "代表点経度", "Representative longitude (MOJ polygon, else ABR point)",
               min_value=122, max_value=154),
        Column("rep_lat", "double", "代表点緯度", "Representative latitude (MOJ polygon, else ABR point)",
               min_value=20, max_value=46),
        Column("rep_source", "string", "代表点の出典", "moj or abr", codes=REP_SOURCE),
        Column("abr_rep_lon", "double", "ABR 代表点経度", "ABR representative longitude (JGD2011)",
               min_value=122, max_value=154),
        Column("abr_rep_lat", "double", "ABR 代表点緯度", "ABR representative latitude (JGD2011)",
               min_value=20, max_value=46),
        Column("moj_candidates", "int32", "一致した筆の数", "MOJ 筆 sharing the key (several maps may hold it)",
               min_value=0),
    ),
    primary_key=("lg_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban", "abr_prc_id"),
    sort_by=("lg_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban"),
    group="real_estate", cadence="monthly",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
    spatial=True,
)

PARCEL_MATCH_RATE = Contract(
    name="parcel_match_rate",
    version="1.0.0",
    title_ja="地番・筆 突合率（市区町村別）",
    title_en="Parcel join rate per municipality",
    description=(
        "市区町村ごとの ABR 地番数（現行）、法務省 筆数、一致数と一致率（一致数 ÷ ABR 地番数、ABR 地番がない"
        "団体は NULL）。不動産番号を持つ一致地番の数も示す。"
    ),
    columns=(
        Column("lg_code", "string", "全国地方公共団体コード", "6-digit local government code", nullable=False,
               pattern=r"\d{6}"),
        Column("abr_parcels", "int64", "ABR 地番数", "Current ABR parcels", nullable=False, min_value=0),
        Column("moj_parcels", "int64", "法務省 筆数", "MOJ map 筆 (distinct keys)", nullable=False, min_value=0),
        Column("matched", "int64", "一致数", "ABR parcels matched to a MOJ 筆", nullable=False, min_value=0),
        Column("match_rate", "double", "一致率", "matched / abr_parcels (NULL without ABR parcels)",
               min_value=0, max_value=1),
        Column("moj_match_rate", "double", "筆側一致率", "matched / moj_parcels (NULL without MOJ 筆)",
               min_value=0, max_value=1),
        Column("matched_with_real_prop_num", "int64", "不動産番号付き一致数",
               "Matched parcels carrying a 不動産番号", nullable=False, min_value=0),
        Column("computed_at", "timestamp", "計算日時", "When the registry was recomputed", nullable=False),
    ),
    primary_key=("lg_code",),
    sort_by=("lg_code",),
    group="real_estate", cadence="monthly", temporal="computed_at",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
)
