"""quality.runner: GE suites on DuckDB (pushdown) over a small staged Parquet."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quality import ge_duckdb
from quality.rules import Rule
from quality.runner import ValidationReport, check_specs, validate
from quality.suite import build_suite
from schemas.contract import CodeTable, Column, Contract

PROCESS = CodeTable("process", "処理区分", "process type", {"01": "新規", "12": "商号又は名称の変更"})

CONTRACT = Contract(
    name="test_corp",
    version="1",
    title_ja="テスト法人",
    title_en="test corporations",
    description="test",
    columns=(
        Column("corporate_number", "string", "法人番号", "corporate number", nullable=False, pattern=r"[0-9]{13}"),
        Column("seq", "int32", "連番", "sequence", nullable=False, min_value=1, max_value=999),
        Column("process", "string", "処理区分", "process", codes=PROCESS),
        Column("change_date", "date", "変更年月日", "change date", min_value="2015-10-05"),
        Column("name", "string", "商号又は名称", "name", nullable=False),
    ),
    primary_key=("corporate_number", "seq"),
)

BLANK_NAME = Rule(
    name="name_not_blank",
    description="商号又は名称が空白のみでない",
    failing_rows="SELECT * FROM staged WHERE trim(name) = ''",
    column="name",
    blocking=False,
)

CLEAN = [
    {"corporate_number": "1234567890123", "seq": "1", "process": "01", "change_date": "2024-01-05", "name": "甲"},
    {"corporate_number": "1234567890123", "seq": "2", "process": "12", "change_date": "2024-02-29", "name": "乙"},
    {"corporate_number": "2234567890123", "seq": "1", "process": "01", "change_date": None, "name": "丙"},
]


def stage(tmp_path: Path, rows: list[dict], name: str = "staged.parquet") -> Path:
    """Write rows as a staged table: contract columns as text, then _source_row (1-based)."""
    columns = {c: [r.get(c) for r in rows] for c in CONTRACT.column_names}
    table = pa.table({**{c: pa.array(v, pa.string()) for c, v in columns.items()},
                      "_source_row": pa.array(range(1, len(rows) + 1), pa.int64())})
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def with_row(index: int, **changes: str | None) -> list[dict]:
    rows = [dict(r) for r in CLEAN]
    rows[index].update(changes)
    return rows


def run(tmp_path: Path, rows: list[dict]) -> ValidationReport:
    return validate(CONTRACT, stage(tmp_path, rows), [BLANK_NAME], source_file="src.csv", sample_size=5)


def test_clean_data_passes_every_check(tmp_path: Path) -> None:
    report = run(tmp_path, CLEAN)
    assert report.success
    assert report.row_count == 3
    assert [r.name for r in report.results if not r.success] == []
    assert report.results[0].name == "columns__ordered"
    assert all(r.unexpected_count == 0 and r.error is None for r in report.results)


def test_check_names_and_blocking_flags() -> None:
    specs = check_specs(CONTRACT, [BLANK_NAME])
    names = [n for n, _, _ in specs]
    assert names == [
        "columns__ordered",
        "corporate_number__not_null", "corporate_number__pattern",
        "seq__not_null", "seq__castable", "seq__range",
        "process__in_codes",
        "change_date__castable", "change_date__range",
        "name__not_null",
        "pk__unique",
        "name_not_blank",
    ]
    blocking = {n: b for n, _, b in specs}
    assert blocking["seq__range"] is False and blocking["name_not_blank"] is False
    assert all(blocking[n] for n in names if n not in {"seq__range", "change_date__range", "name_not_blank"})


def test_duplicate_check_name_is_rejected() -> None:
    clash = Rule("pk__unique", "clash", "SELECT * FROM staged WHERE false")
    with pytest.raises(ValueError, match="duplicate"):
        build_suite(CONTRACT, [clash])


@pytest.mark.parametrize(
    ("check", "row", "changes", "value"),
    [
        ("corporate_number__pattern", 1, {"corporate_number": "123456789012X"}, "123456789012X"),
        ("corporate_number__pattern", 2, {"corporate_number": "12345678901234"}, "12345678901234"),
        ("process__in_codes", 1, {"process": "99"}, "99"),
        ("process__in_codes", 2, {"process": "1"}, "1"),
        ("name__not_null", 3, {"name": None}, None),
        ("seq__castable", 3, {"seq": "x1"}, "x1"),
        ("change_date__castable", 2, {"change_date": "2024-02-30"}, "2024-02-30"),
        ("change_date__castable", 1, {"change_date": "2024/01/05"}, "2024/01/05"),
        ("change_date__castable", 1, {"change_date": "2024-1-5"}, "2024-1-5"),
        ("seq__range", 3, {"seq": "1000"}, "1000"),
        ("change_date__range", 1, {"change_date": "2015-10-04"}, "2015-10-04"),
        ("name_not_blank", 2, {"name": "  "}, "  "),
    ],
)
def test_violation_is_detected_with_row_and_value(
    tmp_path: Path, check: str, row: int, changes: dict, value: str | None
) -> None:
    report = run(tmp_path, with_row(row - 1, **changes))
    failed = [r.name for r in report.results if not r.success]
    assert failed == [check]
    result = report.result(check)
    assert result.unexpected_count == 1
    assert result.element_count == 3
    assert result.samples == [{"file": "src.csv", "row": row, "column": result.column, "rule": check, "value": value}]
    assert report.success is not result.blocking
    assert (report.blocking_failures() == [result]) is result.blocking
    assert (report.warnings() == [result]) is not result.blocking


def test_compound_key_duplicates_are_blocking(tmp_path: Path) -> None:
    rows = [*CLEAN, dict(CLEAN[1], name="丁")]  # same (corporate_number, seq) as row 2
    report = run(tmp_path, rows)
    result = report.result("pk__unique")
    assert not report.success and not result.success and result.blocking
    assert result.unexpected_count == 2
    assert [s["row"] for s in result.samples] == [2, 4]
    assert result.samples[0]["value"] == {"corporate_number": "1234567890123", "seq": "2"}
    assert [r.name for r in report.results if not r.success] == ["pk__unique"]


def test_column_order_is_checked(tmp_path: Path) -> None:
    path = stage(tmp_path, CLEAN)
    table = pq.read_table(path)
    pq.write_table(table.select(["seq", "corporate_number", "process", "change_date", "name", "_source_row"]), path)
    report = validate(CONTRACT, path, source_file="src.csv")
    result = report.result("columns__ordered")
    assert not result.success and result.blocking and not report.success
    assert result.samples[0]["value"][:2] == ["seq", "corporate_number"]


def test_missing_column_fails_checks_without_crashing(tmp_path: Path) -> None:
    path = stage(tmp_path, CLEAN)
    pq.write_table(pq.read_table(path).drop(["process"]), path)
    report = validate(CONTRACT, path, source_file="src.csv")
    assert not report.success
    assert report.result("process__in_codes").error
    assert not report.result("columns__ordered").success
    assert report.result("name__not_null").success


def test_counts_samples_and_several_files(tmp_path: Path) -> None:
    bad = [dict(CLEAN[0], seq=str(i + 1), process="99") for i in range(30)]
    first, second = stage(tmp_path, bad, "a.parquet"), stage(tmp_path, CLEAN[2:], "b.parquet")
    report = validate(CONTRACT, [first, second], source_file="src.csv", sample_size=4)
    result = report.result("process__in_codes")
    assert report.row_count == 31
    assert result.unexpected_count == 30 and result.element_count == 31
    assert len(result.samples) == 4


def test_report_is_json_serialisable(tmp_path: Path) -> None:
    report = run(tmp_path, with_row(0, process="99", seq="0"))
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["dataset"] == "test_corp" and data["source_file"] == "src.csv"
    assert data["success"] is False
    assert data["blocking_failures"] == ["process__in_codes"]
    assert data["warnings"] == ["seq__range"]
    sample = next(r for r in data["results"] if r["name"] == "process__in_codes")["samples"][0]
    assert sample == {"file": "src.csv", "row": 1, "column": "process", "rule": "process__in_codes", "value": "99"}


def test_checks_run_in_duckdb_not_pandas(tmp_path: Path) -> None:
    report = run(tmp_path, CLEAN)
    assert report.engine == "DuckDBExecutionEngine"
    assert issubclass(ge_duckdb.DuckDBExecutionEngine, ge_duckdb.SqlAlchemyExecutionEngine)


def test_an_empty_staged_file_validates_without_error(tmp_path):
    import duckdb

    from quality.runner import validate
    from schemas.corporate import corporations

    path = tmp_path / "empty.parquet"
    cols = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c.name}"' for c in corporations.columns)
    duckdb.sql(f"COPY (SELECT {cols}, 1::BIGINT AS _source_row WHERE false) TO '{path}'")
    report = validate(corporations, path, source_file="empty.parquet")
    assert report.row_count == 0 and report.success


def _queries_during(fn) -> list[str]:
    import sqlalchemy as sa

    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return seen


def test_row_rules_share_one_scan_probes_another_and_a_zero_probe_skips_the_exact_count(tmp_path: Path) -> None:
    path = stage(tmp_path, CLEAN)
    row_rule = Rule("seq_small", "連番は 2 以下", column="seq", violation="TRY_CAST(seq AS INTEGER) > 2")
    # a probe that says "holds" is trusted: the exact query (which would find rows) never runs
    trusted = Rule("probe_trusted", "probe", "SELECT * FROM staged WHERE name = '甲'", probe="0")
    # a probe that cannot decide (> 0) hands over to the exact count, which finds nothing here
    exact = Rule("probe_exact", "probe", "SELECT * FROM staged WHERE name = '丁'", probe="count(*)")
    report: list[ValidationReport] = []
    queries = _queries_during(lambda: report.append(
        validate(CONTRACT, path, [row_rule, trusted, exact], source_file="src.csv")))
    assert report[0].success
    assert report[0].result("probe_trusted").success and report[0].result("probe_exact").success
    counting = [q for q in queries if "count(*) FROM (" in q]
    assert len(counting) == 1 and "'丁'" in counting[0]  # only the undecided rule ran its own query
    assert len([q for q in queries if "satisfy_rule" in q]) == 1  # the row rule: in the one column-check scan
    probes = [q for q in queries if "kiban_probe" in q]
    assert len(probes) == 1 and "kiban_probe_1" in probes[0]  # both probes: one scan together


def test_a_row_rule_reports_its_failing_rows(tmp_path: Path) -> None:
    rule = Rule("seq_small", "連番は 1 以下", column="seq", violation="TRY_CAST(seq AS INTEGER) > 1", blocking=True)
    report = validate(CONTRACT, stage(tmp_path, CLEAN), [rule], source_file="src.csv")
    result = report.result("seq_small")
    assert not report.success and not result.success and result.unexpected_count == 1
    assert result.samples == [{"file": "src.csv", "row": 2, "column": "seq", "rule": "seq_small", "value": "2"}]


#: one key column, nullable: a NULL key is the business of a not-null check, never a duplicate
SINGLE_KEY = Contract(
    name="test_single_key", version="1", title_ja="単一キー", title_en="single key", description="test",
    columns=(Column("code", "string", "コード", "code"), Column("name", "string", "名称", "name")),
    primary_key=("code",),
)
#: two key columns, both nullable
COMPOUND_KEY = dataclasses.replace(
    SINGLE_KEY, name="test_compound_key",
    columns=(Column("code", "string", "コード", "code"), Column("seq", "string", "連番", "sequence"),
             Column("name", "string", "名称", "name")),
    primary_key=("code", "seq"))


def _stage_plain(tmp_path: Path, contract: Contract, rows: list[tuple], name: str = "k.parquet") -> Path:
    names = contract.column_names
    table = pa.table({**{c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(names)},
                      "_source_row": pa.array(range(1, len(rows) + 1), pa.int64())})
    pq.write_table(table, tmp_path / name)
    return tmp_path / name


def _great_expectations_own_verdict(contract: Contract, path: Path) -> tuple[bool, int]:
    """GE's own uniqueness expectation on the same file (what ``pk__unique`` was before its probe)."""
    import great_expectations.expectations as gxe

    from quality.runner import run_suite
    from quality.suite import CheckSpec, SuiteSpec

    pk = list(contract.primary_key)
    expectation = (gxe.ExpectColumnValuesToBeUnique(column=pk[0]) if len(pk) == 1
                   else gxe.ExpectCompoundColumnsToBeUnique(column_list=pk))
    expectation.meta = {"check": "ge_unique"}
    suite = SuiteSpec(contract.name, (CheckSpec("ge_unique", "GE", True, None, expectation),))
    result = run_suite(suite, path, source_file="src.csv").result("ge_unique")
    return result.success, result.unexpected_count


KEY_CASES = {
    "single key, unique, two NULL keys": (SINGLE_KEY, [("a", "甲"), (None, "乙"), (None, "丙"), ("b", "丁")], []),
    "single key, one duplicate among NULL keys":
        (SINGLE_KEY, [("a", "甲"), (None, "乙"), (None, "丙"), ("a", "丁"), ("b", "戊")], [1, 4]),
    "compound key, a duplicate": (COMPOUND_KEY, [("a", "1", "甲"), ("a", "2", "乙"), ("a", "1", "丙")], [1, 3]),
    "compound key, the same key with a NULL part twice":
        (COMPOUND_KEY, [("a", None, "甲"), ("a", None, "乙"), (None, None, "丙"), (None, None, "丁")], []),
    "compound key, a duplicate and a NULL part twice":
        (COMPOUND_KEY, [("a", "1", "甲"), ("a", None, "乙"), ("a", None, "丙"), ("a", "1", "丁"), ("b", "1", "戊")],
         [1, 4]),
}


@pytest.mark.parametrize("case", list(KEY_CASES))
def test_the_primary_key_check_fails_exactly_the_duplicated_rows_as_great_expectations_does(
        tmp_path: Path, case: str) -> None:
    contract, rows, duplicated = KEY_CASES[case]
    path = _stage_plain(tmp_path, contract, rows)
    report = validate(contract, path, source_file="src.csv")
    result = report.result("pk__unique")
    assert result.blocking and result.success is (not duplicated) and report.success is (not duplicated)
    assert result.unexpected_count == len(duplicated) and result.element_count == len(rows)
    assert [s["row"] for s in result.samples] == duplicated  # quarantine rows: every duplicated row, no NULL key
    key = list(contract.primary_key)
    for sample in result.samples:
        row = rows[sample["row"] - 1]
        expected = row[0] if len(key) == 1 else {k: row[i] for i, k in enumerate(key)}
        assert sample == {"file": "src.csv", "row": sample["row"], "column": ",".join(key), "rule": "pk__unique",
                          "value": expected}
    assert _great_expectations_own_verdict(contract, path) == (result.success, result.unexpected_count)


def test_the_primary_key_probe_shares_the_column_scan_and_the_exact_query_runs_only_on_a_duplicate(
        tmp_path: Path) -> None:
    clean = _stage_plain(tmp_path, COMPOUND_KEY, [("a", "1", "甲"), ("a", "2", "乙")], "clean.parquet")
    queries = _queries_during(lambda: validate(COMPOUND_KEY, clean, source_file="src.csv"))
    assert not [q for q in queries if "PARTITION BY" in q]  # the exact window never ran
    probes = [q for q in queries if "kiban_probe" in q]
    assert len(probes) == 1 and 'count(DISTINCT hash("code", "seq"))' in probes[0]
    duplicated = _stage_plain(tmp_path, COMPOUND_KEY, [("a", "1", "甲"), ("a", "1", "乙")], "dup.parquet")
    queries = _queries_during(lambda: validate(COMPOUND_KEY, duplicated, source_file="src.csv"))
    assert [q for q in queries if "count(*) FROM (" in q and "PARTITION BY" in q]  # the probe handed over


def test_a_failed_primary_key_check_shows_great_expectations_own_result_in_data_docs(tmp_path: Path) -> None:
    import re

    from quality import datadocs

    rows = [("dup-key", "甲"), ("only-once", "乙"), ("dup-key", "丙")]
    report = validate(SINGLE_KEY, _stage_plain(tmp_path, SINGLE_KEY, rows), source_file="src.csv")
    merged = {r.expectation_config.meta["check"]: r for r in report.gx_result.results}["pk__unique"]
    assert merged.expectation_config.type == "expect_column_values_to_be_unique" and not merged.success
    assert merged.result["unexpected_count"] == 2
    clean = validate(SINGLE_KEY, _stage_plain(tmp_path, SINGLE_KEY, rows[:2], "clean.parquet"), source_file="c.csv")
    assert clean.success  # passed on the probe alone: the GE result is the probe's
    loc = datadocs.DocsLocation(tmp_path / "gx", tmp_path / "site")
    pages = datadocs.build(loc, "run", [report])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (loc.site / pages["test_single_key"]).read_text("utf-8")))
    listed = text[text.index("主キー code が一意"):]
    assert "unexpected values found" in listed and "dup-key 2" in listed and "only-once" not in listed


def test_a_missing_key_column_fails_the_key_check_with_an_error_and_leaves_the_other_checks_standing(
        tmp_path: Path) -> None:
    path = stage(tmp_path, CLEAN)
    pq.write_table(pq.read_table(path).drop(["seq"]), path)  # the probe in the bundled scan names a missing column
    report = validate(CONTRACT, path, source_file="src.csv")
    assert not report.success
    assert "seq" in report.result("pk__unique").error
    assert report.result("name__not_null").success and report.result("process__in_codes").success


def test_the_control_code_points_are_the_sql_class() -> None:
    import re

    from quality.rules import CONTROL_CHARACTERS, CONTROL_CODE_POINTS

    pattern = re.compile(CONTROL_CHARACTERS)  # the same escapes in Python's and RE2's syntax
    assert [cp for cp in range(0x110000) if pattern.match(chr(cp))] == list(CONTROL_CODE_POINTS)


WITH_TAB = Rule("name_without_tab", "商号にタブを含まない", violation="contains(name, chr(9))", column="name",
                prefilter="_name_marked")


def stage_marked(tmp_path: Path, rows: list[dict], marked: list[bool | None]) -> Path:
    path = stage(tmp_path, rows)
    table = pq.read_table(path)
    pq.write_table(table.append_column("_name_marked", pa.array(marked, pa.bool_())), path)
    return path


def test_a_prefiltered_rule_decides_on_the_marked_rows_only(tmp_path: Path) -> None:
    rows = with_row(0, name="甲\t")
    rows[2]["name"] = "丙\t"
    report = validate(CONTRACT, stage_marked(tmp_path, rows, [True, True, None]), [WITH_TAB], source_file="s.csv")
    result = report.result("name_without_tab")
    # row 1 is marked and breaks the rule; row 2 is marked and keeps it; row 3 is not marked, so not read
    assert (result.success, result.unexpected_count) == (False, 1)
    assert [s["row"] for s in result.samples] == [1]
    assert report.result("columns__ordered").success


def test_a_prefilter_column_is_expected_after_source_row(tmp_path: Path) -> None:
    report = validate(CONTRACT, stage(tmp_path, CLEAN), [WITH_TAB], source_file="s.csv")
    assert not report.success
    assert not report.result("columns__ordered").success
    assert report.result("name_without_tab").error is not None  # the missing column: reported, no crash
    spec = build_suite(CONTRACT, [WITH_TAB]).check("columns__ordered")
    assert spec.expectation.column_list[-2:] == ["_source_row", "_name_marked"]


@pytest.mark.parametrize("kwargs", [{"failing_rows": "SELECT * FROM staged", "prefilter": "_x"},
                                    {"violation": "true", "prefilter": "_x OR true"}])
def test_a_prefilter_is_a_column_of_a_row_rule(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="prefilter"):
        Rule("r", "r", **kwargs)
