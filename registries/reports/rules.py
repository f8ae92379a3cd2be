"""The domain rules of municipal reports as ``quality.rules.Rule`` SQL: the one validation path (GE suites).

The staged table holds text (see ``records.staged_table``), so every cast is ``TRY_CAST``: an uncastable value is
the castability check's business, not these rules'. Rules that need other data read the context relations the
reports source puts beside ``staged`` (:data:`MASTER`: the municipality master; :data:`PREVIOUS`: the latest
stored versions of the batch's keys): 団体コード known and active on ``as_of``, the previous version's cumulative
counts, the previous month's population. Blocking rules quarantine the submission; the others are warnings kept
with the stored version (``validation_warnings``).
"""

from __future__ import annotations

from datetime import timedelta

from quality.rules import Rule
from registries.reports import fields
from schemas.reports import POP_CLASSES


def _cd_ok(col: str) -> str:
    d = [f"TRY_CAST(substr({col}, {i}, 1) AS INTEGER)" for i in range(1, 7)]
    weighted = " + ".join(f"{w} * {x}" for w, x in zip((6, 5, 4, 3, 2), d[:5], strict=True))
    return f"(regexp_full_match({col}, '[0-9]{{6}}') AND (11 - ({weighted}) % 11) % 10 = {d[5]})"


def _numeric_items(report_type: str) -> list[str]:
    return [c.name for c in fields.item_columns(report_type)
            if c.type in ("int32", "int64", "double") and c.min_value == 0]


#: Context relations (see ``registries.reports.load.context``): lg_code, valid_from, valid_to (exclusive), pref.
MASTER = "lg_master"
#: Latest stored versions of the batch's (lg_code, subject_key), typed: report_type, lg_code, subject_key, as_of,
#: sequence_no, report_id, payload (JSON).
PREVIOUS = "previous_versions"
_AS_OF_DATE = "CAST(timezone('Asia/Tokyo', TRY_CAST({c} AS TIMESTAMPTZ)) AS DATE)"


def _master_rules(rt: str) -> list[Rule]:
    rules = []
    for col, ja in (("lg_code", "団体コード"), ("reporter_lg_code", "報告団体コード")):
        rules.append(Rule(
            f"{rt}_{col}_known", f"{ja}が団体コードマスター (総務省 全国地方公共団体コード) にある",
            f"SELECT s.* FROM staged s LEFT JOIN {MASTER} m ON m.lg_code = s.{col} "
            f"WHERE s.{col} IS NOT NULL AND m.lg_code IS NULL", column=col))
        day = _AS_OF_DATE.format(c="s.as_of")
        rules.append(Rule(
            f"{rt}_{col}_active", f"{ja}が時点 (as_of, 日本時間の日付) に有効 (廃止・未施行でない)",
            f"SELECT s.* FROM staged s JOIN {MASTER} m ON m.lg_code = s.{col} WHERE {day} IS NOT NULL AND "
            f"(m.valid_from IS NOT NULL AND {day} < m.valid_from OR m.valid_to IS NOT NULL AND {day} >= m.valid_to)",
            column=col))
    return rules


def _subject_key_rule(rt: str) -> Rule | None:
    derived = {
        "shelter_status": "CASE WHEN disaster_id IS NOT NULL AND shelter_id IS NOT NULL "
                          "THEN disaster_id || '/' || shelter_id END",
        "population_monthly": "year_month",
        "system_migration": "business_code",
        "system_cost": "CASE WHEN fiscal_year IS NOT NULL AND business_code IS NOT NULL "
                       "THEN fiscal_year || '/' || business_code END",
    }.get(rt)
    if derived is None:
        return None
    return Rule(f"{rt}_subject_key_matches_items", "subject_key が項目から導かれるキー (例: 災害ID/避難所ID) と一致",
                violation=f"subject_key IS NOT NULL AND ({derived}) IS NOT NULL AND subject_key <> ({derived})",
                column="subject_key")


def _num(col: str, prefix: str = "") -> str:
    return f"TRY_CAST({prefix}{col} AS DOUBLE)"


def _previous_of(rt: str, same_key: str) -> str:
    """For every staged row, the latest earlier version (stored, or staged in the same batch) as ``p``."""
    return (
        f"WITH cand AS (SELECT lg_code, subject_key, as_of, sequence_no, report_id, payload FROM {PREVIOUS} "
        f"WHERE report_type = '{rt}' UNION ALL SELECT lg_code, subject_key, TRY_CAST(as_of AS TIMESTAMPTZ), "
        "TRY_CAST(sequence_no AS INTEGER), report_id, NULL FROM staged), "
        "s AS (SELECT *, TRY_CAST(as_of AS TIMESTAMPTZ) AS _as_of, TRY_CAST(sequence_no AS INTEGER) AS _seq "
        "FROM staged) "
        "SELECT s.* EXCLUDE (_as_of, _seq), p.report_id AS _prev_id, p.payload AS _prev_payload, "
        "p.staged_row AS _prev_row FROM s, LATERAL (SELECT c.report_id, c.payload, "
        "(SELECT min(x._source_row) FROM staged x WHERE x.report_id = c.report_id) AS staged_row FROM cand c "
        f"WHERE {same_key} AND c.report_id <> s.report_id AND (c.as_of < s._as_of OR c.as_of = s._as_of AND "
        "coalesce(c.sequence_no, 0) < coalesce(s._seq, 0)) ORDER BY c.as_of DESC, c.sequence_no DESC LIMIT 1) p"
    )


def _warnings(rt: str) -> list[Rule]:
    out = []
    if rt == "disaster_damage":
        prev = _previous_of(rt, "c.lg_code = s.lg_code AND c.subject_key = s.subject_key")
        falls = []
        for name in fields.CUMULATIVE_DAMAGE:
            before = (f"coalesce(TRY_CAST(json_extract_string(w._prev_payload, '$.{name}') AS DOUBLE), "
                      f"(SELECT {_num(name, 'y.')} FROM staged y WHERE y._source_row = w._prev_row))")
            falls.append(f"{_num(name, 'w.')} < {before}")
        cols = ", ".join(f"w.{quote}" for quote in fields.contract_columns(rt)) + ", w._source_row"
        out.append(Rule(
            "disaster_damage_cumulative_decrease", "累計の被害数が前の版より減っていない (警告: 訂正なら版の説明を)",
            f"SELECT {cols} FROM ({prev}) w WHERE " + " OR ".join(falls), blocking=False))
        for unit, label in (("households", "り災世帯数"), ("persons", "り災者数")):
            parts = " + ".join(_num(f"{p}_{unit}") for p in ("zenkai", "hankai", "yukaue_shinsui"))
            out.append(Rule(
                f"disaster_damage_affected_{unit}_sum", f"{label} = 全壊 + 大規模半壊 + 半壊 + 床上浸水 (警告)",
                violation=f"{_num(f'affected_{unit}')} <> {parts} + coalesce({_num(f'daikibo_hankai_{unit}')}, 0)",
                column=f"affected_{unit}", blocking=False))
        out.append(Rule("disaster_damage_occurred_before_as_of", "発生日時 ≤ 時点 (警告)",
                        violation="TRY_CAST(occurred_at AS TIMESTAMPTZ) > TRY_CAST(as_of AS TIMESTAMPTZ)",
                        column="occurred_at", blocking=False))
    if rt == "population_monthly":
        month_before = ("strftime(CAST(TRY_CAST(s.year_month || '-01' AS DATE) - INTERVAL 1 MONTH AS DATE), "
                        "'%Y-%m')")
        for c, cj in POP_CLASSES:
            flow = (f"{_num(f'{c}_births', 's.')} - {_num(f'{c}_deaths', 's.')} + {_num(f'{c}_in_migration', 's.')} "
                    f"- {_num(f'{c}_out_migration', 's.')} + {_num(f'{c}_other_increase', 's.')} "
                    f"- {_num(f'{c}_other_decrease', 's.')}")
            before = f"TRY_CAST(json_extract_string(p.payload, '$.{c}_pop_total') AS DOUBLE)"
            out.append(Rule(
                f"population_monthly_{c}_balance", f"{cj}: 前月の計 + 出生 − 死亡 + 転入 − 転出 + その他 = 当月の計 (警告)",
                f"SELECT s.* FROM staged s JOIN {PREVIOUS} p ON p.report_type = 'population_monthly' "
                f"AND p.lg_code = s.lg_code AND p.subject_key = {month_before} "
                f"WHERE {before} + {flow} <> {_num(f'{c}_pop_total', 's.')}", column=f"{c}_pop_total",
                blocking=False))
        out.append(Rule("population_monthly_nationality_sum", "日本人 + 外国人 = 総計 (警告)",
                        violation=f"{_num('jp_pop_total')} + {_num('foreign_pop_total')} <> {_num('all_pop_total')}",
                        column="all_pop_total", blocking=False))
    if rt == "shelter_status":
        out.append(Rule("shelter_status_within_capacity", "避難者数 ≤ 収容可能人数 (警告)",
                        violation=f"{_num('capacity')} > 0 AND {_num('evacuees')} > {_num('capacity')}",
                        column="evacuees", blocking=False))
    return out


def rules_for(report_type: str, *, skew: timedelta = timedelta(minutes=10)) -> list[Rule]:
    """The rules of one report type's staged table: row rules, master rules, warnings."""
    rt = report_type
    minutes = int(skew.total_seconds() // 60)
    rules = [
        Rule(f"{rt}_lg_code_check_digit", "団体コードの検査数字 (cd = (11 − Σ) mod 11 mod 10) が正しいこと",
             violation=f"lg_code IS NULL OR NOT {_cd_ok('lg_code')}", column="lg_code"),
        Rule(f"{rt}_reporter_check_digit", "報告団体コードの検査数字が正しいこと",
             violation=f"reporter_lg_code IS NULL OR NOT {_cd_ok('reporter_lg_code')}", column="reporter_lg_code"),
        Rule(f"{rt}_proxy_within_prefecture",
             "代理報告は当該団体の都道府県 (PP000x) に限る",
             violation="reporter_lg_code <> lg_code AND substr(reporter_lg_code, 1, 5) <> substr(lg_code, 1, 2) || '000'",
             column="reporter_lg_code"),
        Rule(f"{rt}_as_of_not_future", f"時点 (as_of) が受信日時 + {minutes}分 より後でないこと",
             violation=f"TRY_CAST(as_of AS TIMESTAMPTZ) > TRY_CAST(received_at AS TIMESTAMPTZ) + INTERVAL {minutes} MINUTE",
             column="as_of"),
    ]
    numeric = _numeric_items(rt)
    if numeric:
        cond = " OR ".join(f"TRY_CAST({n} AS DOUBLE) < 0" for n in numeric)
        rules.append(Rule(f"{rt}_counts_non_negative", "件数・人数・面積は0以上 (未確認はNULLで可)",
                          violation=cond))
    if rt == "population_monthly":
        cond = " OR ".join(
            f"TRY_CAST({c}_pop_male AS BIGINT) + TRY_CAST({c}_pop_female AS BIGINT) <> TRY_CAST({c}_pop_total AS BIGINT)"
            for c, _ in POP_CLASSES)
        rules.append(Rule("population_monthly_pop_total_sum", "人口 計 = 男 + 女 (日本人・外国人・総計)",
                          violation=cond))
    if rt == "shelter_status":
        rules.append(Rule("shelter_status_voluntary_le_total", "うち自主避難者数 ≤ 避難者数",
                          violation="TRY_CAST(evacuees_voluntary AS BIGINT) > TRY_CAST(evacuees AS BIGINT)",
                          column="evacuees_voluntary"))
    rules += _master_rules(rt)
    subject = _subject_key_rule(rt)
    if subject is not None:
        rules.append(subject)
    return rules + _warnings(rt)
