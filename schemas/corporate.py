"""Contracts of the 国税庁 法人番号 (corporate number) registry: change events, current state, reconciliation.

Source: 国税庁法人番号公表サイト 基本3情報ダウンロード (全件 / 差分) and the 法人番号システム Web-API v4.
The 30 columns follow the 「リソース定義書」 order; ``source_name`` keeps the Web-API / XML element name.
Code tables are the published 別紙 code lists (処理区分, 法人種別, 閉鎖事由, 訂正区分, 最新履歴, 検索対象除外).
"""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

LICENCE = "国税庁法人番号公表サイト 利用規約 (https://www.houjin-bangou.nta.go.jp/riyokiyaku/)"
ATTRIBUTION = "出典: 国税庁法人番号公表サイト (国税庁 法人番号システム Web-API / 基本3情報ダウンロードを加工して作成)"

# ---------------------------------------------------------------------------------------------------------
# Code tables (国税庁 仕様書 第二編 別紙1)
# ---------------------------------------------------------------------------------------------------------

PROCESS = CodeTable(
    name="nta_process",
    ja="処理区分",
    en="process type",
    codes={
        "01": "新規",
        "11": "商号又は名称の変更",
        "12": "国内所在地の変更",
        "13": "国外所在地の変更",
        "21": "登記記録の閉鎖等",
        "22": "登記記録の復活等",
        "71": "吸収合併",
        "72": "吸収合併無効",
        "81": "商号の登記の抹消",
        "99": "削除",
    },
    en_labels={
        "01": "new",
        "11": "change of trade name or name",
        "12": "change of domestic address",
        "13": "change of address outside Japan",
        "21": "closure of the registration record",
        "22": "revival of the registration record",
        "71": "absorption-type merger",
        "72": "invalidation of absorption-type merger",
        "81": "deletion of trade-name registration",
        "99": "deletion",
    },
)

KIND = CodeTable(
    name="nta_kind",
    ja="法人種別",
    en="corporation kind",
    codes={
        "101": "国の機関",
        "201": "地方公共団体",
        "301": "株式会社",
        "302": "有限会社",
        "303": "合名会社",
        "304": "合資会社",
        "305": "合同会社",
        "399": "その他の設立登記法人",
        "401": "外国会社等",
        "499": "その他",
    },
    en_labels={
        "101": "national government organisation",
        "201": "local government",
        "301": "stock company (kabushiki kaisha)",
        "302": "limited company (tokurei yugen kaisha)",
        "303": "general partnership company (gomei kaisha)",
        "304": "limited partnership company (goshi kaisha)",
        "305": "limited liability company (godo kaisha)",
        "399": "other registered corporation",
        "401": "foreign company etc.",
        "499": "other",
    },
)

CLOSE_CAUSE = CodeTable(
    name="nta_close_cause",
    ja="登記記録の閉鎖等の事由",
    en="closure cause",
    codes={
        "01": "清算の結了等",
        "11": "合併による解散等",
        "21": "登記官による閉鎖",
        "31": "その他の清算の結了等",
    },
    en_labels={
        "01": "liquidation completed",
        "11": "dissolution by merger",
        "21": "closed by the registrar",
        "31": "other liquidation completed",
    },
)

CORRECT = CodeTable(
    name="nta_correct",
    ja="訂正区分",
    en="correction flag",
    codes={"0": "訂正以外", "1": "訂正"},
    en_labels={"0": "not a correction", "1": "correction"},
)

LATEST = CodeTable(
    name="nta_latest",
    ja="最新履歴",
    en="latest flag",
    codes={"0": "過去情報", "1": "最新情報"},
    en_labels={"0": "past information", "1": "latest information"},
)

HIHYOJI = CodeTable(
    name="nta_hihyoji",
    ja="検索対象除外",
    en="excluded from search",
    codes={"0": "検索対象", "1": "検索対象除外"},
    en_labels={"0": "searchable", "1": "excluded from search"},
)

CODE_TABLES: tuple[CodeTable, ...] = (PROCESS, KIND, CLOSE_CAUSE, CORRECT, LATEST, HIHYOJI)

# ---------------------------------------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------------------------------------

CORPORATE_NUMBER_PATTERN = r"[1-9][0-9]{12}"
PREFECTURE_CODE_PATTERN = r"[0-9]{2}"
CITY_CODE_PATTERN = r"[0-9]{3}"
POST_CODE_PATTERN = r"[0-9]{7}"

FIRST_ASSIGNMENT_DATE = "2015-10-05"  # 法人番号の最初の指定日

#: Free-text fields people read (商号・フリガナ・所在地・英語表記・変更事由の詳細): a control character there is never in
#: the published data, and none comes near ``FREE_TEXT_MAX_CHARS`` (商号 is at most 150 characters, formats §1.2).
FREE_TEXT_FIELDS = ("name", "furigana", "en_name", "prefecture_name", "city_name", "street_number", "address_outside",
                    "en_prefecture_name", "en_city_name", "en_address_outside", "change_cause")
FREE_TEXT_MAX_CHARS = 1000

# ---------------------------------------------------------------------------------------------------------
# The 30 official columns (リソース定義書 order)
# ---------------------------------------------------------------------------------------------------------

OFFICIAL_COLUMNS: tuple[Column, ...] = (
    Column("sequence_number", "int64", "一連番号", "row sequence number within the file", nullable=False,
           min_value=1, source_name="sequenceNumber"),
    Column("corporate_number", "string", "法人番号", "13-digit corporate number (leading check digit)",
           nullable=False, pattern=CORPORATE_NUMBER_PATTERN, source_name="corporateNumber"),
    Column("process", "string", "処理区分", "process type", nullable=False, codes=PROCESS,
           source_name="process"),
    Column("correct", "string", "訂正区分", "correction flag", nullable=False, codes=CORRECT,
           source_name="correct"),
    Column("update_date", "date", "更新年月日", "date the NTA record was updated", nullable=False,
           min_value=FIRST_ASSIGNMENT_DATE, source_name="updateDate"),
    Column("change_date", "date", "変更年月日", "date the change took effect", nullable=False,
           source_name="changeDate"),
    Column("name", "string", "商号又は名称", "trade name or name", nullable=False, source_name="name"),
    Column("name_image_id", "string", "商号又は名称イメージID", "image id of the name (characters outside JIS)",
           source_name="nameImageId"),
    Column("kind", "string", "法人種別", "corporation kind", nullable=False, codes=KIND, source_name="kind"),
    Column("prefecture_name", "string", "国内所在地（都道府県）", "domestic address: prefecture",
           source_name="prefectureName"),
    Column("city_name", "string", "国内所在地（市区町村）", "domestic address: municipality",
           source_name="cityName"),
    Column("street_number", "string", "国内所在地（丁目番地等）", "domestic address: town, chome and lot",
           source_name="streetNumber"),
    Column("address_image_id", "string", "国内所在地イメージID", "image id of the domestic address",
           source_name="addressImageId"),
    Column("prefecture_code", "string", "都道府県コード", "JIS X 0401 prefecture code",
           pattern=PREFECTURE_CODE_PATTERN, source_name="prefectureCode"),
    Column("city_code", "string", "市区町村コード", "JIS X 0402 municipality code (3 digits, no check digit)",
           pattern=CITY_CODE_PATTERN, source_name="cityCode"),
    Column("post_code", "string", "郵便番号", "postal code (7 digits, no hyphen)", pattern=POST_CODE_PATTERN,
           source_name="postCode"),
    Column("address_outside", "string", "国外所在地", "address outside Japan", source_name="addressOutside"),
    Column("address_outside_image_id", "string", "国外所在地イメージID", "image id of the address outside Japan",
           source_name="addressOutsideImageId"),
    Column("close_date", "date", "登記記録の閉鎖等年月日", "closure date of the registration record",
           source_name="closeDate"),
    Column("close_cause", "string", "登記記録の閉鎖等の事由", "closure cause", codes=CLOSE_CAUSE,
           source_name="closeCause"),
    Column("successor_corporate_number", "string", "承継先法人番号", "successor corporate number (mergers)",
           pattern=CORPORATE_NUMBER_PATTERN, source_name="successorCorporateNumber"),
    Column("change_cause", "string", "変更事由の詳細", "details of the change cause", source_name="changeCause"),
    Column("assignment_date", "date", "法人番号指定年月日", "date the corporate number was assigned",
           nullable=False, min_value=FIRST_ASSIGNMENT_DATE, source_name="assignmentDate"),
    Column("latest", "string", "最新履歴", "latest flag", nullable=False, codes=LATEST, source_name="latest"),
    Column("en_name", "string", "商号又は名称（英語表記）", "name in English", source_name="enName"),
    Column("en_prefecture_name", "string", "国内所在地（都道府県）（英語表記）", "prefecture in English",
           source_name="enPrefectureName"),
    Column("en_city_name", "string", "国内所在地（市区町村丁目番地等）（英語表記）",
           "municipality and street in English", source_name="enCityName"),
    Column("en_address_outside", "string", "国外所在地（英語表記）", "address outside Japan in English",
           source_name="enAddressOutside"),
    Column("furigana", "string", "フリガナ", "reading of the name in katakana", source_name="furigana"),
    Column("hihyoji", "string", "検索対象除外", "excluded from search", nullable=False, codes=HIHYOJI,
           source_name="hihyoji"),
)

OFFICIAL_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in OFFICIAL_COLUMNS)

SOURCE_KINDS = CodeTable(
    name="nta_source_kind",
    ja="取込元種別",
    en="source kind",
    codes={"full": "全件", "diff": "差分", "api": "Web-API"},
)

_LINEAGE_EVENTS: tuple[Column, ...] = (
    Column("source_file", "string", "取込ファイル名", "name of the source file", nullable=False),
    Column("source_sha256", "string", "取込ファイルSHA-256", "sha256 of the source file as received",
           nullable=False, pattern=r"[0-9a-f]{64}"),
    Column("load_id", "string", "取込ID", "id of the load that stored the row", nullable=False),
    Column("source_kind", "string", "取込元種別", "full (全件), diff (差分) or api (Web-API)", nullable=False,
           codes=SOURCE_KINDS),
)

corporate_events = Contract(
    name="corporate_events",
    version="1.0.0",
    title_ja="法人番号 変更履歴 (全件・差分・Web-API の全レコード)",
    title_en="Corporate number registry: change events",
    description=(
        "Every row of every 国税庁 法人番号 全件/差分 file and Web-API response, append-only, in the official "
        "30-column layout plus lineage. A corporate number may appear many times (several events, 訂正 rows)."
    ),
    columns=(*OFFICIAL_COLUMNS, *_LINEAGE_EVENTS),
    primary_key=("source_sha256", "sequence_number"),
    sort_by=("corporate_number", "update_date", "sequence_number"),
    group="corporate", cadence="daily", temporal="update_date",
    licence=LICENCE,
    attribution=ATTRIBUTION,
)

corporations = Contract(
    name="corporations",
    version="1.0.0",
    title_ja="法人番号 現在情報",
    title_en="Corporate number registry: current state",
    description=(
        "One row per corporate number: the latest state derived from the events (latest=1, max update_date, "
        "sequence_number), reconciled against the monthly 全件."
    ),
    columns=(
        *OFFICIAL_COLUMNS[1:],
        Column("is_closed", "bool", "閉鎖", "true when the registration record is closed (閉鎖等年月日 set)",
               nullable=False),
        Column("source_file", "string", "取込ファイル名", "file the current row came from", nullable=False),
        Column("load_id", "string", "取込ID", "id of the load that produced the row", nullable=False),
    ),
    primary_key=("corporate_number",),
    partition_by=("prefecture_code",),
    sort_by=("corporate_number",),
    group="corporate", cadence="daily", temporal="update_date",
    licence=LICENCE,
    attribution=ATTRIBUTION,
)

RECONCILIATION_STATUS = CodeTable(
    name="nta_reconciliation_status",
    ja="突合結果",
    en="reconciliation status",
    codes={"missing": "全件にあり現在情報にない", "extra": "現在情報にあり全件にない", "differs": "内容が異なる"},
    en_labels={"missing": "in the full file, not in the state", "extra": "in the state, not in the full file",
               "differs": "values differ"},
)

corporate_reconciliation = Contract(
    name="corporate_reconciliation",
    version="1.0.0",
    title_ja="法人番号 全件突合結果",
    title_en="Corporate number registry: reconciliation against the monthly full file",
    description="Differences between the diff-built current state and a monthly 全件 snapshot.",
    columns=(
        Column("corporate_number", "string", "法人番号", "corporate number", nullable=False,
               pattern=CORPORATE_NUMBER_PATTERN),
        Column("status", "string", "突合結果", "missing, extra or differs", nullable=False,
               codes=RECONCILIATION_STATUS),
        Column("differing_columns", "json", "相違列", "JSON array of the columns that differ"),
        Column("full_file", "string", "全件ファイル名", "the 全件 file reconciled against", nullable=False),
        Column("reconciled_at", "timestamp", "突合日時", "when the reconciliation ran", nullable=False),
    ),
    primary_key=("full_file", "corporate_number"),
    sort_by=("corporate_number",),
    group="corporate", cadence="monthly", temporal="reconciled_at",
    licence=LICENCE,
    attribution=ATTRIBUTION,
)
