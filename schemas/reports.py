"""Municipal operational reports (市区町村 → 都道府県 → 国): contracts sharing one envelope.

Report types: ``disaster_damage`` (消防庁 第4号様式 その1/その2), ``shelter_status`` (避難所状況),
``population_monthly`` (住民基本台帳に基づく人口・世帯数), ``system_migration`` (標準準拠システム移行状況,
総務省 ダッシュボードの手順), ``system_cost`` (標準準拠システム運用経費). Each contract = envelope + items.

Counts are nullable: 未確認 (unknown) stays NULL with ``field_status`` 未確認, never 0. ``Column.ja`` is the
Japanese header used by the submission template. Bitemporal: ``as_of`` (valid time, 時点) and ``received_at``
(transaction time). ``report_versions`` keeps every version of every type; ``reports_latest`` is derived
(see ``registries.reports.versions``).
"""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

SCHEMA_VERSION = "1.0.0"
GROUP = "reports"
_ATTRIBUTION = "市区町村・都道府県からの報告 (消防庁 第4号様式, 住民基本台帳, 標準準拠システム移行状況) を加工"

# ---------------------------------------------------------------- code tables (data only)

REPORT_TYPE = CodeTable(
    "report_type", "報告種別", "report type",
    {
        "disaster_damage": "災害被害即報 (第4号様式)",
        "shelter_status": "避難所状況",
        "population_monthly": "住民基本台帳人口 (月次)",
        "system_migration": "標準準拠システム移行状況",
        "system_cost": "標準準拠システム運用経費",
    },
)
PHASE = CodeTable("report_phase", "報告区分", "phase", {"速報": "速報 (即報)", "確定": "確定報告"},
                  {"速報": "preliminary", "確定": "final"})
CONTROL = CodeTable(
    "report_control", "要因 (公共情報コモンズ)", "message control",
    {"正規": "正規", "訂正": "訂正", "訓練": "訓練 (指標から除外)", "削除": "削除 (取り消し)"},
    {"正規": "actual", "訂正": "correction", "訓練": "exercise", "削除": "deletion"},
)
UPDATE_TYPE = CodeTable("report_update_type", "更新種別", "update type",
                        {"新規": "新規", "更新": "更新", "取消": "取消"},
                        {"新規": "new", "更新": "update", "取消": "withdrawal"})
CHANNEL = CodeTable(
    "report_channel", "受付経路", "channel",
    {"api": "API", "file": "ファイル提出", "web_form": "Web入力", "fax_transcribed": "FAX転記", "proxy": "代理入力"},
)
FIELD_STATUS = CodeTable(
    "report_field_status", "項目状態", "field status",
    {
        "reported": "報告あり (値あり)",
        "未確認": "未確認 (値は NULL, 0 ではない)",
        "not_applicable": "該当なし ('-')",
        "not_reported": "未記入 (空欄)",
    },
)
VALIDATION_STATUS = CodeTable(
    "report_validation_status", "検証結果", "validation status",
    {"accepted": "受理", "accepted_with_warnings": "受理 (警告あり)", "rejected": "不受理 (阻止エラー)"},
)
FORM_PART = CodeTable("damage_form_part", "様式区分", "form part",
                      {"その1": "第4号様式(その1) 災害概況即報", "その2": "第4号様式(その2) 被害状況即報"})
HQ_TYPE = CodeTable("hq_type", "本部種別", "headquarters type",
                    {"なし": "設置なし", "警戒本部": "災害警戒本部", "対策本部": "災害対策本部",
                     "非常災害対策本部": "非常災害対策本部"})
HQ_STATUS = CodeTable("hq_status", "本部状況", "headquarters status", {"設置": "設置", "解散": "解散"})
EVAC_LEVEL = CodeTable(
    "evac_level", "避難情報の最高警戒レベル", "highest evacuation alert level",
    {"1": "レベル1 早期注意情報", "2": "レベル2 大雨・洪水注意報等", "3": "レベル3 高齢者等避難",
     "4": "レベル4 避難指示", "5": "レベル5 緊急安全確保"},
)
SHELTER_KIND = CodeTable(
    "shelter_kind", "避難所種別", "shelter kind",
    {"指定避難所": "指定避難所", "福祉避難所": "福祉避難所", "臨時避難所": "臨時避難所",
     "指定緊急避難場所": "指定緊急避難場所", "広域避難場所": "広域避難場所", "一時避難場所": "一時避難場所",
     "自主避難所": "自主避難所"},
)
OPEN_STATUS = CodeTable("shelter_open_status", "開設状況", "open status",
                        {"未開設": "未開設", "開設": "開設", "閉鎖": "閉鎖", "不明": "不明", "常設": "常設"})
CROWDING = CodeTable("shelter_crowding", "避難所状況 (混雑)", "crowding",
                     {"空き": "空き", "混雑": "混雑", "定員一杯": "定員一杯", "不明": "不明"})
BUSINESS = CodeTable(
    "standard_business", "標準化対象業務 (20業務)", "standardised business",
    {f"{i:02d}": name for i, name in enumerate((
        "住民基本台帳", "選挙人名簿管理", "固定資産税", "個人住民税", "法人住民税", "軽自動車税", "国民健康保険",
        "国民年金", "障害者福祉", "後期高齢者医療", "介護保険", "児童手当", "健康管理", "就学", "児童扶養手当",
        "生活保護", "子ども・子育て支援", "印鑑登録", "戸籍", "戸籍の附票"), start=1)},
)
MIGRATION_STEP_COUNT = 40
MIGRATION_STEP = CodeTable(
    "migration_step", "移行手順 (手順書の工程)", "migration step",
    # The 総務省 手順書 has 40 steps; their official names are not in the format notes [UNCONFIRMED],
    # so steps are numbered. Known names (Fit&Gap分析, 予算要求調整, ベンダ選定) are not tied to numbers.
    {f"{i:02d}": f"手順{i:02d}" for i in range(1, MIGRATION_STEP_COUNT + 1)},
)
STEP_STATUS = CodeTable(
    "migration_step_status", "工程の状況", "step status",
    {"完了済み": "完了済み", "作業中": "作業中", "未着手": "未着手", "対象外": "対象外"},
)

# ---------------------------------------------------------------- column helpers


def _count(name: str, ja: str, en: str) -> Column:
    return Column(name, "int64", ja, en, min_value=0)


def _dec(name: str, ja: str, en: str) -> Column:
    return Column(name, "double", ja, en, min_value=0)


def _text(name: str, ja: str, en: str) -> Column:
    return Column(name, "string", ja, en)


def _ts(name: str, ja: str, en: str) -> Column:
    return Column(name, "timestamp", ja, en)


def _bool(name: str, ja: str, en: str) -> Column:
    return Column(name, "bool", ja, en)


def _code(name: str, ja: str, en: str, table: CodeTable) -> Column:
    return Column(name, "string", ja, en, codes=table)


_LG = r"[0-9]{6}"

ENVELOPE: tuple[Column, ...] = (
    Column("report_id", "string", "報告ID", "report id (unique per submission, never reused)", nullable=False),
    Column("report_type", "string", "報告種別", "report type", nullable=False, codes=REPORT_TYPE),
    Column("schema_version", "string", "様式バージョン", "schema version (semver)", nullable=False,
           pattern=r"[0-9]+\.[0-9]+\.[0-9]+"),
    Column("lg_code", "string", "団体コード", "municipality code (全国地方公共団体コード, 6 digits with check digit)",
           nullable=False, pattern=_LG),
    Column("reporter_lg_code", "string", "報告団体コード", "reporting body (itself or its prefecture as proxy)",
           nullable=False, pattern=_LG),
    Column("subject_key", "string", "報告対象キー", "type-specific subject key", nullable=False),
    Column("as_of", "timestamp", "時点", "as-of time the figures describe (月日時現在; JST input, stored UTC)",
           nullable=False),
    Column("submitted_at", "timestamp", "報告日時", "reporter's clock"),
    Column("received_at", "timestamp", "受信日時", "pipeline's clock (transaction time)", nullable=False),
    Column("sequence_no", "int32", "報告番号 (第N報)", "sequence number per subject", nullable=False, min_value=1),
    Column("phase", "string", "報告区分", "速報 / 確定", nullable=False, codes=PHASE),
    Column("control", "string", "要因", "正規 / 訂正 / 訓練 / 削除", nullable=False, codes=CONTROL),
    Column("update_type", "string", "更新種別", "新規 / 更新 / 取消", nullable=False, codes=UPDATE_TYPE),
    Column("supersedes_report_id", "string", "置換対象報告ID", "explicit link to the replaced report"),
    Column("channel", "string", "受付経路", "intake channel", nullable=False, codes=CHANNEL),
    Column("field_status", "json", "項目状態", "JSON map field -> reported/未確認/not_applicable/not_reported",
           nullable=False),
    Column("sha256", "string", "提出ファイルSHA-256", "sha256 of the submitted file", nullable=False,
           pattern=r"[0-9a-f]{64}"),
    Column("source_file", "string", "提出ファイル名", "submitted file name (sanitised)", nullable=False),
)
ENVELOPE_NAMES: tuple[str, ...] = tuple(c.name for c in ENVELOPE)

# ---------------------------------------------------------------- disaster_damage (第4号様式)

_HOUSE = (
    ("zenkai", "全壊"), ("daikibo_hankai", "大規模半壊"), ("hankai", "半壊"), ("ichibu_hason", "一部破損"),
    ("yukaue_shinsui", "床上浸水"), ("yukashita_shinsui", "床下浸水"),
)
_HOUSE_UNITS = (("buildings", "棟"), ("households", "世帯"), ("persons", "人"))
_FACILITIES = (
    ("schools", "文教施設(箇所)"), ("hospitals", "病院(箇所)"), ("roads", "道路(箇所)"),
    ("bridges", "橋りょう(箇所)"), ("rivers", "河川(箇所)"), ("ports", "港湾(箇所)"), ("sabo", "砂防(箇所)"),
    ("cleaning_facilities", "清掃施設(箇所)"), ("landslides", "崖くずれ(箇所)"),
    ("rail_interruptions", "鉄道不通(箇所)"), ("ships", "被害船舶(隻)"),
    ("water_outage_households", "水道(戸)"), ("phone_lines_down", "電話(回線)"),
    ("power_outage_households", "電気(戸)"), ("gas_outage_households", "ガス(戸)"),
    ("block_walls", "ブロック塀等(箇所)"),
)

DISASTER_DAMAGE_ITEMS: tuple[Column, ...] = (
    _code("form_part", "様式区分", "form part (その1/その2)", FORM_PART),
    _text("disaster_name", "災害名", "disaster name"),
    _ts("occurred_at", "発生日時", "occurred at"),
    _text("occurred_place", "発生場所", "place"),
    _text("summary", "概況", "summary (free text)"),
    _count("dead", "死者(人)", "dead"),
    _count("missing", "行方不明者(人)", "missing"),
    _count("injured_serious", "負傷者 重傷(人)", "seriously injured (1 month or more)"),
    _count("injured_minor", "負傷者 軽傷(人)", "minor injuries (under 1 month)"),
    _count("injured_unclassified", "負傷者 区分不明(人)", "injured, not classified (その1)"),
    *(_count(f"{k}_{u}", f"住家 {ja}({uj})", f"residential {k} ({u})") for k, ja in _HOUSE for u, uj in _HOUSE_UNITS),
    _count("nonres_public_buildings", "非住家 公共建物(棟)", "non-residential public buildings"),
    _count("nonres_other_buildings", "非住家 その他(棟)", "non-residential other buildings"),
    _dec("paddy_washed_buried_ha", "田 流失・埋没(ha)", "paddy washed away/buried (ha)"),
    _dec("paddy_flooded_ha", "田 冠水(ha)", "paddy flooded (ha)"),
    _dec("field_washed_buried_ha", "畑 流失・埋没(ha)", "field washed away/buried (ha)"),
    _dec("field_flooded_ha", "畑 冠水(ha)", "field flooded (ha)"),
    *(_count(k, ja, k.replace("_", " ")) for k, ja in _FACILITIES),
    _count("affected_households", "り災世帯数(世帯)", "affected households"),
    _count("affected_persons", "り災者数(人)", "affected persons"),
    _count("fires_buildings", "火災発生 建物(件)", "fires: buildings"),
    _count("fires_hazmat", "火災発生 危険物(件)", "fires: hazardous materials"),
    _count("fires_other", "火災発生 その他(件)", "fires: other"),
    _code("hq_type", "本部種別", "current headquarters type", HQ_TYPE),
    _code("hq_status", "本部状況", "current headquarters status", HQ_STATUS),
    _ts("alert_hq_established_at", "警戒本部 設置日時", "alert HQ established at"),
    _ts("alert_hq_dissolved_at", "警戒本部 解散日時", "alert HQ dissolved at"),
    _ts("disaster_hq_established_at", "災害対策本部 設置日時", "disaster HQ established at"),
    _ts("disaster_hq_dissolved_at", "災害対策本部 解散日時", "disaster HQ dissolved at"),
    _code("evac_order_level", "避難情報 最高警戒レベル", "highest evacuation alert level in force", EVAC_LEVEL),
    _count("evac_target_households", "避難指示等 対象世帯数", "households under evacuation information"),
    _count("evac_target_persons", "避難指示等 対象人数", "persons under evacuation information"),
    _count("shelters_open", "開設避難所数(か所)", "open shelters"),
    _count("evacuees", "避難人数(人)", "evacuees"),
    _count("evac_households", "避難世帯数(世帯)", "evacuated households"),
    _text("emergency_measures", "応急対策の状況", "emergency measures (free text)"),
)

# ---------------------------------------------------------------- shelter_status

_VULNERABLE = (
    ("injured", "負傷"), ("care_level3", "要介護度3以上"), ("elderly_alone", "一人暮らし高齢者"),
    ("bedridden", "寝たきり"), ("dementia", "認知症"), ("disability", "障害者手帳所持者"),
    ("pregnant", "妊産婦"), ("infants", "乳幼児"),
)

SHELTER_ITEMS: tuple[Column, ...] = (
    _text("disaster_id", "災害ID", "disaster id"),
    _text("shelter_id", "避難所ID", "shelter id (GSI 共通ID / 推奨データセット ID / 市区町村内連番)"),
    _text("shelter_name", "避難所名", "shelter name"),
    _text("address", "所在地", "shelter address as written (optional; matched to ABR into shelter_addresses)"),
    _code("shelter_kind", "避難所種別", "shelter kind", SHELTER_KIND),
    _code("open_status", "開設状況", "open status", OPEN_STATUS),
    _ts("opened_at", "開設日時", "opened at"),
    _ts("closed_at", "閉鎖日時", "closed at"),
    Column("latitude", "double", "緯度", "latitude (JGD2011)", min_value=20.0, max_value=46.0),
    Column("longitude", "double", "経度", "longitude (JGD2011)", min_value=122.0, max_value=154.0),
    _count("capacity", "収容可能人数(人)", "capacity"),
    _count("evacuees", "避難者数(人)", "evacuees (incl. voluntary)"),
    _count("evacuees_voluntary", "うち自主避難者数(人)", "voluntary evacuees"),
    _count("households", "避難世帯数(世帯)", "households (incl. voluntary)"),
    _code("crowding", "混雑状況", "crowding", CROWDING),
    *(_count(f"vulnerable_{k}", f"要配慮者 {ja}(人)", f"vulnerable: {k}") for k, ja in _VULNERABLE),
    _bool("power_ok", "電力 使用可", "power available"),
    _bool("water_ok", "水道 使用可", "water available"),
    _bool("comms_ok", "通信 使用可", "communications available"),
    _bool("gas_ok", "ガス 使用可", "gas available"),
    _text("needs", "必要物資等", "needs (free text)"),
)

# ---------------------------------------------------------------- population_monthly

POP_CLASSES = (("jp", "日本人"), ("foreign", "外国人"), ("all", "総計"))
_POP_MEASURES = (
    ("pop_male", "人口 男"), ("pop_female", "人口 女"), ("pop_total", "人口 計"), ("households", "世帯数"),
    ("in_migration", "転入"), ("births", "出生"), ("other_increase", "その他増"),
    ("out_migration", "転出"), ("deaths", "死亡"), ("other_decrease", "その他減"),
)
POPULATION_ITEMS: tuple[Column, ...] = (
    Column("year_month", "string", "対象年月", "reference month YYYY-MM", pattern=r"[0-9]{4}-[0-9]{2}"),
    *(_count(f"{c}_{m}", f"{cj} {mj}", f"{c} {m}") for c, cj in POP_CLASSES for m, mj in _POP_MEASURES),
)

# ---------------------------------------------------------------- system_migration / system_cost

MIGRATION_ITEMS: tuple[Column, ...] = (
    _code("business_code", "業務", "standardised business", BUSINESS),
    _bool("on_gov_cloud", "ガバメントクラウド利用", "uses the government cloud"),
    _bool("difficult_system", "移行困難システム", "移行困難 flag"),
    Column("planned_cutover_date", "date", "移行予定日", "planned cutover date"),
    *(_code(f"step_{i:02d}", f"手順{i:02d} 状況", f"status of step {i}", STEP_STATUS)
      for i in range(1, MIGRATION_STEP_COUNT + 1)),
    _text("note", "備考", "note"),
)

COST_ITEMS: tuple[Column, ...] = (
    Column("fiscal_year", "int32", "年度", "fiscal year (April–March)", min_value=2000, max_value=2100),
    _code("business_code", "業務", "standardised business", BUSINESS),
    _count("annual_operating_cost_yen", "年間運用経費(円)", "annual operating cost (yen)"),
    _bool("shared_saas", "共通SaaS利用", "shared SaaS"),
    _text("vendor", "ベンダ", "vendor (restricted)"),
    _bool("on_gov_cloud", "ガバメントクラウド利用", "uses the government cloud"),
)

ITEMS: dict[str, tuple[Column, ...]] = {
    "disaster_damage": DISASTER_DAMAGE_ITEMS,
    "shelter_status": SHELTER_ITEMS,
    "population_monthly": POPULATION_ITEMS,
    "system_migration": MIGRATION_ITEMS,
    "system_cost": COST_ITEMS,
}

_TITLES = {
    "disaster_damage": ("災害被害即報 (第4号様式 その1/その2)", "Disaster damage report (FDMA form 4)",
                        "subject_key = 災害ID (例 2026-typhoon-21); as_of = 月日時現在. 累積値のスナップショット."),
    "shelter_status": ("避難所状況報告", "Shelter status report",
                       "subject_key = 災害ID/避難所ID; as_of = 避難所状況確認日時."),
    "population_monthly": ("住民基本台帳人口・世帯数 (月次)", "Monthly resident population",
                           "subject_key = YYYY-MM; 日本人/外国人/総計 × 男/女/計, 世帯数, 増減."),
    "system_migration": ("標準準拠システム移行状況", "Standardised-system migration status",
                         "subject_key = 業務コード; 手順01–40 の状況 (完了済み/作業中/未着手/対象外)."),
    "system_cost": ("標準準拠システム運用経費", "Standardised-system operating cost",
                    "subject_key = 年度/業務コード."),
}

_KEY = ("report_id",)
_SORT = ("report_type", "lg_code", "subject_key", "as_of", "sequence_no", "received_at")

CONTRACTS: dict[str, Contract] = {
    rt: Contract(
        name=f"report_{rt}", version=SCHEMA_VERSION, title_ja=t[0], title_en=t[1], description=t[2],
        columns=(*ENVELOPE, *ITEMS[rt]), primary_key=_KEY, sort_by=_SORT, group=GROUP, cadence="continuous",
        temporal="as_of", attribution=_ATTRIBUTION, checks="kind",
    )
    for rt, t in _TITLES.items()
}

_VERSION_EXTRA: tuple[Column, ...] = (
    Column("payload", "json", "報告項目 (JSON)", "items of the report as JSON (field -> value)", nullable=False),
    Column("validation_status", "string", "検証結果", "validation status", nullable=False, codes=VALIDATION_STATUS),
    Column("validation_errors", "json", "阻止エラー", "blocking errors [{field, rule, reason, value}]"),
    Column("validation_warnings", "json", "警告", "warnings [{field, rule, reason, value}]"),
)

REPORT_VERSIONS = Contract(
    name="report_versions", version=SCHEMA_VERSION, title_ja="報告 全版", title_en="All report versions",
    description="全報告種別の全版 (訂正・取消・訓練を含む). 自然キー (report_type, lg_code, subject_key, as_of); "
                "版順 (sequence_no, received_at). 二時間軸: as_of と received_at.",
    columns=(*ENVELOPE, *_VERSION_EXTRA), primary_key=_KEY, sort_by=_SORT,
    partition_by=("report_type",), group=GROUP, cadence="continuous", temporal="as_of", attribution=_ATTRIBUTION,
)

REPORTS_LATEST = Contract(
    name="reports_latest", version=SCHEMA_VERSION, title_ja="報告 最新版", title_en="Latest report per key",
    description="自然キーごとの最新版 (訓練・不受理を除外, 取消/削除は墓標として除外). "
                "registries.reports.versions.latest_sql で導出.",
    columns=(*ENVELOPE, *_VERSION_EXTRA), primary_key=("report_type", "lg_code", "subject_key", "as_of"),
    sort_by=_SORT, partition_by=("report_type",), group=GROUP, cadence="continuous", temporal="as_of", attribution=_ATTRIBUTION,
)

SUBMISSION_STATUS = CodeTable(
    "report_submission_status", "受付状況", "submission status",
    {"received": "受付済 (処理待ち)", "accepted": "受理", "accepted_with_warnings": "受理 (警告あり)",
     "quarantined": "不受理 (隔離)", "duplicate": "重複 (同一内容を受付済)"},
)

REPORT_SUBMISSIONS = Contract(
    name="report_submissions", version="1.0.0", title_ja="報告 受付票", title_en="Report submissions (receipts)",
    description="提出 (ファイル・API) ごとの受付票: 受信時のSHA-256, 受信日時, 結果, 理由. 同一内容の再提出は重複として記録. "
                "取込履歴 (loads) のビュー: 受付票は台帳そのもの.",
    columns=(
        Column("submission_id", "string", "受付ID", "receipt id (the load_id of the submission)", nullable=False),
        Column("sha256", "string", "SHA-256", "sha256 of the bytes as received", nullable=False,
               pattern=r"[0-9a-f]{64}"),
        Column("source_file", "string", "ファイル名", "file name (sanitised)", nullable=False),
        Column("channel", "string", "受付経路", "api / landing / file", nullable=False),
        Column("submitted_by", "string", "提出団体コード", "lg_code of the authenticated token (API)"),
        Column("received_at", "timestamp", "受信日時", "pipeline clock at receipt", nullable=False),
        Column("status", "string", "受付状況", "final status", nullable=False, codes=SUBMISSION_STATUS),
        Column("reports", "int64", "報告数", "reports (rows) in the submission"),
        Column("report_ids", "json", "報告ID", "report ids in the submission (JSON list)"),
        Column("errors", "json", "阻止エラー", "blocking reasons [{file,row,column,rule,value,message}]"),
        Column("warnings", "json", "警告", "warnings"),
        Column("duplicate_of", "string", "重複元受付ID", "submission id of the first load of the same bytes"),
        Column("batch_id", "string", "バッチID", "intake batch that processed it", nullable=False),
        Column("processed_at", "timestamp", "処理日時", "when the batch committed", nullable=False),
    ),
    primary_key=("submission_id", "received_at"), group=GROUP, cadence="continuous", temporal="received_at",
    derived_from=("loads",),
    derived_sql=(
        "SELECT load_id AS submission_id, sha256, source_file, channel, "
        "json_extract_string(submitted_by, '$.lg_code') AS submitted_by, received_at, "
        "CASE WHEN status <> 'loaded' THEN status "
        "WHEN coalesce(json_array_length(json_extract(detail, '$.warnings')), 0) > 0 "
        "THEN 'accepted_with_warnings' ELSE 'accepted' END AS status, "
        "TRY_CAST(json_extract(detail, '$.info.reports') AS BIGINT) AS reports, "
        "CAST(json_extract(detail, '$.info.report_ids') AS VARCHAR) AS report_ids, "
        "CAST(json_extract(detail, '$.errors') AS VARCHAR) AS errors, "
        "CAST(json_extract(detail, '$.warnings') AS VARCHAR) AS warnings, "
        "duplicate_of, batch_id, finished_at AS processed_at "
        "FROM loads WHERE source = 'reports'"
    ),
)
