"""quality.ge_duckdb: DuckDB execution engine, datasource and metric providers for Great Expectations."""

from __future__ import annotations

import os

import great_expectations as gx
import great_expectations.expectations as gxe
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
