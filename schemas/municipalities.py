"""Contract of the 全国地方公共団体コード master (総務省), with code history (validity dates)."""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

MUNICIPALITY_TYPE = CodeTable(
    name="municipality_type",
    ja="団体区分",
    en="Kind of local government",
    codes={
        "prefecture": "都道府県",
        "city": "市（政令指定都市を除く）",
        "town": "町",
        "village": "村",
        "special_ward": "特別区（東京23区）",
        "designated_city": "政令指定都市",
        "ward": "政令指定都市の区（行政区）",
    },
    en_labels={
        "prefecture": "Prefecture",
        "city": "City (other than a designated city)",
        "town": "Town",
        "village": "Village",
        "special_ward": "Special ward of Tokyo",
        "designated_city": "Designated city",
        "ward": "Ward of a designated city",
    },
)

_LG = r"[0-9]{6}"

MUNICIPALITIES = Contract(
    name="municipalities",
    version="1.0.0",
    title_ja="全国地方公共団体コード",
    title_en="Local government codes of Japan",
    description=(
        "総務省「全国地方公共団体コード」の都道府県・市区町村・政令市の区に、廃止されたコードと有効期間"
        "（history.csv）を加えたマスター。1 団体 1 行。valid_to が NULL の行が現行の団体。"
        " Master of prefectures, municipalities and wards of designated cities, with abolished codes and"
        " validity dates so that every code ever used stays resolvable."
    ),
    columns=(
        Column("lg_code", "string", "全国地方公共団体コード（6桁・検査数字付き）",
               "Local government code, 6 digits incl. check digit", nullable=False, pattern=_LG,
               source_name="団体コード"),
        Column("code5", "string", "団体コード（検査数字なし5桁）", "Code without check digit (JIS X 0401+0402)",
               nullable=False, pattern=r"[0-9]{5}"),
        Column("prefecture_code", "string", "都道府県コード（JIS X 0401）", "Prefecture code", nullable=False,
               pattern=r"(0[1-9]|[1-3][0-9]|4[0-7])"),
        Column("prefecture_name", "string", "都道府県名（漢字）", "Prefecture name", nullable=False,
               source_name="都道府県名（漢字）"),
        Column("prefecture_kana", "string", "都道府県名（カナ、全角）", "Prefecture name in katakana (full-width)",
               source_name="都道府県名（カナ）"),
        Column("name", "string", "市区町村名（漢字）。都道府県の行は都道府県名、政令市の区は「札幌市中央区」の形",
               "Municipality name; the prefecture name on prefecture rows; '<city><ward>' for wards",
               nullable=False, source_name="市区町村名（漢字）"),
        Column("name_kana", "string", "市区町村名（カナ、全角）", "Name in katakana (full-width)",
               source_name="市区町村名（カナ）"),
        Column("type", "string", "団体区分", "Kind of local government", nullable=False, codes=MUNICIPALITY_TYPE),
        Column("parent_lg_code", "string", "親団体コード（政令市の区 → 政令指定都市）",
               "Code of the designated city a ward belongs to", pattern=_LG),
        Column("is_northern_territories", "bool", "北方領土の村", "One of the 6 Northern Territories villages",
               nullable=False),
        Column("valid_from", "date", "有効期間の開始日（NULL = マスター時点以前から）",
               "First day the code is in force (NULL: since before the master)"),
        Column("valid_to", "date", "廃止日（この日から無効。NULL = 現行）",
               "Day the code was abolished, exclusive (NULL: in force)"),
        Column("successor_lg_codes", "string", "承継団体コード（; 区切り）", "Codes that took over, ';'-separated",
               pattern=r"[0-9]{6}(;[0-9]{6})*"),
        Column("source", "string", "出典（ファイル#シート!セル または history.csv:行）",
               "Where the row comes from (file#sheet!cell or history.csv:line)", nullable=False),
    ),
    primary_key=("lg_code",),
    sort_by=("lg_code",),
    group="reference", cadence="monthly", temporal="valid_from",
    licence="政府標準利用規約（第2.0版）（CC BY 4.0 互換）",
    attribution="出典: 総務省「全国地方公共団体コード」（https://www.soumu.go.jp/denshijiti/code.html）を加工して作成",
)

CODE_FORM = CodeTable(
    name="municipality_code_form", ja="コードの形", en="Code form",
    codes={"lg_code": "団体コード6桁（検査数字付き）", "code5": "5桁（都道府県2桁 + 市区町村3桁、検査数字なし）",
           "pref2": "都道府県コード2桁"},
    en_labels={"lg_code": "6 digits with check digit", "code5": "5 digits (pref 2 + city 3)",
               "pref2": "2-digit prefecture code"},
)

MUNICIPALITY_CODES = Contract(
    name="municipality_codes",
    version="1.0.0",
    title_ja="団体コード変換表",
    title_en="Municipality code forms",
    description=(
        "各ソースが使う団体コードの形（6桁・5桁・都道府県2桁）から 6桁の団体コード lg_code への変換表。"
        "有効期間付き。NTA 法人番号は `JOIN municipality_codes m ON m.code = x.prefecture_code || x.city_code`。"
        " Maps every code form used by the sources to the 6-digit lg_code, with validity."
    ),
    columns=(
        Column("code", "string", "コード（ソースでの表記）", "Code as written by a source", nullable=False,
               pattern=r"[0-9]{2}|[0-9]{5}|[0-9]{6}"),
        Column("form", "string", "コードの形", "Code form", nullable=False, codes=CODE_FORM),
        Column("lg_code", "string", "全国地方公共団体コード（6桁・検査数字付き）", "Local government code",
               nullable=False, pattern=r"[0-9]{6}"),
        Column("valid_from", "date", "有効期間の開始日（NULL = マスター時点以前から）", "First day in force"),
        Column("valid_to", "date", "廃止日（NULL = 現行）", "Day the code was abolished (exclusive)"),
    ),
    primary_key=("form", "code"),
    sort_by=("form", "code"),
    group="reference", cadence="monthly", temporal="valid_from",
    licence=MUNICIPALITIES.licence,
    attribution=MUNICIPALITIES.attribution,
)
