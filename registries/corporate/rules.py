"""Hand-written rules for staged ``corporate_events`` (text as in the file, table ``staged``).

The contract already checks patterns, code sets, nullability and date castability; these rules add what it
cannot express: check digits (検査用数字), cross-column consistency and uniqueness within one file.
"""

from __future__ import annotations

from quality.rules import CONTROL_CHARACTERS, Rule
from registries.corporate.checkdigit import check_digit_sql
from registries.corporate.parse import SUSPECT_TEXT
from schemas.corporate import (
    FIRST_ASSIGNMENT_DATE,
    FREE_TEXT_FIELDS,
    FREE_TEXT_MAX_CHARS,
    OFFICIAL_COLUMN_NAMES,
)

CORPORATE_NUMBER_CHECK_DIGIT = Rule(
    name="corporate_number_check_digit",
    description="法人番号の検査用数字 (先頭1桁) が正しいこと",
    violation=f"{check_digit_sql('corporate_number')} IS NOT TRUE",
    column="corporate_number",
    blocking=True,
)

SUCCESSOR_CHECK_DIGIT = Rule(
    name="successor_corporate_number_check_digit",
    description="承継先法人番号がある場合、その検査用数字が正しいこと",
    violation=(
        "successor_corporate_number IS NOT NULL "
        f"AND {check_digit_sql('successor_corporate_number')} IS NOT TRUE"
    ),
    column="successor_corporate_number",
    blocking=False,  # a reference to another corporation: warn, keep the event
)

ASSIGNMENT_DATE_FROM_2015 = Rule(
    name="assignment_date_not_before_2015_10_05",
    description=f"法人番号指定年月日は {FIRST_ASSIGNMENT_DATE} (最初の指定日) 以降であること",
    violation=f"TRY_CAST(assignment_date AS DATE) < DATE '{FIRST_ASSIGNMENT_DATE}'",
    column="assignment_date",
    blocking=True,
)

PREFECTURE_CITY_CONSISTENT = Rule(
    name="prefecture_city_code_consistent",
    description="都道府県コードと市区町村コードは両方あるか両方ないこと; 都道府県コードは 01〜47",
    violation=(
        "(prefecture_code IS NULL) <> (city_code IS NULL) "
        "OR (prefecture_code IS NOT NULL AND (TRY_CAST(prefecture_code AS INTEGER) NOT BETWEEN 1 AND 47 "
        "OR TRY_CAST(prefecture_code AS INTEGER) IS NULL))"
    ),
    column="prefecture_code",
    blocking=False,  # whether 国外 rows ever carry 99 is unconfirmed: warn rather than stop the feed
)

_CONTENT_COLUMNS = ", ".join(f'"{c}"' for c in OFFICIAL_COLUMN_NAMES if c != "sequence_number")

NO_DUPLICATE_ROWS = Rule(
    name="no_duplicate_rows",
    description="同一ファイル内に一連番号以外の全項目が同一の行が重複しないこと (同じ事象の二重収録)",
    # Hash first (one narrow aggregate over the file), compare whole rows only among hash collisions: a window
    # over all 29 columns would hold the whole file in memory.
    failing_rows=(
        "SELECT * EXCLUDE (_dup_count) FROM ("
        f"SELECT *, count(*) OVER (PARTITION BY {_CONTENT_COLUMNS}) AS _dup_count FROM staged "
        f"WHERE hash({_CONTENT_COLUMNS}) IN (SELECT hash({_CONTENT_COLUMNS}) AS h FROM staged "
        "GROUP BY h HAVING count(*) > 1)"
        ") WHERE _dup_count > 1"
    ),
    # Two equal rows share every column, so if no two rows share (number, 処理区分, 訂正区分) there is no
    # duplicate: one narrow distinct count settles the usual file (a 全件 lists each number once).
    probe="count(*) - count(DISTINCT hash(corporate_number, process, correct))",
    blocking=True,
)

SEQUENCE_NUMBER_UNIQUE = Rule(
    name="sequence_number_unique",
    description="一連番号はファイル内で一意であること (主キー: source_sha256 + sequence_number)",
    # compared as numbers: "007" and "7" are the same 一連番号 once stored
    failing_rows=(
        "SELECT * FROM staged WHERE TRY_CAST(sequence_number AS BIGINT) IN "
        "(SELECT TRY_CAST(sequence_number AS BIGINT) AS n FROM staged GROUP BY n HAVING count(*) > 1)"
    ),
    # the NTA numbers the records of a file 1, 2, 3...: when every 一連番号 is its record number they are unique
    # without a hash table; any other file gets the exact check
    probe="count(*) FILTER (WHERE TRY_CAST(sequence_number AS BIGINT) IS DISTINCT FROM _source_row)",
    column="sequence_number",
    blocking=True,
)

CLOSE_DATE_CONSISTENT = Rule(
    name="close_date_iff_closed",
    description="登記記録の閉鎖等年月日は、処理区分 21 (閉鎖等) または閉鎖等の事由がある場合にのみ存在すること",
    violation="(close_date IS NOT NULL) <> (process = '21' OR close_cause IS NOT NULL)",
    column="close_date",
    blocking=False,
)

#: The free-text fields joined by a tab (not a control character in the sense of the rule): one regular-expression
#: search per row instead of eleven -- a control character is in the joined text iff it is in one of the fields
#: (NULL fields are left out).
_JOINED_TEXT = f"concat_ws(chr(9), {', '.join(FREE_TEXT_FIELDS)})"

#: Both text rules run on the rows staging marked (``_text_suspect``: a control character or more than 1,000 bytes
#: in a field; ``registries.corporate.parse.suspect_text``) -- the full country's most expensive checks otherwise
#: (a regular expression over ~800 MB of text: about 2 s of a 5 s validation on two cores).
NO_CONTROL_CHARACTERS = Rule(
    name="text_without_control_characters",
    description="商号・所在地などの文字列項目に制御文字 (NUL 等) を含まないこと",
    violation=f"regexp_matches({_JOINED_TEXT}, '{CONTROL_CHARACTERS}')",
    prefilter=SUSPECT_TEXT,
)

TEXT_LENGTH = Rule(
    name="text_length",
    description=f"商号・所在地などの文字列項目は {FREE_TEXT_MAX_CHARS:,} 文字以内 (商号は最大 150 文字; それを大きく超える値は破損)",
    violation=" OR ".join(f"length({c}) > {FREE_TEXT_MAX_CHARS}" for c in FREE_TEXT_FIELDS),
    prefilter=SUSPECT_TEXT,
)

CORPORATE_EVENT_RULES: tuple[Rule, ...] = (
    CORPORATE_NUMBER_CHECK_DIGIT,
    SUCCESSOR_CHECK_DIGIT,
    ASSIGNMENT_DATE_FROM_2015,
    PREFECTURE_CITY_CONSISTENT,
    NO_DUPLICATE_ROWS,
    SEQUENCE_NUMBER_UNIQUE,
    CLOSE_DATE_CONSISTENT,
    NO_CONTROL_CHARACTERS,
    TEXT_LENGTH,
)


def rules_for(dataset: str) -> tuple[Rule, ...]:
    """The hand-written rules of one 法人番号 dataset (``corporate_events``)."""
    return CORPORATE_EVENT_RULES if dataset == "corporate_events" else ()
