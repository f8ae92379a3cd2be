"""Checks on typed columns (release files) give the same answers as on their text rendering (staged files).

A release file stores dates as DATE, numbers as numbers; a staged file stores text. The strict date check, the
castable check and the range check take a cheaper branch on a column already stored with the contract's type
(``typeof`` folded by DuckDB when planning); these tests hold the two branches to the same answers.
"""

from __future__ import annotations

import duckdb
import great_expectations.expectations as gxe
import sqlalchemy as sa

from quality import ge_duckdb
from quality.suite import column_conditions
from schemas.contract import Column

#: days around every edge of the text rendering: first/last four-digit years, BC, five digits, infinities
DAYS = ["0001-01-01", "0999-05-06", "2024-02-29", "9999-12-31", "0001-01-01 (BC)", "0044-03-15 (BC)",
        "10000-01-01", "infinity", "-infinity"]

VALUES = ("CREATE VIEW t AS SELECT id, CAST(d AS DATE) AS typed, CAST(CAST(d AS DATE) AS VARCHAR) AS text, "
          "CAST(n AS BIGINT) AS typed_num, CAST(n AS VARCHAR) AS text_num FROM (VALUES "
          + ", ".join(f"({i}, '{d}', {i * 7 - 20})" for i, d in enumerate(DAYS, start=1))
          + ", (99, NULL, NULL)) v(id, d, n)")


def _unexpected_ids(*expectations: gxe.Expectation) -> list[list[int]]:
    context = ge_duckdb.ephemeral_context()
    datasource = context.data_sources.add_duckdb(name="t", init_sql=[VALUES])
    batch = datasource.add_table_asset("t", table_name="t").add_batch_definition_whole_table("all").get_batch()
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="s", expectations=list(expectations))
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["id"]})
    datasource.get_execution_engine().close()
    return [sorted(r["id"] for r in res.result["unexpected_index_list"]) for res in result.results]


def test_strict_iso_date_check_answers_the_same_on_a_date_column_and_on_its_text() -> None:
    typed, text = _unexpected_ids(
        gxe.ExpectColumnValuesToMatchStrftimeFormat(column="typed", strftime_format="%Y-%m-%d"),
        gxe.ExpectColumnValuesToMatchStrftimeFormat(column="text", strftime_format="%Y-%m-%d"))
    assert text == [5, 6, 7, 8, 9]  # BC, five-digit year, +-infinity
    assert typed == text


def test_castable_check_answers_the_same_on_a_typed_column_and_on_its_text() -> None:
    typed, text = _unexpected_ids(ge_duckdb.ExpectColumnValuesToBeCastableTo(column="typed_num", type_="BIGINT"),
                                  ge_duckdb.ExpectColumnValuesToBeCastableTo(column="text_num", type_="BIGINT"))
    assert typed == text == []


def test_typed_branch_is_planned_away_for_text_and_text_branch_for_typed_columns() -> None:
    con = duckdb.connect()
    con.execute(VALUES)
    engine = sa.create_engine("duckdb:///:memory:")
    for column, expected in (("typed", "try_strptime"), ("text", "try_strptime")):
        expr = ge_duckdb.when_typed(sa.column(column), "DATE", ge_duckdb.typed_iso_date(sa.column(column)),
                                    sa.func.try_strptime(sa.cast(sa.column(column), sa.String), "%Y-%m-%d")
                                    .is_not(None))
        sql = str(expr.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(r[1] for r in con.execute(f"EXPLAIN SELECT {sql} FROM t").fetchall())
        assert (expected in plan) is (column == "text")
        assert "typeof" not in plan


def _violations(con: duckdb.DuckDBPyConnection, sql: str, column: str) -> list[int]:
    return [r[0] for r in con.execute(f"SELECT id FROM (SELECT id, {column} AS c FROM t) WHERE {sql} ORDER BY id")
            .fetchall()]


def test_kind_conditions_and_ranges_answer_the_same_on_typed_and_text_columns() -> None:
    con = duckdb.connect()
    con.execute(VALUES)
    day = column_conditions(Column("c", "date", "日付", "a day", min_value="1000-01-01", max_value="9999-01-01"))
    number = column_conditions(Column("c", "int64", "数", "a number", min_value=0, max_value=40))
    for conditions in (day, number):
        for kind, sql in conditions.items():
            typed_col, text_col = ("typed", "text") if conditions is day else ("typed_num", "text_num")
            assert _violations(con, sql, typed_col) == _violations(con, sql, text_col), kind
    assert _violations(con, day["columns__castable"], "typed") == [5, 6, 7, 8, 9]
    assert _violations(con, day["columns__range"], "typed") == [1, 2, 4, 5, 6, 7, 8, 9]
    assert _violations(con, number["columns__range"], "typed_num") == [1, 2, 9]
