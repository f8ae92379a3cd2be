"""Contracts of the アドレス・ベース・レジストリ (ABR) datasets (デジタル庁).

Each dataset is one ABR master joined with its 位置参照拡張 (``_pos``) file: the representative point is
normalised to JGD2011 lon/lat (EPSG:6668) whatever ``rep_srid`` says, ``rep_srid`` keeps the value published, and
``rep_lonlat_swapped`` marks rows whose lat/lon were published swapped and were fixed. Abolished entries are kept
(``ablt_date`` set). Column meanings and code values: docs/formats/base-registries.md §3.2 (ABR データセット定義書).
"""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

LICENCE = "アドレス・ベース・レジストリ利用規約（https://www.digital.go.jp/policies/base_registry_address_tos/）"
ATTRIBUTION = "出典: デジタル庁「アドレス・ベース・レジストリ」（https://www.digital.go.jp/policies/base_registry_address_tos/）を加工して作成"

MACHIAZA_TYPE = CodeTable(
    "abr_machiaza_type", "町字区分コード", "Kind of town/area (machiaza)",
    {"1": "大字・町", "2": "丁目", "3": "小字", "4": "町字なし（未確認）", "5": "道路名（未確認）"},
    {"1": "Oaza / cho", "2": "Chome", "3": "Koaza", "4": "No machiaza (unconfirmed)", "5": "Road name (unconfirmed)"},
)
RSDT_ADDR_FLG = CodeTable(
    "abr_rsdt_addr_flg", "住居表示フラグ", "Residence-indication flag",
    {"0": "住居表示未実施", "1": "住居表示実施"}, {"0": "Lot-number (chiban) addressing", "1": "Residence indication"},
)
RSDT_ADDR_MTD_CODE = CodeTable(
    "abr_rsdt_addr_mtd_code", "住居表示方式コード", "Residence-indication method",
    {"0": "住居表示でない", "1": "街区方式", "2": "道路方式"},
    {"0": "Not residence indication", "1": "Block method", "2": "Road method"},
)
OAZA_CHO_AKA_FLG = CodeTable(
    "abr_oaza_cho_aka_flg", "大字・町名_通称フラグ", "Oaza/cho name is a common name",
    {"0": "通称でない", "1": "通称"}, {"0": "Official name", "1": "Common name"},
)
KOAZA_AKA_CODE = CodeTable(
    "abr_koaza_aka_code", "小字名_通称コード", "Koaza common-name code",
    {"0": "通称でない", "1": "通称名", "2": "京都通り名", "3": "地名情報の字または通称"},
    {"0": "Official", "1": "Common name", "2": "Kyoto street name", "3": "Place-name aza or common name"},
)
STATUS_FLG = CodeTable(
    "abr_status_flg", "状態フラグ", "Status flag",
    {"0": "自治体確認待ち", "1": "地方自治法の町若しくは字に該当", "2": "地方自治法の町若しくは字に非該当", "3": "不明"},
    {"0": "Awaiting municipal confirmation", "1": "A town/aza under the Local Autonomy Act", "2": "Not one",
     "3": "Unknown"},
)
WAKE_NUM_FLG = CodeTable(
    "abr_wake_num_flg", "起番フラグ", "Numbering flag",
    {"0": "登記情報に存在しない", "1": "起番", "2": "非起番"},
    {"0": "Not in the land register", "1": "Numbered", "2": "Not numbered"},
)

_LG = r"[0-9]{6}"
_D = "（YYYY-MM-DD）"


def _c(name: str, type_: str, ja: str, en: str, **kw) -> Column:
    return Column(name, type_, ja, en, **kw)  # type: ignore[arg-type]


COLUMNS: dict[str, Column] = {c.name: c for c in (
    _c("lg_code", "string", "全国地方公共団体コード（6桁・検査数字付き）", "Local government code (6 digits)",
       nullable=False, pattern=_LG),
    _c("machiaza_id", "string", "町字ID（大字4桁 + 丁目・小字3桁）", "Machiaza id (4-digit oaza + 3-digit chome/koaza)",
       nullable=False, pattern=r"[0-9]{7}"),
    _c("machiaza_type", "string", "町字区分コード", "Kind of machiaza", codes=MACHIAZA_TYPE),
    _c("pref", "string", "都道府県名", "Prefecture name"),
    _c("pref_kana", "string", "都道府県名_カナ", "Prefecture name (kana)"),
    _c("pref_roma", "string", "都道府県名_英字", "Prefecture name (romanised)"),
    _c("county", "string", "郡名", "County (gun) name"),
    _c("county_kana", "string", "郡名_カナ", "County name (kana)"),
    _c("county_roma", "string", "郡名_英字", "County name (romanised)"),
    _c("city", "string", "市区町村名", "Municipality name"),
    _c("city_kana", "string", "市区町村名_カナ", "Municipality name (kana)"),
    _c("city_roma", "string", "市区町村名_英字", "Municipality name (romanised)"),
    _c("ward", "string", "政令市区名", "Ward of a designated city"),
    _c("ward_kana", "string", "政令市区名_カナ", "Ward name (kana)"),
    _c("ward_roma", "string", "政令市区名_英字", "Ward name (romanised)"),
    _c("oaza_cho", "string", "大字・町名", "Oaza / cho name"),
    _c("oaza_cho_kana", "string", "大字・町名_カナ", "Oaza / cho name (kana)"),
    _c("oaza_cho_roma", "string", "大字・町名_英字", "Oaza / cho name (romanised)"),
    _c("chome", "string", "丁目名（例: １丁目）", "Chome name"),
    _c("chome_kana", "string", "丁目名_カナ", "Chome name (kana)"),
    _c("chome_number", "string", "丁目名_数字", "Chome number", pattern=r"[0-9]+"),
    _c("koaza", "string", "小字名", "Koaza name"),
    _c("koaza_kana", "string", "小字名_カナ", "Koaza name (kana)"),
    _c("koaza_roma", "string", "小字名_英字", "Koaza name (romanised)"),
    _c("machiaza_dist", "string", "同一町字識別情報", "Disambiguation of identically named machiaza"),
    _c("rsdt_addr_flg", "string", "住居表示フラグ", "Residence-indication flag", codes=RSDT_ADDR_FLG),
    _c("rsdt_addr_mtd_code", "string", "住居表示方式コード", "Residence-indication method", codes=RSDT_ADDR_MTD_CODE),
    _c("oaza_cho_aka_flg", "string", "大字・町名_通称フラグ", "Oaza/cho common-name flag", codes=OAZA_CHO_AKA_FLG),
    _c("koaza_aka_code", "string", "小字名_通称コード", "Koaza common-name code", codes=KOAZA_AKA_CODE),
    _c("oaza_cho_gsi_uncmn", "string", "大字・町名_電子国土基本図外字", "Oaza name uses a non-standard character (GSI)"),
    _c("koaza_gsi_uncmn", "string", "小字名_電子国土基本図外字", "Koaza name uses a non-standard character (GSI)"),
    _c("status_flg", "string", "状態フラグ", "Status flag", codes=STATUS_FLG),
    _c("wake_num_flg", "string", "起番フラグ", "Numbering flag", codes=WAKE_NUM_FLG),
    _c("efct_date", "date", f"効力発生日{_D}", "Effective date"),
    _c("ablt_date", "date", f"廃止日{_D}（NULL = 現行）", "Abolition date (NULL: current)"),
    _c("src_code", "string", "原典資料コード", "Source-document code"),
    _c("post_code", "string", "郵便番号", "Postal code", pattern=r"[0-9]{7}"),
    _c("remarks", "string", "備考", "Remarks"),
    _c("blk_id", "string", "街区ID", "Block id", nullable=False, pattern=r"[0-9]{3}"),
    _c("blk_num", "string", "街区符号", "Block number"),
    _c("rsdt_id", "string", "住居ID", "Residence id", nullable=False, pattern=r"[0-9]{3}"),
    _c("rsdt2_id", "string", "住居2ID（空文字 = なし）", "Second residence id ('' when none)", nullable=False),
    _c("rsdt_num", "string", "住居番号", "Residence number"),
    _c("rsdt_num2", "string", "住居番号2", "Residence number 2"),
    _c("basic_rsdt_div", "string", "基礎番号・住居番号区分", "Base number / residence number division"),
    _c("prc_id", "string", "地番ID", "Parcel id", nullable=False, pattern=r"[0-9]+"),
    _c("prc_num1", "string", "地番1", "Parcel number part 1"),
    _c("prc_num2", "string", "地番2", "Parcel number part 2"),
    _c("prc_num3", "string", "地番3", "Parcel number part 3"),
    _c("prc_rec_flg", "string", "地番レコード区分フラグ", "Parcel record kind flag"),
    _c("prc_area_code", "string", "地番区域コード", "Parcel area code"),
    _c("real_prop_num", "string", "不動産番号（13桁）", "Real-property number (13 digits)", pattern=r"[0-9]{13}"),
    _c("rep_lon", "double", "代表点_経度（JGD2011, EPSG:6668 に正規化）", "Representative point longitude, JGD2011",
       min_value=122.0, max_value=154.0),
    _c("rep_lat", "double", "代表点_緯度（JGD2011, EPSG:6668 に正規化）", "Representative point latitude, JGD2011",
       min_value=20.0, max_value=46.0),
    _c("rep_srid", "string", "代表点_座標参照系（公表値。EPSG:4612 は EPSG:6668 へ変換済み）",
       "Representative point CRS as published (values were transformed to EPSG:6668)",
       pattern=r"EPSG:[0-9]{4,5}"),
    _c("rep_scale", "int32", "代表点_地図情報レベル", "Representative point map scale level"),
    _c("rep_lonlat_swapped", "bool", "代表点の緯度経度が入れ替わって公表され、修正した", "Published lat/lon were swapped and fixed"),
    _c("rep_src_code", "string", "代表点_原典資料コード", "Representative point source-document code"),
    _c("pos_oaza_cho_chome_code", "string", "位置参照情報_大字町丁目コード", "GSI position-reference oaza/chome code"),
    _c("cns_bnd_s_area_kcode", "string", "国勢調査_境界_小地域（町丁・字等別）KEY_CODE", "Census small-area key code"),
    _c("moj_map_city_code", "string", "法務省地図_市区町村コード（5桁）", "MOJ map municipality code (5 digits)"),
    _c("moj_map_oaza_code", "string", "法務省地図_大字コード", "MOJ map oaza code"),
    _c("moj_map_chome_code", "string", "法務省地図_丁目コード", "MOJ map chome code"),
    _c("moj_map_koaza_code", "string", "法務省地図_小字コード", "MOJ map koaza code"),
    _c("moj_map_spare_code", "string", "法務省地図_予備コード", "MOJ map spare code"),
    _c("moj_map_brushid", "string", "法務省地図_筆ID", "MOJ map parcel (筆) id"),
)}

POINT = ("rep_lon", "rep_lat", "rep_srid", "rep_scale", "rep_lonlat_swapped")


def _cols(*names: str) -> tuple[Column, ...]:
    return tuple(COLUMNS[n] for n in names)


def _contract(name: str, title_ja: str, title_en: str, description: str, names: tuple[str, ...],
              key: tuple[str, ...]) -> Contract:
    return Contract(
        name=name, version="1.0.0", title_ja=title_ja, title_en=title_en, description=description,
        columns=_cols(*names), primary_key=key, sort_by=key, group="address", cadence="weekly", temporal="efct_date", licence=LICENCE,
        attribution=ATTRIBUTION,
    )


ABR_PREFS = _contract(
    "abr_prefs", "ABR 都道府県マスター", "ABR prefectures",
    "mt_pref + mt_pref_pos（代表点）。", (
        "lg_code", "pref", "pref_kana", "pref_roma", "efct_date", "ablt_date", "remarks", *POINT,
    ), ("lg_code",),
)

ABR_CITIES = _contract(
    "abr_cities", "ABR 市区町村マスター", "ABR municipalities",
    "mt_city + mt_city_pos（代表点）。政令市の区は 1 行ずつ。", (
        "lg_code", "pref", "pref_kana", "pref_roma", "county", "county_kana", "county_roma", "city", "city_kana",
        "city_roma", "ward", "ward_kana", "ward_roma", "efct_date", "ablt_date", "remarks", *POINT,
    ), ("lg_code",),
)

ABR_TOWNS = _contract(
    "abr_towns", "ABR 町字マスター", "ABR towns (machiaza)",
    "mt_town + mt_town_pos（代表点・位置参照情報コード・国勢調査小地域コード）。廃止町字（ablt_date あり）も保持。", (
        "lg_code", "machiaza_id", "machiaza_type", "pref", "pref_kana", "pref_roma", "county", "county_kana",
        "county_roma", "city", "city_kana", "city_roma", "ward", "ward_kana", "ward_roma", "oaza_cho",
        "oaza_cho_kana", "oaza_cho_roma", "chome", "chome_kana", "chome_number", "koaza", "koaza_kana",
        "koaza_roma", "machiaza_dist", "rsdt_addr_flg", "rsdt_addr_mtd_code", "oaza_cho_aka_flg", "koaza_aka_code",
        "oaza_cho_gsi_uncmn", "koaza_gsi_uncmn", "status_flg", "wake_num_flg", "efct_date", "ablt_date",
        "src_code", "post_code", "remarks", *POINT, "rep_src_code", "pos_oaza_cho_chome_code",
        "cns_bnd_s_area_kcode",
    ), ("lg_code", "machiaza_id"),
)

ABR_BLOCKS = _contract(
    "abr_blocks", "ABR 住居表示-街区マスター", "ABR blocks (residence indication)",
    "mt_rsdtdsp_blk + mt_rsdtdsp_blk_pos（代表点）。", (
        "lg_code", "machiaza_id", "blk_id", "city", "ward", "oaza_cho", "chome", "koaza", "machiaza_dist",
        "blk_num", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg", "efct_date", "ablt_date", "src_code",
        "remarks", *POINT, "rep_src_code",
    ), ("lg_code", "machiaza_id", "blk_id"),
)

ABR_RESIDENCES = _contract(
    "abr_residences", "ABR 住居表示-住居マスター", "ABR residences (residence indication)",
    "mt_rsdtdsp_rsdt + mt_rsdtdsp_rsdt_pos（代表点）。rsdt2_id が空の住居は空文字で保持。", (
        "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "city", "ward", "oaza_cho", "chome", "koaza",
        "blk_num", "rsdt_num", "rsdt_num2", "basic_rsdt_div", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg",
        "efct_date", "ablt_date", "src_code", "remarks", *POINT, "rep_src_code",
    ), ("lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id"),
)

ABR_PARCELS = _contract(
    "abr_parcels", "ABR 地番マスター", "ABR parcels (land lot numbers)",
    "mt_parcel + mt_parcel_pos（代表点・法務省地図キー）。不動産番号 real_prop_num と moj_map_* で"
    "法務省 登記所備付地図データの筆と結合できる。", (
        "lg_code", "machiaza_id", "prc_id", "city", "ward", "oaza_cho", "chome", "koaza", "machiaza_dist",
        "prc_num1", "prc_num2", "prc_num3", "rsdt_addr_flg", "prc_rec_flg", "prc_area_code", "efct_date",
        "ablt_date", "src_code", "remarks", "real_prop_num", *POINT, "rep_src_code", "moj_map_city_code",
        "moj_map_oaza_code", "moj_map_chome_code", "moj_map_koaza_code", "moj_map_spare_code", "moj_map_brushid",
    ), ("lg_code", "machiaza_id", "prc_id"),
)

ABR_CONTRACTS: dict[str, Contract] = {c.name: c for c in (
    ABR_PREFS, ABR_CITIES, ABR_TOWNS, ABR_BLOCKS, ABR_RESIDENCES, ABR_PARCELS,
)}


# -- the published files ------------------------------------------------------------------------------------
POS_COMMON = ("rep_lon", "rep_lat", "rep_srid", "rep_scale")
_PLYGN = ("plygn_fname", "plygn_kcode", "plygn_fmt", "plygn_srid", "plygn_scale")

#: The header row of every published ABR file type, in order (ABR データセット定義書; docs/formats/base-registries.md §3.2):
#: parsers check each file against it, staging maps it onto the datasets below.
HEADERS: dict[str, tuple[str, ...]] = {
    "pref": ("lg_code", "pref", "pref_kana", "pref_roma", "efct_date", "ablt_date", "remarks"),
    "city": (
        "lg_code", "pref", "pref_kana", "pref_roma", "county", "county_kana", "county_roma", "city", "city_kana",
        "city_roma", "ward", "ward_kana", "ward_roma", "efct_date", "ablt_date", "remarks",
    ),
    "town": (
        "lg_code", "machiaza_id", "machiaza_type", "pref", "pref_kana", "pref_roma", "county", "county_kana",
        "county_roma", "city", "city_kana", "city_roma", "ward", "ward_kana", "ward_roma", "oaza_cho",
        "oaza_cho_kana", "oaza_cho_roma", "chome", "chome_kana", "chome_number", "koaza", "koaza_kana",
        "koaza_roma", "machiaza_dist", "rsdt_addr_flg", "rsdt_addr_mtd_code", "oaza_cho_aka_flg", "koaza_aka_code",
        "oaza_cho_gsi_uncmn", "koaza_gsi_uncmn", "status_flg", "wake_num_flg", "efct_date", "ablt_date",
        "src_code", "post_code", "remarks",
    ),
    "rsdtdsp_blk": (
        "lg_code", "machiaza_id", "blk_id", "city", "ward", "oaza_cho", "chome", "koaza", "machiaza_dist",
        "blk_num", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg", "efct_date", "ablt_date", "src_code",
        "remarks",
    ),
    "rsdtdsp_rsdt": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "city", "ward", "oaza_cho", "chome", "koaza",
        "blk_num", "rsdt_num", "rsdt_num2", "basic_rsdt_div", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg",
        "efct_date", "ablt_date", "src_code", "remarks",
    ),
    "parcel": (
        "lg_code", "machiaza_id", "prc_id", "city", "ward", "oaza_cho", "chome", "koaza", "prc_num1", "prc_num2",
        "prc_num3", "rsdt_addr_flg", "prc_rec_flg", "prc_area_code", "efct_date", "ablt_date", "src_code",
        "remarks", "real_prop_num",
    ),
    "pref_pos": ("lg_code", *POS_COMMON, *_PLYGN),
    "city_pos": ("lg_code", *POS_COMMON, *_PLYGN),
    "town_pos": (
        "lg_code", "machiaza_id", "rsdt_addr_flg", *POS_COMMON, "rep_src_code", *_PLYGN, "plygn_src_code",
        "pos_oaza_cho_chome_code", "pos_data_mnt_year", "cns_bnd_s_area_kcode", "cns_bnd_year",
    ),
    "rsdtdsp_blk_pos": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_addr_flg", "rsdt_addr_mtd_code", *POS_COMMON, "rep_src_code",
        *_PLYGN, "plygn_src_code", "pos_pref", "pos_city", "pos_oaza_cho_chome", "pos_koaza_aka",
        "pos_blk_prc_num", "pos_data_mnt_year", "rsdt_addr_code_rdbl", "rsdt_addr_data_mnt_date",
    ),
    "rsdtdsp_rsdt_pos": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "rsdt_addr_flg", "rsdt_addr_mtd_code",
        *POS_COMMON, "rep_src_code", "rsdt_addr_code_rdbl", "rsdt_addr_data_mnt_date", "basic_rsdt_div",
    ),
    "parcel_pos": (
        "lg_code", "machiaza_id", "prc_id", *POS_COMMON, "rep_src_code", *_PLYGN, "plygn_src_code",
        "moj_map_city_code", "moj_map_oaza_code", "moj_map_chome_code", "moj_map_koaza_code",
        "moj_map_spare_code", "moj_map_brushid",
    ),
}

OPTIONAL: dict[str, frozenset[str]] = {
    # jageocoder-converter lists machiaza_dist after koaza in mt_parcel ("仕様書未記載"): accept both variants.
    "parcel": frozenset({"machiaza_dist"}),
}


#: file type -> the dataset (contract) its master file and ``_pos`` file become
DATASETS: dict[str, str] = {
    "pref": "abr_prefs",
    "city": "abr_cities",
    "town": "abr_towns",
    "rsdtdsp_blk": "abr_blocks",
    "rsdtdsp_rsdt": "abr_residences",
    "parcel": "abr_parcels",
}

POS_EXTRA: dict[str, tuple[str, ...]] = {
    # columns of the _pos file carried into the dataset besides the representative point
    "pref": (),
    "city": (),
    "town": ("rep_src_code", "pos_oaza_cho_chome_code", "cns_bnd_s_area_kcode"),
    "rsdtdsp_blk": ("rep_src_code",),
    "rsdtdsp_rsdt": ("rep_src_code",),
    "parcel": (
        "rep_src_code", "moj_map_city_code", "moj_map_oaza_code", "moj_map_chome_code", "moj_map_koaza_code",
        "moj_map_spare_code", "moj_map_brushid",
    ),
}
