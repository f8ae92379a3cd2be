"""Row-level blocking rules of :mod:`registries.reports.validate` as ``quality.rules.Rule`` SQL over ``staged``.

The staged table holds text (see ``records.staged_table``), so every cast is ``TRY_CAST``: an uncastable value is
the castability check's business, not these rules'. Rules that need other data (the municipality master, the
previous version or month) are not row-level and stay in the pure-Python validator.
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


def rules_for(report_type: str, *, skew: timedelta = timedelta(minutes=10)) -> list[Rule]:
    """The blocking row-level rules for one report type's staged table."""
    rt = report_type
    minutes = int(skew.total_seconds() // 60)
    rules = [
        Rule(f"{rt}_lg_code_check_digit", "団体コードの検査数字 (cd = (11 − Σ) mod 11 mod 10) が正しいこと",
             f"SELECT * FROM staged WHERE lg_code IS NULL OR NOT {_cd_ok('lg_code')}", column="lg_code"),
        Rule(f"{rt}_reporter_check_digit", "報告団体コードの検査数字が正しいこと",
             f"SELECT * FROM staged WHERE reporter_lg_code IS NULL OR NOT {_cd_ok('reporter_lg_code')}",
             column="reporter_lg_code"),
        Rule(f"{rt}_proxy_within_prefecture",
             "代理報告は当該団体の都道府県 (PP000x) に限る",
             "SELECT * FROM staged WHERE reporter_lg_code <> lg_code "
             "AND substr(reporter_lg_code, 1, 5) <> substr(lg_code, 1, 2) || '000'",
             column="reporter_lg_code"),
        Rule(f"{rt}_as_of_not_future", f"時点 (as_of) が受信日時 + {minutes}分 より後でないこと",
             "SELECT * FROM staged WHERE TRY_CAST(as_of AS TIMESTAMPTZ) > "
             f"TRY_CAST(received_at AS TIMESTAMPTZ) + INTERVAL {minutes} MINUTE",
             column="as_of"),
    ]
    numeric = _numeric_items(rt)
    if numeric:
        cond = " OR ".join(f"TRY_CAST({n} AS DOUBLE) < 0" for n in numeric)
        rules.append(Rule(f"{rt}_counts_non_negative", "件数・人数・面積は0以上 (未確認はNULLで可)",
                          f"SELECT * FROM staged WHERE {cond}"))
    if rt == "population_monthly":
        cond = " OR ".join(
            f"TRY_CAST({c}_pop_male AS BIGINT) + TRY_CAST({c}_pop_female AS BIGINT) <> TRY_CAST({c}_pop_total AS BIGINT)"
            for c, _ in POP_CLASSES)
        rules.append(Rule("population_monthly_pop_total_sum", "人口 計 = 男 + 女 (日本人・外国人・総計)",
                          f"SELECT * FROM staged WHERE {cond}"))
    if rt == "shelter_status":
        rules.append(Rule("shelter_status_voluntary_le_total", "うち自主避難者数 ≤ 避難者数",
                          "SELECT * FROM staged WHERE TRY_CAST(evacuees_voluntary AS BIGINT) > "
                          "TRY_CAST(evacuees AS BIGINT)", column="evacuees_voluntary"))
    return rules
