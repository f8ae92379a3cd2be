"""Validate a staged Parquet dataset against its contract suite, in DuckDB (SQL pushdown, no pandas).

``validate`` opens an in-memory DuckDB through SQLAlchemy (:mod:`quality.ge_duckdb`), exposes the staged
Parquet as the view ``staged``, runs the generated Great Expectations suite on it and returns a
:class:`ValidationReport`: one :class:`CheckResult` per check, with sample failing rows
``{file, row, column, rule, value}`` (``row`` is the staged ``_source_row``) -- the machine-readable quarantine
report (隔離レポート).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kiban.duck import resource_settings
from quality import ge_duckdb
from quality.rules import Rule
from quality.suite import SOURCE_ROW, CheckSpec, SuiteSpec, build_suite, quote
from schemas.contract import Contract

_counter = itertools.count()


@dataclass
class CheckResult:
    """The outcome of one check. ``error`` is set when the check could not run (e.g. a missing column)."""

    name: str
    column: str | None
    rule_description: str
    blocking: bool
    success: bool
    element_count: int
    unexpected_count: int | None
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class ValidationReport:
    """All check results of one staged input; ``success`` means no blocking check failed."""

    dataset: str
    source_file: str
    row_count: int
    success: bool
    results: list[CheckResult]
    engine: str = ""  # the GE execution engine class that ran the checks
    #: GE's own ``ExpectationSuiteValidationResult`` (every check; details for the failed ones), for Data Docs
    gx_result: Any = field(default=None, repr=False, compare=False)

    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocking and not r.success]

    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.blocking and not r.success]

    def result(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(replace(self, gx_result=None))
        del d["gx_result"]
        d["blocking_failures"] = [r.name for r in self.blocking_failures()]
        d["warnings"] = [r.name for r in self.warnings()]
        return d


def check_specs(contract: Contract, rules: Sequence[Rule] = ()) -> list[tuple[str, str, bool]]:
    """``(name, description, blocking)`` of every check, in run order, to declare Dagster asset checks."""
    return [(c.name, c.description, c.blocking) for c in build_suite(contract, rules).checks]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


#: Staged inputs up to this many rows are copied into an in-memory table once, so the suite's many queries do
#: not each re-open and re-decode the Parquet files (128 queries on a small file: 2.1 s -> well under 1 s).
#: Larger inputs stay a view over Parquet, so memory does not grow with the file.
IN_MEMORY_ROWS = 200_000


def _row_count(paths: Sequence[str | Path]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(str(p)).metadata.num_rows for p in paths)


def staged_view_sql(parquet: str | Path | Sequence[str | Path], view: str | None = None) -> str:
    """``staged`` over the Parquet files; ``view`` (a SELECT with ``{source}`` for the files) reshapes a staged
    file that is stored in another layout into the contract's text layout."""
    paths = [parquet] if isinstance(parquet, str | Path) else list(parquet)
    if not paths:
        raise ValueError("no staged Parquet file given")
    files = ", ".join(_sql_string(str(Path(p))) for p in paths)
    source = f"read_parquet([{files}])"
    select = view.replace("{source}", source) if view else f"SELECT * FROM {source}"
    kind = "TEMP TABLE" if _row_count(paths) <= IN_MEMORY_ROWS else "VIEW"
    return f"CREATE OR REPLACE {kind} staged AS {select}"


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _sample(file: str, row: Any, column: str | None, rule: str, value: Any) -> dict[str, Any]:
    return {"file": file, "row": _json_value(row), "column": column, "rule": rule, "value": _json_value(value)}


def _value_of(record: dict[str, Any], column: str | None) -> Any:
    if column is None:
        return None
    cols = column.split(",")
    if len(cols) == 1:
        return record.get(column)
    return {c: _json_value(record.get(c)) for c in cols}


def _map_samples(spec: CheckSpec, result: dict[str, Any], file: str) -> list[dict[str, Any]]:
    records = result.get("partial_unexpected_index_list") or []
    samples = [_sample(file, r.get(SOURCE_ROW), spec.column, spec.name, _value_of(r, spec.column)) for r in records]
    return sorted(samples, key=lambda s: (s["row"] is None, s["row"] if isinstance(s["row"], int) else 0))


def _rows_samples(spec: CheckSpec, connection: sa.Connection, file: str, limit: int) -> list[dict[str, Any]]:
    sql = (f"SELECT * FROM ({spec.failing_rows.strip().rstrip(';')}\n) AS f "
           f"ORDER BY {quote(SOURCE_ROW)} LIMIT {int(limit)}")
    rows = connection.execute(sa.text(sql)).mappings().all()
    return [_sample(file, r.get(SOURCE_ROW), r.get("_failed_column", spec.column), spec.name,
                    r["_failed_value"] if "_failed_column" in r else _value_of(dict(r), spec.column)) for r in rows]


def _exception_message(info: dict[str, Any]) -> str | None:
    """GE reports a failed metric either flat or keyed by metric id; None when the check ran."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [str(e.get("exception_message") or "check could not run") for e in entries
                if e.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) if messages else None


def _check_result(spec: CheckSpec, gx_result: Any, row_count: int, connection: sa.Connection, file: str,
                  sample_size: int) -> CheckResult:
    result: dict[str, Any] = dict(gx_result.result or {})
    message = _exception_message(gx_result.exception_info or {})
    if message is not None:
        return CheckResult(spec.name, spec.column, spec.description, spec.blocking, False, row_count, None,
                           [], message)
    success = bool(gx_result.success)
    if spec.failing_rows is not None or "unexpected_count" in result:
        if "unexpected_count" in result:  # column-map expectation
            elements, unexpected = int(result.get("element_count") or row_count), int(result.get("unexpected_count") or 0)
        else:  # unexpected-rows expectation: observed_value is the failing row count
            elements, unexpected = row_count, int(result.get("observed_value") or 0)
        if success:
            samples = []
        elif spec.failing_rows is not None:
            samples = _rows_samples(spec, connection, file, sample_size)
        else:
            samples = _map_samples(spec, result, file)
        return CheckResult(spec.name, spec.column, spec.description, spec.blocking, success, elements,
                           unexpected, samples)
    # table-level expectation (column list): one sample carrying the observed value
    samples = [] if success else [_sample(file, None, None, spec.name, result.get("observed_value"))]
    return CheckResult(spec.name, spec.column, spec.description, spec.blocking, success, row_count,
                       0 if success else 1, samples)


def _index_by_check(gx_results: Sequence[Any]) -> dict[str, Any]:
    return {r.expectation_config.meta["check"]: r for r in gx_results}


def context_view_sql(name: str, parquet: str | Path) -> str:
    """A context relation for rules (e.g. the municipality master), read from Parquet."""
    if not name.isidentifier():
        raise ValueError(f"context relation name {name!r} is not an identifier")
    return f"CREATE OR REPLACE VIEW {quote(name)} AS SELECT * FROM read_parquet({_sql_string(str(parquet))})"


def batch_view_sql(files: Sequence[Path]) -> tuple[str, list[int]]:
    """``staged`` over several staged files with ``_source_row`` made unique: file i's numbers follow file i-1's.

    ``_source_row`` of a staged file is a positive record number (not necessarily dense). Returns the view and the
    offset of every file (record r of file i is ``offsets[i] + r`` in ``staged``).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    offsets, total, rows = [], 0, 0
    for f in files:
        offsets.append(total)
        numbers = pq.read_table(str(f), columns=[SOURCE_ROW]).column(SOURCE_ROW)
        rows += len(numbers)
        total += int(pc.max(numbers).as_py() or 0)
    values = ", ".join(f"({_sql_string(str(Path(f)))}, {o})" for f, o in zip(files, offsets, strict=True))
    listing = ", ".join(_sql_string(str(Path(f))) for f in files)
    kind = "TEMP TABLE" if rows <= IN_MEMORY_ROWS else "VIEW"
    sql = (f"CREATE OR REPLACE {kind} staged AS SELECT * EXCLUDE (filename, _kiban_file, _kiban_offset) REPLACE "
           f"({quote(SOURCE_ROW)} + _kiban_offset AS {quote(SOURCE_ROW)}) FROM read_parquet([{listing}], "
           f"filename = true) JOIN (VALUES {values}) AS _o(_kiban_file, _kiban_offset) ON filename = _kiban_file")
    return sql, offsets


def _merged(first: Any, detailed: dict[str, Any]) -> Any:
    """The first (counts-only) suite result with the failed checks' detailed results in place, statistics
    recomputed: one GE validation result of the whole suite, as GE's Data Docs render it."""
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    first.results = [detailed.get(r.expectation_config.meta["check"], r) for r in first.results]
    for r in first.results:  # counts-only results carry no observed column list; GE's page layout needs it
        if (r.expectation_config.type == "expect_table_columns_to_match_ordered_list" and r.success
                and "observed_value" not in (r.result or {})):
            r.result = {**(r.result or {}), "observed_value": list(r.expectation_config.kwargs["column_list"])}
    stats = calc_validation_statistics(first.results)
    first.statistics = {"evaluated_expectations": stats.evaluated_expectations,
                        "successful_expectations": stats.successful_expectations,
                        "unsuccessful_expectations": stats.unsuccessful_expectations,
                        "success_percent": stats.success_percent}
    first.success = stats.success
    return first


def run_suite(suite: SuiteSpec, parquet: str | Path | Sequence[str | Path], *, source_file: str,
              sample_size: int = 20, view: str | None = None, context: dict[str, Path] | None = None,
              staged_sql: str | None = None, detail_view: str | None = None) -> ValidationReport:
    """Run an already built suite on staged Parquet (see :func:`validate`)."""
    gx_context = ge_duckdb.ephemeral_context()

    def open_batch(staged: str) -> tuple[Any, Any]:
        init = [*resource_settings(), staged]
        init += [context_view_sql(name, path) for name, path in (context or {}).items()]
        datasource = gx_context.data_sources.add_duckdb(name=f"kiban_{suite.dataset}_{next(_counter)}",
                                                        init_sql=init)
        batch = datasource.add_table_asset("staged", table_name="staged") \
            .add_batch_definition_whole_table("all").get_batch()
        return datasource.get_execution_engine(), batch

    engine, batch = open_batch(staged_sql or staged_view_sql(parquet, view))
    try:
        # Two passes: every check with counts only (GE bundles the column-map counts into a few scans and skips
        # the per-check sample queries), then the failing checks again with samples. Clean data -- the usual
        # case -- costs half the queries.
        first = batch.validate(suite.to_gx_suite(), result_format={"result_format": "BOOLEAN_ONLY"})
        passed = {r.expectation_config.meta["check"] for r in first.results
                  if r.success and not r.exception_info.get("raised_exception")}
        failing = [spec for spec in suite.checks if spec.name not in passed]
        by_check: dict[str, Any] = {}
        if failing and detail_view is not None and detail_view != view and staged_sql is None:
            # the failing checks again over the text layout: their results and samples carry the received text
            engine.close()
            engine, batch = open_batch(staged_view_sql(parquet, detail_view))
        if failing:
            detail = SuiteSpec(suite.dataset, tuple(failing)).to_gx_suite(detail=True)
            result_format = {
                "result_format": "SUMMARY",
                "unexpected_index_column_names": [SOURCE_ROW],
                "partial_unexpected_count": sample_size,
            }
            by_check = _index_by_check(batch.validate(detail, result_format=result_format).results)
        with engine.get_connection() as connection:
            row_count = int(connection.execute(sa.text("SELECT count(*) FROM staged")).scalar_one())
            results = [
                _check_result(spec, by_check[spec.name], row_count, connection, source_file, sample_size)
                if spec.name in by_check else
                CheckResult(spec.name, spec.column, spec.description, spec.blocking, True, row_count, 0, [])
                for spec in suite.checks
            ]
    finally:
        engine.close()
    success = not any(r.blocking and not r.success for r in results)
    return ValidationReport(suite.dataset, source_file, row_count, success, results, type(engine).__name__,
                            _merged(first, by_check))


def validate(contract: Contract, parquet: str | Path | list[Path], rules: Sequence[Rule] = (), *,
             source_file: str, sample_size: int = 20, view: str | None = None,
             context: dict[str, Path] | None = None, detail_view: str | None = None) -> ValidationReport:
    """Validate staged Parquet (one file or several) against ``contract`` and ``rules``.

    ``view``: a SELECT with ``{source}`` standing for the files, when they are stored in another layout than
    the contract's text columns (see ``registries.corporate.parse.text_view_sql``).
    ``context``: further relations the rules may read (name -> Parquet), e.g. the municipality master.
    ``detail_view``: the view the failing checks are run again on for their results and samples (None: ``view``),
    when ``view`` is a typed layout that gives every check the same verdict as the text but not the same values
    (``registries.corporate.load.STAGED_TYPED``).
    """
    return run_suite(build_suite(contract, rules), parquet, source_file=source_file, sample_size=sample_size,
                     view=view, context=context, detail_view=detail_view)


#: Failing rows read back per failing check in a batch: enough to name every failing input of a batch.
BATCH_SAMPLES = 100_000


def validate_batch(contract: Contract, files: Sequence[Path], rules: Sequence[Rule] = (), *,
                   source_files: Sequence[str], context: dict[str, Path] | None = None
                   ) -> tuple[list[ValidationReport], ValidationReport]:
    """Validate the staged files of several inputs in ONE suite run; one report per input, and the batch's.

    The suite runs over all files at once (one set of scans however many inputs), then every failing row is
    attributed to its input by its ``_source_row`` range, so each input passes or fails on its own rows only.
    A failing check that names no row (a table-level check) fails every input.
    """
    sql, offsets = batch_view_sql(files)
    whole = run_suite(build_suite(contract, rules), list(files), source_file="batch", sample_size=BATCH_SAMPLES,
                      context=context, staged_sql=sql)
    bounds = [*offsets[1:], None]
    reports = []
    for i, (start, end) in enumerate(zip(offsets, bounds, strict=True)):
        results, rows = [], 0
        for r in whole.results:
            if r.success:
                results.append(CheckResult(r.name, r.column, r.rule_description, r.blocking, True, 0, 0, []))
                continue
            mine = [{**smp, "file": source_files[i], "row": smp["row"] - start}
                    for smp in r.samples
                    if isinstance(smp.get("row"), int) and smp["row"] > start and (end is None or smp["row"] <= end)]
            unattributed = r.error is not None or not any(isinstance(smp.get("row"), int) for smp in r.samples)
            failed = bool(mine) or unattributed
            samples = mine[:20] if mine else ([{**smp, "file": source_files[i]} for smp in r.samples[:1]]
                                              if unattributed else [])
            results.append(CheckResult(r.name, r.column, r.rule_description, r.blocking, not failed, 0,
                                       len(mine) if failed and mine else (None if unattributed else 0),
                                       samples, r.error))
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(str(files[i])).metadata.num_rows
        for r in results:
            r.element_count = rows
        success = not any(r.blocking and not r.success for r in results)
        reports.append(ValidationReport(whole.dataset, source_files[i], rows, success, results, whole.engine))
    return reports, whole
