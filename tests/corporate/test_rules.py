from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quality.rules import Rule
from registries.corporate.parse import stage_corporate_file
from registries.corporate.rules import CORPORATE_EVENT_RULES, rules_for


def _failing(parquet: Path, rule: Rule, extra_sql: str | None = None) -> list[dict]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE staged AS SELECT * FROM read_parquet('{parquet}')")
    if extra_sql:
        con.execute(extra_sql)
    cur = con.execute(rule.failing_rows)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _by_name(name: str) -> Rule:
    return next(r for r in CORPORATE_EVENT_RULES if r.name == name)


@pytest.fixture(scope="module")
def staged(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("staged")
    files = [*sorted(samples.glob("*.zip")), samples / "broken" / "diff_20261106.zip"]
    result = {}
    for f in files:
        key = f"broken/{f.name}" if f.parent.name == "broken" else f.name
        result[key] = out / f"{key.replace('/', '_')}.parquet"
        stage_corporate_file(f, result[key])
    return result


def test_rule_names_unique_and_selected(staged: dict[str, Path]) -> None:
    names = [r.name for r in CORPORATE_EVENT_RULES]
    assert len(names) == len(set(names))
    assert rules_for("corporate_events") == CORPORATE_EVENT_RULES and rules_for("other") == ()
    assert _by_name("corporate_number_check_digit").blocking
    assert _by_name("no_duplicate_rows").blocking
    assert not _by_name("close_date_iff_closed").blocking


def test_good_samples_pass_every_rule(staged: dict[str, Path]) -> None:
    for key, parquet in staged.items():
        if key.startswith("broken/"):
            continue
        for rule in CORPORATE_EVENT_RULES:
            assert _failing(parquet, rule) == [], (key, rule.name)


def test_broken_sample_fails_check_digit_rules(staged: dict[str, Path]) -> None:
    parquet = staged["broken/diff_20261106.zip"]
    bad = _failing(parquet, _by_name("corporate_number_check_digit"))
    assert [r["_source_row"] for r in bad] == [3]
    succ = _failing(parquet, _by_name("successor_corporate_number_check_digit"))
    assert [r["successor_corporate_number"] for r in succ] == ["1234567890123"]


@pytest.mark.parametrize(
    ("rule", "mutation", "expected_rows"),
    [
        ("assignment_date_not_before_2015_10_05", "UPDATE staged SET assignment_date='2015-10-04' "
         "WHERE _source_row=2", [2]),
        ("prefecture_city_code_consistent", "UPDATE staged SET city_code=NULL WHERE _source_row=3", [3]),
        ("prefecture_city_code_consistent", "UPDATE staged SET prefecture_code='48' WHERE _source_row=4", [4]),
        ("close_date_iff_closed", "UPDATE staged SET close_date='2020-01-01' WHERE _source_row=1", [1]),
        ("no_duplicate_rows", "INSERT INTO staged SELECT * REPLACE (999 AS _source_row) FROM staged "
         "WHERE _source_row=5", [5, 999]),
        ("sequence_number_unique", "UPDATE staged SET sequence_number='1' WHERE _source_row=6", [1, 6]),
        ("corporate_number_check_digit", "UPDATE staged SET corporate_number=NULL WHERE _source_row=7", [7]),
    ],
)
def test_each_rule_catches_its_violation(
    staged: dict[str, Path], rule: str, mutation: str, expected_rows: list[int],
) -> None:
    parquet = staged["00_zenkoku_all_20261030.zip"]
    rows = _failing(parquet, _by_name(rule), mutation)
    assert sorted(r["_source_row"] for r in rows) == expected_rows
    assert all("_dup_count" not in r and "_seq_count" not in r for r in rows)


_TEXT_FIELDS = ("name", "furigana", "en_name", "prefecture_name", "city_name", "street_number", "address_outside",
                "en_prefecture_name", "en_city_name", "en_address_outside", "change_cause")


@pytest.mark.parametrize("field", _TEXT_FIELDS)
@pytest.mark.parametrize("code", [0, 1, 8, 11, 12, 14, 31, 127])
def test_a_control_character_in_any_text_field_is_found_in_the_joined_text(
    staged: dict[str, Path], field: str, code: int,
) -> None:
    parquet = staged["00_zenkoku_all_20261030.zip"]
    mutation = f"UPDATE staged SET {field} = coalesce({field}, '') || 'ア' || chr({code}) WHERE _source_row = 4"
    rows = _failing(parquet, _by_name("text_without_control_characters"), mutation)
    assert [r["_source_row"] for r in rows] == [4]


@pytest.mark.parametrize("code", [9, 10, 13, 32, 128, 0x3000])
def test_tab_line_ends_and_other_characters_are_not_control_characters(staged: dict[str, Path], code: int) -> None:
    parquet = staged["00_zenkoku_all_20261030.zip"]
    # every field set (the join puts a tab between them), plus the character in two of them
    mutation = ("UPDATE staged SET " + ", ".join(f"{f} = 'x' || chr({code}) || 'y'" for f in _TEXT_FIELDS)
                + " WHERE _source_row = 4")
    assert _failing(parquet, _by_name("text_without_control_characters"), mutation) == []
