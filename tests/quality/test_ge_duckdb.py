"""quality.ge_duckdb: DuckDB execution engine, datasource and metric providers for Great Expectations."""

from __future__ import annotations

import os
import random

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from great_expectations.execution_engine import sqlalchemy_execution_engine as ge_sql

from quality import ge_duckdb

VALUES = """CREATE VIEW t AS SELECT * FROM (VALUES
    (1, '2024-01-05', DATE '2024-01-05', '12', 'ab1'),
    (2, '2024-02-30', DATE '2024-02-29', '1.5', 'AB1'),
    (3, '2024-1-5', NULL, 'x', 'ab12'),
    (4, '2024/01/05', DATE '2024-03-01', NULL, NULL)
) v(id, text_date, typed_date, num, code)"""


def run(*expectations: gxe.Expectation) -> dict:
    context = ge_duckdb.ephemeral_context()
    datasource = context.data_sources.add_duckdb(name="t", init_sql=[VALUES])
    batch = datasource.add_table_asset("t", table_name="t").add_batch_definition_whole_table("all").get_batch()
    suite = gx.ExpectationSuite(name="s")
    for e in expectations:
        suite.add_expectation(e)
    result = batch.validate(suite, result_format={"result_format": "SUMMARY", "unexpected_index_column_names": ["id"]})
    assert type(batch.data.execution_engine) is ge_duckdb.DuckDBExecutionEngine
    datasource.get_execution_engine().close()
    return {r.expectation_config.type: r.result for r in result.results}


def bad_ids(result: dict) -> list[int]:
    return sorted(r["id"] for r in result["partial_unexpected_index_list"])


def test_strict_strftime_on_text_and_typed_dates() -> None:
    text = run(gxe.ExpectColumnValuesToMatchStrftimeFormat(column="text_date", strftime_format="%Y-%m-%d"))
    assert bad_ids(text["expect_column_values_to_match_strftime_format"]) == [2, 3, 4]
    typed = run(gxe.ExpectColumnValuesToMatchStrftimeFormat(column="typed_date", strftime_format="%Y-%m-%d"))
    assert typed["expect_column_values_to_match_strftime_format"]["unexpected_count"] == 0


def test_regex_uses_search_semantics_and_anchors_work() -> None:
    results = run(
        gxe.ExpectColumnValuesToMatchRegex(column="code", regex="^[a-z]+[0-9]$"),
        gxe.ExpectColumnValuesToNotMatchRegex(column="code", regex="[0-9]{2}"),
    )
    assert bad_ids(results["expect_column_values_to_match_regex"]) == [2, 3]
    assert bad_ids(results["expect_column_values_to_not_match_regex"]) == [3]


def test_castable_to_duckdb_type() -> None:
    results = run(ge_duckdb.ExpectColumnValuesToBeCastableTo(column="num", type_="BIGINT"))
    result = results["expect_column_values_to_be_castable_to"]
    assert bad_ids(result) == [2, 3]  # '1.5' would round in DuckDB's cast, 'x' does not cast, NULL is skipped
    assert result["element_count"] == 4 and result["missing_count"] == 1


def test_no_module_globals_patched_and_analytics_off() -> None:
    assert "duckdb" not in {d.value for d in ge_sql._PERSISTED_CONNECTION_DIALECTS}
    assert os.environ["GX_ANALYTICS_ENABLED"] == "False"
    assert ge_duckdb.ephemeral_context().config.analytics_enabled is False


@pytest.mark.parametrize("regex", ["^(?:[1-9][0-9]{12})$", "^(?:[0-9]{7})$", "^[0-9]{2}$", "^(?:[A-Z][a-z0-9]{2}x)$"])
def test_fixed_width_regex_runs_as_a_glob_that_matches_the_same_strings(regex: str) -> None:
    glob = ge_duckdb.fixed_width_glob(regex)
    assert glob is not None and "{" not in glob
    rng = random.Random(regex)
    alphabet = "0123456789aZx-_ .+\n７٣é"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 15))) for _ in range(4000)]
    values += ["1234567", "7000012050002", "0000012050002", "01", "Ab1x", "1234567\n", "12", "AB1x", "Ab1xx"]
    con = duckdb.connect()
    rows = con.execute("SELECT v, regexp_matches(v, $1), v GLOB $2 FROM unnest($3::VARCHAR[]) t(v)",
                       [regex, glob, values]).fetchall()
    assert [r[0] for r in rows if r[1] != r[2]] == []
    assert any(r[1] for r in rows)  # the samples reach both outcomes


@pytest.mark.parametrize("regex", ["^[a-z]+[0-9]$", "[0-9]{2}", "^(?:[^0-9]{2})$", "^a|b$", "^(?:.{3})$", "^[\\d]{2}$"])
def test_other_regexes_stay_regexes(regex: str) -> None:
    assert ge_duckdb.fixed_width_glob(regex) is None
