"""Domain rules for the ``municipalities`` dataset (SQL over the staged table ``staged``)."""

from __future__ import annotations

from quality.rules import Rule
from registries.municipalities.codes import check_digit_sql, lg_code_valid_sql

_TYPES = "'prefecture', 'city', 'town', 'village', 'special_ward', 'designated_city', 'ward'"

RULES: tuple[Rule, ...] = (
    Rule(
        name="lg_code_check_digit",
        description="団体コードの検査数字: 6桁目 = (11 − (6·d1+5·d2+4·d3+3·d4+2·d5) mod 11) mod 10",
        failing_rows=f"SELECT * FROM staged WHERE NOT {lg_code_valid_sql('lg_code')}",
        column="lg_code",
    ),
    Rule(
        name="code5_matches_lg_code",
        description="code5 は団体コードの先頭5桁",
        failing_rows="SELECT * FROM staged WHERE code5 IS DISTINCT FROM substr(lg_code, 1, 5)",
        column="code5",
    ),
    Rule(
        name="parent_lg_code_check_digit",
        description="親団体コードの検査数字",
        failing_rows=f"SELECT * FROM staged WHERE parent_lg_code IS NOT NULL AND NOT {lg_code_valid_sql('parent_lg_code')}",
        column="parent_lg_code",
    ),
    Rule(
        name="lg_code_unique",
        description="団体コードは 1 行に 1 つ",
        failing_rows=(
            "SELECT * FROM staged WHERE lg_code IN "
            "(SELECT lg_code FROM staged GROUP BY lg_code HAVING count(*) > 1)"
        ),
        column="lg_code",
    ),
    Rule(
        name="type_code_set",
        description="団体区分は prefecture/city/town/village/special_ward/designated_city/ward のいずれか",
        failing_rows=f"SELECT * FROM staged WHERE type IS NULL OR type NOT IN ({_TYPES})",
        column="type",
    ),
    Rule(
        name="ward_has_designated_city",
        description="政令市の区には親の政令指定都市がある（同じ都道府県）",
        failing_rows=(
            "SELECT * FROM staged s WHERE s.type = 'ward' AND NOT EXISTS (SELECT 1 FROM staged p "
            "WHERE p.lg_code = s.parent_lg_code AND p.type = 'designated_city' "
            "AND p.prefecture_code = s.prefecture_code)"
        ),
        column="parent_lg_code",
    ),
    Rule(
        name="prefecture_code_format",
        description="都道府県の団体コードは PP000 + 検査数字",
        failing_rows=(
            "SELECT * FROM staged WHERE type = 'prefecture' AND "
            f"(substr(lg_code, 3, 3) <> '000' OR {check_digit_sql('lg_code')} <> TRY_CAST(substr(lg_code, 6, 1) AS INTEGER))"
        ),
        column="lg_code",
    ),
    Rule(
        name="validity_period_ordered",
        description="有効期間: valid_from < valid_to",
        failing_rows="SELECT * FROM staged WHERE valid_from IS NOT NULL AND valid_to IS NOT NULL AND valid_from >= valid_to",
        column="valid_to",
    ),
)
