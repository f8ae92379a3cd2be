from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import duckdb
import pytest

from quality.rules import Rule
from registries.corporate.parse import stage_corporate_file
from registries.corporate.rules import CORPORATE_EVENT_RULES, rules_for
from schemas.corporate import FREE_TEXT_FIELDS, OFFICIAL_COLUMN_NAMES


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


def _sample_records(samples: Path) -> list[list[str]]:
    with zipfile.ZipFile(samples / "00_zenkoku_all_20261030.zip") as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def _staged_with(samples: Path, tmp_path: Path, row: int, fields: dict[str, str]) -> Path:
    """The sample 全件 with some fields of record ``row`` replaced, written as a CSV and *staged*: the text rules
    read the staging's prefilter, so a changed field must go through staging as a received file would."""
    records = _sample_records(samples)
    for name, value in fields.items():
        records[row - 1][OFFICIAL_COLUMN_NAMES.index(name)] = value
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "00_zenkoku_all_20261030.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(records)
    out = tmp_path / "staged.parquet"
    stage_corporate_file(path, out, encoding="utf-8")
    return out


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
@pytest.mark.parametrize("code", [0, 1, 8, 11, 12, 14, 31, 127])
def test_a_control_character_in_any_text_field_is_found(
    samples: Path, tmp_path: Path, field: str, code: int,
) -> None:
    parquet = _staged_with(samples, tmp_path, 4, {field: f"ア{chr(code)}"})
    rows = _failing(parquet, _by_name("text_without_control_characters"))
    assert [r["_source_row"] for r in rows] == [4]
    assert [r["_text_suspect"] for r in rows] == [True]


@pytest.mark.parametrize("code", [9, 10, 13, 32, 128, 0x3000])
def test_tab_line_ends_and_other_characters_are_not_control_characters(
    samples: Path, tmp_path: Path, code: int,
) -> None:
    # every field set (the join puts a tab between them), plus the character in each of them
    parquet = _staged_with(samples, tmp_path, 4, {f: f"x{chr(code)}y" for f in FREE_TEXT_FIELDS})
    assert _failing(parquet, _by_name("text_without_control_characters")) == []


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
def test_a_text_over_1000_characters_fails_and_1000_passes(samples: Path, tmp_path: Path, field: str) -> None:
    rule = _by_name("text_length")
    # 1,000 characters of 3 bytes each: the prefilter marks the row (more than 1,000 bytes), the rule passes it
    passing = _staged_with(samples, tmp_path, 5, {field: "ア" * 1000})
    assert _failing(passing, rule) == []
    assert _failing(passing, Rule("marked", "rows the prefilter marked", "SELECT * FROM staged WHERE _text_suspect")
                    )[0]["_source_row"] == 5
    failing = _staged_with(samples, tmp_path / "long", 5, {field: "a" * 1001})
    assert [r["_source_row"] for r in _failing(failing, rule)] == [5]


def test_the_text_rules_read_only_the_rows_staging_marked(samples: Path, tmp_path: Path) -> None:
    """The prefilter is the contract: a text changed *after* staging (never the case for a received file) is not
    re-read -- which is why the prefilter must be a superset (tested above through staging itself)."""
    parquet = _staged_with(samples, tmp_path, 4, {"name": "ア\x01"})
    mutation = "UPDATE staged SET name = 'イ' || chr(2) WHERE _source_row = 6"
    rows = _failing(parquet, _by_name("text_without_control_characters"), mutation)
    assert [r["_source_row"] for r in rows] == [4]
