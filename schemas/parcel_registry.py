"""Parcel registry: ABR 地番マスター joined to 法務省 登記所備付地図 筆 through the 法務省地図 keys.

``parcel_registry`` holds one row per current ABR 地番 and per MOJ 筆 (full outer join on 市区町村コード,
大字・丁目・小字・予備コード and 地番), so every parcel of either source appears once; ``parcel_match_rate``
summarises the join per municipality. Both are derived datasets, recomputed together from the lake.
"""

from __future__ import annotations

from schemas import register
from schemas.abr import ATTRIBUTION as ABR_ATTRIBUTION
from schemas.contract import CodeTable, Column, Contract
from schemas.parcels import MOJ_ATTRIBUTION, MOJ_LICENCE

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

PARCEL_REGISTRY = register(Contract(
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
    group="real_estate",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
    spatial=True,
))

PARCEL_MATCH_RATE = register(Contract(
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
    group="real_estate",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
))
