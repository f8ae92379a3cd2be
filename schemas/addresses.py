"""Contracts of the linked address datasets: registry addresses matched to ABR identifiers and positions.

The match fields and levels are those of デジタル庁 abr-geocoder (``match_level``: unknown, prefecture, city,
machiaza, machiaza_detail, residential_block, residential_detail, parcel), so a user can switch tools.
"""

from __future__ import annotations

from schemas.abr import ATTRIBUTION as ABR_ATTRIBUTION
from schemas.contract import CodeTable, Column, Contract
from schemas.corporate import ATTRIBUTION as NTA_ATTRIBUTION
from schemas.corporate import CORPORATE_NUMBER_PATTERN, KIND

MATCH_LEVEL = CodeTable(
    "address_match_level", "住所照合レベル", "address match level (abr-geocoder)",
    {"unknown": "不明", "prefecture": "都道府県", "city": "市区町村", "machiaza": "大字・町",
     "machiaza_detail": "丁目・小字", "residential_block": "住居表示 街区", "residential_detail": "住居表示 住居",
     "parcel": "地番"},
    {"unknown": "not even the prefecture", "prefecture": "prefecture", "city": "municipality (郡市区町村)",
     "machiaza": "oaza / cho", "machiaza_detail": "chome or koaza", "residential_block": "residence-indication block",
     "residential_detail": "residence-indication block and residence number", "parcel": "land lot (地番)"},
)

LEGAL_FORM = CodeTable(
    "corporate_legal_form", "法人格（名称から判定）", "legal form (read from the name)",
    {f: f for f in (
        "株式会社", "有限会社", "合同会社", "合名会社", "合資会社", "医療法人", "社会医療法人", "社会福祉法人",
        "学校法人", "宗教法人", "特定非営利活動法人", "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人",
        "独立行政法人", "地方独立行政法人", "国立大学法人", "協同組合", "農事組合法人", "弁護士法人", "税理士法人",
        "司法書士法人", "行政書士法人", "監査法人", "管理組合法人", "信用金庫", "その他")},
)

_LEVEL = Column("match_level", "string", "照合レベル", "match level (abr-geocoder)", nullable=False,
                codes=MATCH_LEVEL)

#: the abr-geocoder output fields, in its order (``input`` and ``others`` are stored as text / JSON)
MATCH_COLUMNS: tuple[Column, ...] = (
    Column("input", "string", "照合した住所（原文）", "address as matched (text as written)"),
    Column("output", "string", "正規化住所", "normalised address"),
    Column("others", "json", "照合できなかった部分（JSON 配列）", "unmatched rest (JSON array)"),
    _LEVEL,
    Column("coordinate_level", "string", "座標レベル", "level of the position given", nullable=False,
           codes=MATCH_LEVEL),
    Column("lat", "double", "緯度（JGD2011）", "latitude", min_value=20.0, max_value=46.0),
    Column("lon", "double", "経度（JGD2011）", "longitude", min_value=122.0, max_value=154.0),
    Column("lg_code", "string", "全国地方公共団体コード", "local government code", pattern=r"[0-9]{6}"),
    Column("machiaza_id", "string", "町字ID", "machiaza id", pattern=r"[0-9]{7}"),
    Column("rsdt_addr_flg", "int32", "住居表示フラグ", "1 residence indication, 0 地番"),
    Column("blk_id", "string", "街区ID", "block id"),
    Column("rsdt_id", "string", "住居ID", "residence id"),
    Column("rsdt2_id", "string", "住居2ID", "second residence id"),
    Column("prc_id", "string", "地番ID", "parcel id"),
    Column("pref", "string", "都道府県名", "prefecture"),
    Column("county", "string", "郡名", "county"),
    Column("city", "string", "市区町村名", "municipality"),
    Column("ward", "string", "政令市区名", "ward"),
    Column("oaza_cho", "string", "大字・町名", "oaza / cho"),
    Column("chome", "string", "丁目名", "chome"),
    Column("koaza", "string", "小字名", "koaza"),
    Column("blk_num", "string", "街区符号", "block number"),
    Column("rsdt_num", "string", "住居番号", "residence number"),
    Column("rsdt_num2", "string", "住居番号2", "residence number 2"),
    Column("prc_num1", "string", "地番1", "parcel number 1"),
    Column("prc_num2", "string", "地番2", "parcel number 2"),
    Column("prc_num3", "string", "地番3", "parcel number 3"),
)

_LICENCE = "国税庁法人番号公表サイト 利用規約; アドレス・ベース・レジストリ利用規約"
_ATTRIBUTION = f"{NTA_ATTRIBUTION}／{ABR_ATTRIBUTION}"

CORPORATION_ADDRESSES = Contract(
    name="corporation_addresses",
    version="1.0.0",
    title_ja="法人所在地の住所照合（ABR 町字ID・位置）",
    title_en="Corporations' registered addresses matched to ABR",
    description=(
        "corporations の国内所在地（都道府県・市区町村・丁目番地等）を ABR に照合した結果。1 法人 1 行。"
        "差分で所在地・名称が変わった法人だけを照合し直し（source_hash）、ABR が変わったとき（abr_version）は"
        "全件を照合し直す。match_level が machiaza 未満の行は corporation_address_review にも載る。"
    ),
    columns=(
        Column("corporate_number", "string", "法人番号", "corporate number", nullable=False,
               pattern=CORPORATE_NUMBER_PATTERN),
        Column("name", "string", "商号又は名称", "name", nullable=False),
        Column("kind", "string", "法人種別", "corporation kind", codes=KIND),
        Column("legal_form", "string", "法人格（名称から判定）", "legal form read from the name", codes=LEGAL_FORM),
        Column("is_closed", "bool", "閉鎖", "registration record closed", nullable=False),
        Column("prefecture_code", "string", "都道府県コード（法人番号）", "prefecture code as registered",
               pattern=r"[0-9]{2}"),
        *MATCH_COLUMNS,
        Column("source_hash", "string", "照合元の値のハッシュ", "hash of name, kind, closure and address", nullable=False),
        Column("abr_version", "string", "照合に使った ABR・団体コードの版", "fingerprint of the ABR and master files used",
               nullable=False),
        Column("matched_at", "timestamp", "照合日時", "when the row was matched", nullable=False),
    ),
    primary_key=("corporate_number",),
    sort_by=("corporate_number",),
    cadence="daily",
    group="address",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
)

CORPORATION_ADDRESS_MATCH_RATE = Contract(
    name="corporation_address_match_rate",
    version="1.0.0",
    title_ja="法人所在地 照合率（都道府県・レベル別）",
    title_en="Corporate address match rate per prefecture and level",
    description="都道府県（法人番号の都道府県コード）ごと、照合レベルごとの法人数と割合。",
    columns=(
        Column("prefecture_code", "string", "都道府県コード", "prefecture code (as registered)", nullable=False,
               pattern=r"[0-9]{2}|--"),
        _LEVEL,
        Column("corporations", "int64", "法人数", "corporations at this level", nullable=False, min_value=0),
        Column("share", "double", "割合", "share of the prefecture's corporations", nullable=False,
               min_value=0, max_value=1),
        Column("at_least_machiaza", "double", "町字以上の割合", "share matched at machiaza level or finer",
               nullable=False, min_value=0, max_value=1),
        Column("computed_at", "timestamp", "計算日時", "when computed", nullable=False),
    ),
    primary_key=("prefecture_code", "match_level"),
    sort_by=("prefecture_code", "match_level"),
    cadence="daily",
    group="address",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
)

REVIEW_REASON = CodeTable(
    "address_review_reason", "要確認の理由", "why the address needs review",
    {"no_prefecture": "都道府県も判定できない", "no_city": "市区町村を判定できない",
     "no_machiaza": "町字を判定できない（ABR にない・表記ゆれ）"},
)

CORPORATION_ADDRESS_REVIEW = Contract(
    name="corporation_address_review",
    version="1.0.0",
    title_ja="法人所在地 照合できなかった住所（要確認）",
    title_en="Corporate addresses not matched to a machiaza (for review)",
    description="corporation_addresses のうち町字まで照合できなかった行。理由と照合できなかった部分を示す。",
    columns=(
        Column("corporate_number", "string", "法人番号", "corporate number", nullable=False,
               pattern=CORPORATE_NUMBER_PATTERN),
        Column("name", "string", "商号又は名称", "name", nullable=False),
        Column("prefecture_code", "string", "都道府県コード", "prefecture code as registered"),
        Column("input", "string", "住所（原文）", "address as written"),
        _LEVEL,
        Column("lg_code", "string", "判定できた団体コード", "local government code found", pattern=r"[0-9]{6}"),
        Column("others", "json", "照合できなかった部分", "unmatched rest (JSON array)"),
        Column("reason", "string", "理由", "reason", nullable=False, codes=REVIEW_REASON),
    ),
    primary_key=("corporate_number",),
    sort_by=("prefecture_code", "corporate_number"),
    cadence="daily",
    group="address",
    licence=_LICENCE,
    attribution=_ATTRIBUTION,
)

SHELTER_ADDRESSES = Contract(
    name="shelter_addresses",
    version="1.0.0",
    title_ja="避難所の住所照合と位置",
    title_en="Shelters from the reports, matched to ABR and placed",
    description=(
        "最新の避難所状況報告（reports_latest, shelter_status）のうち所在地のあるものを ABR に照合した結果。"
        "位置は報告の緯度経度、なければ照合した位置（position_source）。所在地に都道府県・市区町村がなければ"
        "報告した団体の名を前に付けて照合する。"
    ),
    columns=(
        Column("lg_code", "string", "報告団体コード", "reporting municipality", nullable=False, pattern=r"[0-9]{6}"),
        Column("subject_key", "string", "報告対象キー（災害ID/避難所ID）", "disaster id / shelter id", nullable=False),
        Column("disaster_id", "string", "災害ID", "disaster id"),
        Column("shelter_id", "string", "避難所ID", "shelter id"),
        Column("shelter_name", "string", "避難所名", "shelter name"),
        Column("open_status", "string", "開設状況", "open status"),
        Column("as_of", "timestamp", "時点", "as of", nullable=False),
        Column("address", "string", "所在地（報告のまま）", "address as reported"),
        Column("reported_lat", "double", "報告の緯度", "latitude as reported", min_value=20.0, max_value=46.0),
        Column("reported_lon", "double", "報告の経度", "longitude as reported", min_value=122.0, max_value=154.0),
        Column("address_lg_code", "string", "所在地の団体コード（照合結果）", "lg_code the address matched",
               pattern=r"[0-9]{6}"),
        *(c for c in MATCH_COLUMNS if c.name not in ("input", "lat", "lon", "lg_code")),
        Column("lat", "double", "緯度（位置）", "latitude used on the map", min_value=20.0, max_value=46.0),
        Column("lon", "double", "経度（位置）", "longitude used on the map", min_value=122.0, max_value=154.0),
        Column("position_source", "string", "位置の出典", "reported / abr / none", nullable=False,
               codes=CodeTable("shelter_position_source", "位置の出典", "position source",
                               {"reported": "報告の緯度経度", "abr": "ABR 照合の代表点", "none": "位置なし"})),
    ),
    primary_key=("lg_code", "subject_key", "as_of"),
    sort_by=("lg_code", "subject_key"),
    cadence="continuous",
    group="address",
    licence="ABR 利用規約; 市区町村報告",
    attribution=ABR_ATTRIBUTION,
)

CONTRACTS: dict[str, Contract] = {c.name: c for c in (
    CORPORATION_ADDRESSES, CORPORATION_ADDRESS_MATCH_RATE, CORPORATION_ADDRESS_REVIEW, SHELTER_ADDRESSES,
)}
