"""Great Expectations on DuckDB (duckdb_engine + SQLAlchemy) with SQL pushdown.

Tested with great-expectations==1.24.1, duckdb 1.5.5, duckdb-engine 0.17.0 (SQLAlchemy 2.1). Re-check this
module whenever one of these pins moves: it relies on the hooks named below.

Why this module exists (docs/stack.md §2): GE has no DuckDB datasource. Its generic SQL datasource over
``duckdb_engine`` fails on every metric (``MetricResolutionError: list index out of range``) because
``SqlAlchemyExecutionEngine.get_connection`` opens and closes a connection per query unless the dialect is in the
module global ``_PERSISTED_CONNECTION_DIALECTS``; for an in-memory database that loses the data. Regex and
strftime metrics have no DuckDB implementation either.

The extension points used, instead of patching module globals:

* :class:`DuckDBExecutionEngine` -- a ``SqlAlchemyExecutionEngine`` subclass that always keeps one persisted
  connection (``StaticPool``) and runs ``init_sql`` (e.g. ``CREATE VIEW staged AS ... read_parquet(...)``) on
  every new DBAPI connection. GE looks metric providers up along the engine's MRO, so every SQLAlchemy metric
  still applies, and DuckDB-specific providers registered for this class take precedence.
* :class:`DuckDBDatasource` -- a fluent ``SQLDatasource`` of type ``"duckdb"`` (GE's ``MetaDatasource``
  registers it, giving ``context.data_sources.add_duckdb(...)``) whose ``execution_engine_type`` is the engine
  above and whose ``get_engine`` returns that same engine, so table-asset checks see the same database.
* Metric providers for ``column_values.match_regex`` / ``not_match_regex`` (DuckDB ``regexp_matches``, RE2
  syntax, search semantics like GE's pandas ``str.contains``; an anchored fixed-width pattern such as
  ``^[0-9]{7}$`` is run as the equivalent ``GLOB``, see :func:`fixed_width_glob`) and ``column_values.match_strftime_format``
  (``try_strptime``). The strftime provider is deliberately *strict*: a value matches only if it is the canonical
  rendering of the parsed value (``strftime(strptime(v, f), f) = v``), so ``2024-1-5`` does not match
  ``%Y-%m-%d`` although Python's ``strptime`` accepts it; impossible dates (2024-02-30) never parse, and the year
  0000 (which DuckDB reads as 1 BC) does not match either.
* ``column_values.satisfy_rule`` backs :class:`ExpectRowsToSatisfyRule`: a hand-written row rule (a SQL
  condition over one row) becomes a column-map metric, so GE bundles it into the same single aggregate scan as
  every other column-map check instead of running a query of its own.
* ``kiban.unexpected_rows_count`` backs :class:`ExpectQueryToReturnNoRows`: a set-level rule (uniqueness,
  duplicates) counted in one query. GE's ``UnexpectedRowsExpectation`` fetches the failing rows *and* counts
  them (two full scans); the runner reads sample rows itself, only for checks that failed. An optional *probe*
  -- an aggregate that is 0 only when the rule holds, e.g. ``count(*) - count(DISTINCT key)`` -- is the column
  aggregate metric ``column.kiban_probe``, which GE bundles: all probes of a suite cost one scan together; the
  exact count runs only when the probe is not 0.
* ``column_values.castable_to`` backs :class:`ExpectColumnValuesToBeCastableTo`: ``TRY_CAST`` to a DuckDB type
  succeeds -- the cast the store will run -- and, for integer types, the text is an integer (DuckDB's cast
  would silently round ``1.5``).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import great_expectations as gx
import sqlalchemy as sa
from great_expectations.compatibility import pydantic
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation, ColumnMapExpectation
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_partial,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

DIALECT = "duckdb"
_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                            "UINTEGER", "UBIGINT", "UHUGEINT"})
MEMORY_URL = "duckdb:///:memory:"


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """SQLAlchemy execution engine for DuckDB: one persisted connection, optional per-connection setup SQL."""

    def __init__(self, *args: Any, init_sql: Sequence[str] = (), **kwargs: Any) -> None:
        if kwargs.get("engine") is None:
            kwargs.setdefault("poolclass", sa.pool.StaticPool)
        self._init_sql = tuple(init_sql)
        super().__init__(*args, **kwargs)
        if self.dialect_name != DIALECT:
            raise ValueError(f"DuckDBExecutionEngine needs a duckdb:// engine, got {self.dialect_name!r}")
        if self._init_sql:
            sa.event.listen(self.engine, "connect", self._run_init_sql)

    def _run_init_sql(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in self._init_sql:
                cursor.execute(statement)
        finally:
            cursor.close()

    @contextmanager
    def get_connection(self) -> Generator[sa.Connection, None, None]:
        """Always the same open connection (GE does this only for dialects it knows)."""
        if self._connection is None:
            self._connection = self.engine.connect()
        yield self._connection


class DuckDBDatasource(SQLDatasource):
    """Fluent datasource ``type: duckdb``; ``init_sql`` runs on each new connection (views over Parquet)."""

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]
    connection_string: str = MEMORY_URL
    init_sql: list[str] = pydantic.Field(default_factory=list)

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine

    def get_engine(self) -> sa.Engine:
        return self.get_execution_engine().engine


#: The first day a strftime match may fall on: Python's ``date.min`` (DuckDB would take the year 0000 as 1 BC).
FIRST_DAY = "0001-01-01"


def _null_is_false(condition: Any) -> Any:
    return sa.func.coalesce(condition, sa.false())


#: An anchored regex of fixed width: character classes of ASCII letters/digits/ranges and plain letters/digits,
#: each optionally repeated ``{n}`` times, e.g. ``^(?:[1-9][0-9]{12})$`` (a 法人番号) or ``^[0-9]{7}$``.
_FIXED_ATOM = re.compile(r"(\[[A-Za-z0-9-]+\]|[A-Za-z0-9])(?:\{([0-9]{1,3})\})?")
_ANCHORED = re.compile(r"\^(?:\(\?:(.*)\)|(.*))\$")
_CLASS = re.compile(r"\[(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9])+\]")


def fixed_width_glob(regex: str) -> str | None:
    """The GLOB pattern matching exactly the strings ``regex`` (search semantics) matches, when ``regex`` is an
    anchored sequence of single characters or classes with fixed repetition; None otherwise.

    ``GLOB '[1-9][0-9][0-9]'`` needs exactly one character per class and no regex engine: about 3x cheaper than
    ``regexp_matches`` per row in DuckDB, which matters for the fixed-width codes of a 5.8 M-row file.
    """
    m = _ANCHORED.fullmatch(regex)
    body = m.group(1) if m and m.group(1) is not None else (m.group(2) if m else None)
    if not body:
        return None
    parts, pos = [], 0
    while pos < len(body):
        atom = _FIXED_ATOM.match(body, pos)
        if atom is None:
            return None
        unit = atom.group(1)
        if unit.startswith("[") and not _CLASS.fullmatch(unit):
            return None
        parts.append(unit * int(atom.group(2) or 1))
        pos = atom.end()
    return "".join(parts)


#: ISO dates (``%Y-%m-%d``): the only strftime format with a typed fast path.
ISO_DATE = "%Y-%m-%d"
#: The last day DuckDB renders as ``YYYY-MM-DD`` (10000-01-01 has five year digits).
LAST_DAY = "9999-12-31"


def when_typed(column: Any, type_name: str, typed: Any, other: Any) -> Any:
    """``typed`` where ``column`` is stored as the DuckDB type ``type_name``, else ``other``.

    ``typeof(column)`` depends on the column's type only, so DuckDB folds the CASE at planning time and runs one
    branch: a typed release file skips the text parsing that a staged text file needs, with the same answer.
    """
    return sa.case((sa.func.typeof(column) == sa.literal_column(f"'{type_name}'"), typed), else_=other)


def typed_iso_date(column: Any) -> Any:
    """On a DATE column, the strict ``%Y-%m-%d`` match: DuckDB writes exactly the days 0001-01-01..9999-12-31
    as ``YYYY-MM-DD`` (BC days, five-digit years and +-infinity are written otherwise)."""
    day = getattr(sa.func, "try")(sa.cast(column, sa.Date))  # try(): the branch is planned for any column type
    return _null_is_false(sa.between(day, sa.literal_column(f"DATE '{FIRST_DAY}'"),
                                     sa.literal_column(f"DATE '{LAST_DAY}'")))


class DuckDBColumnValuesMatchRegex(ColumnMapMetricProvider):
    condition_metric_name = "column_values.match_regex"
    condition_value_keys = ("regex",)

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, regex: str, **kwargs: Any) -> Any:
        text = sa.cast(column, sa.String)
        glob = fixed_width_glob(regex)
        if glob is not None:
            return _null_is_false(text.op("GLOB", is_comparison=True)(glob))
        return _null_is_false(sa.func.regexp_matches(text, regex))


class DuckDBColumnValuesNotMatchRegex(ColumnMapMetricProvider):
    condition_metric_name = "column_values.not_match_regex"
    condition_value_keys = ("regex",)

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, regex: str, **kwargs: Any) -> Any:
        return _null_is_false(sa.not_(sa.func.regexp_matches(sa.cast(column, sa.String), regex)))


class DuckDBColumnValuesMatchStrftimeFormat(ColumnMapMetricProvider):
    condition_metric_name = "column_values.match_strftime_format"
    condition_value_keys = ("strftime_format",)

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, strftime_format: str, **kwargs: Any) -> Any:
        text = sa.cast(column, sa.String)
        parsed = sa.func.try_strptime(text, strftime_format)
        # DuckDB parses the year 0000 (1 BC); no calendar date of the data has it (nor Python's ``date``)
        on_text = _null_is_false(sa.and_(sa.func.strftime(parsed, strftime_format) == text,
                                         parsed >= sa.literal_column(f"TIMESTAMP '{FIRST_DAY}'")))
        if strftime_format != ISO_DATE:
            return on_text
        return when_typed(column, "DATE", typed_iso_date(column), on_text)


class DuckDBColumnValuesCastableTo(ColumnMapMetricProvider):
    condition_metric_name = "column_values.castable_to"
    condition_value_keys = ("type_",)

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, type_: str, **kwargs: Any) -> Any:
        try_ = getattr(sa.func, "try")  # DuckDB try(expr): NULL where expr errors, i.e. TRY_CAST
        castable = try_(sa.cast(column, _DuckDBType(type_))).is_not(None)
        if type_.upper() in _INTEGER_TYPES:  # DuckDB rounds '1.5' into an integer: require integer text
            text = sa.func.trim(sa.cast(column, sa.String))
            castable = sa.and_(castable, sa.func.regexp_full_match(text, "[+-]?[0-9]+"))
        # a column stored with the type already (a release file) holds only values of that type
        return when_typed(column, type_.upper(), sa.true(), _null_is_false(castable))


class DuckDBColumnValuesSatisfyRule(ColumnMapMetricProvider):
    condition_metric_name = "column_values.satisfy_rule"
    condition_value_keys = ("violation",)
    filter_column_isnull = False  # the rule decides about NULLs (e.g. "both codes or neither")

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, violation: str, **kwargs: Any) -> Any:
        return sa.not_(_null_is_false(sa.literal_column(f"({violation})", sa.Boolean)))


class ExpectRowsToSatisfyRule(ColumnMapExpectation):
    """Expect no row for which the SQL condition ``violation`` is TRUE (NULL counts as satisfied).

    ``column`` names the column the rule is about (reports and samples carry its value); the condition may use
    any column of the row. Unlike other column-map expectations, an all-NULL column is no vacuous success.
    """

    violation: str
    map_metric: ClassVar[str] = "column_values.satisfy_rule"
    success_keys: ClassVar[tuple[str, ...]] = ("violation", "mostly")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> Any:
        result = super()._validate(metrics, runtime_configuration, execution_engine)
        if metrics.get(f"{self.map_metric}.unexpected_count"):
            result["success"] = False
        return result


class DuckDBProbe(ColumnAggregateMetricProvider):
    """An aggregate SQL expression over the batch's rows (``probe_expression``), bundled with other aggregates."""

    metric_name = "column.kiban_probe"
    value_keys = ("probe_expression",)

    @column_aggregate_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column: Any, probe_expression: str, **kwargs: Any) -> Any:
        return sa.literal_column(f"({probe_expression})")

    @classmethod
    def _get_evaluation_dependencies(cls, metric: MetricConfiguration, configuration: Any = None,
                                     execution_engine: Any = None, runtime_configuration: dict | None = None
                                     ) -> dict[str, MetricConfiguration]:
        """Schedule the probe with the column-map counts: GE resolves the metrics whose dependencies are met
        together and bundles their aggregates into one query per domain. A probe depends only on the table
        metrics, so on its own it is ready one round earlier than the counts (which wait for their conditions)
        and costs a scan of its own; depending on a (cheap, unevaluated) condition puts it in the counts' scan."""
        dependencies = super()._get_evaluation_dependencies(metric, configuration, execution_engine,
                                                            runtime_configuration)
        if metric.metric_name.endswith(".aggregate_fn"):
            dependencies["_same_round_as_map_counts"] = MetricConfiguration(
                "column_values.nonnull.condition", metric_domain_kwargs=metric.metric_domain_kwargs)
        return dependencies


class DuckDBUnexpectedRowsCount(QueryMetricProvider):
    metric_name = "kiban.unexpected_rows_count"
    value_keys = ("unexpected_rows_query", "probe_query", "probe_column")

    @classmethod
    def _get_evaluation_dependencies(cls, metric: MetricConfiguration, configuration: Any = None,
                                     execution_engine: Any = None, runtime_configuration: dict | None = None
                                     ) -> dict[str, MetricConfiguration]:
        dependencies = super()._get_evaluation_dependencies(metric, configuration, execution_engine,
                                                            runtime_configuration)
        probe = metric.metric_value_kwargs.get("probe_query")
        if probe:
            # the same domain as the column-map counts ("table" included), so GE bundles them into one query
            domain = {"table": None, **metric.metric_domain_kwargs,
                      "column": metric.metric_value_kwargs["probe_column"]}
            dependencies["probe"] = MetricConfiguration("column.kiban_probe", metric_domain_kwargs=domain,
                                                        metric_value_kwargs={"probe_expression": probe})
        return dependencies

    @metric_value(engine=DuckDBExecutionEngine)
    def _duckdb(cls, execution_engine: DuckDBExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict, runtime_configuration: dict) -> int:
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs,
                                                               domain_type=MetricDomainTypes.TABLE)

        def scalar(query: str) -> int:
            sql = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
                query=query, batch_selectable=selectable, execution_engine=execution_engine)
            return int(execution_engine.execute_query(sa.text(sql)).scalar_one() or 0)

        if metric_value_kwargs.get("probe_query") and int(metrics["probe"] or 0) == 0:
            return 0
        return scalar(f"SELECT count(*) FROM ({metric_value_kwargs['unexpected_rows_query']}) AS unexpected_rows")


class ExpectQueryToReturnNoRows(BatchExpectation):
    """Expect ``unexpected_rows_query`` (SQL over ``{batch}``) to return no rows; only the count is computed.

    ``probe_query`` (optional): an aggregate SQL expression over the batch's rows that is 0 whenever the rule
    holds (bundled with the other probes, on the domain of ``probe_column``, any column of the batch); when it is
    0 the exact count is skipped. ``observed_value`` is the number of unexpected rows.
    """

    unexpected_rows_query: str
    probe_query: str | None = None
    probe_column: str | None = None
    metric_dependencies: ClassVar[tuple[str, ...]] = ("kiban.unexpected_rows_count",)
    success_keys: ClassVar[tuple[str, ...]] = ("unexpected_rows_query", "probe_query", "probe_column")
    domain_keys: ClassVar[tuple[str, ...]] = ("batch_id", "row_condition", "condition_parser")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> Any:
        count = int(metrics["kiban.unexpected_rows_count"])
        return {"success": count == 0, "result": {"observed_value": count}}


class _DuckDBType(sa.types.UserDefinedType):
    """A DuckDB type named verbatim in ``CAST(... AS <name>)``."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        if not name.replace(" ", "").replace("_", "").isalnum():
            raise ValueError(f"not a DuckDB type name: {name!r}")
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name


class ExpectColumnValuesToBeCastableTo(ColumnMapExpectation):
    """Expect each non-null value to survive ``TRY_CAST(value AS type_)`` (DuckDB type name, e.g. ``BIGINT``)."""

    type_: str
    map_metric: ClassVar[str] = "column_values.castable_to"
    success_keys: ClassVar[tuple[str, ...]] = ("type_", "mostly")


def ephemeral_context() -> Any:
    """A GE context that lives in memory only: no files, no usage statistics."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)
