"""Generate the Great Expectations suite of a dataset from its contract (契約) and hand-written rules.

Every check has a stable name -- the Dagster asset-check name -- and a ``blocking`` flag:

=========================  ==============================================================  ========
name                       expectation                                                     blocking
=========================  ==============================================================  ========
``columns__ordered``       staged columns = contract columns in order, then ``_source_row``  yes
                           (then the rules' staging prefilter columns, if any)
``<col>__not_null``        ``nullable=False`` columns have no NULL                           yes
``<col>__castable``        staged text casts to the contract type (dates: strict ISO)        yes
``<col>__pattern``         full match of ``Column.pattern`` (RE2 syntax in DuckDB)           yes
``<col>__in_codes``        value is a key of ``Column.codes`` (コード表)                     yes
``<col>__range``           ``min_value`` <= value <= ``max_value`` (numbers, ISO dates)      no
``pk__unique``             ``primary_key`` (possibly compound) is unique (a probe first)     yes
``<rule.name>``            ``quality.rules.Rule``: row rules as a column-map condition,       rule's
                           set rules as a counted query (an optional probe first)
=========================  ==============================================================  ========

Every column-map check -- the contract's and the row rules -- is answered by GE in one bundled aggregate query;
the probes of the set rules share one more scan, and a set rule runs its own query only when its probe is not 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from quality import ge_duckdb
from quality.rules import Rule
from schemas.contract import Column, Contract

SOURCE_ROW = "_source_row"
ISO_DATE = "%Y-%m-%d"
_NO_CAST = frozenset({"string", "json", "geometry", "date"})  # date: strict strftime check instead


@dataclass(frozen=True, eq=False)
class CheckSpec:
    """One named check.

    ``failing_rows`` (SQL over ``staged``) selects the failing rows where GE does not report their
    ``_source_row`` itself: unexpected-rows checks and the primary-key check. The runner reads sample rows
    from it (``ORDER BY _source_row LIMIT n``) only when the check failed.
    ``detail``: the expectation the runner runs instead of ``expectation`` on a check that failed, for GE's
    result of it (Data Docs); None: ``expectation`` again. It must fail on the same rows.
    """

    name: str
    description: str
    blocking: bool
    column: str | None
    expectation: Any  # a great_expectations Expectation, tagged with meta={"check": name}
    failing_rows: str | None = None
    detail: Any = None


@dataclass(frozen=True)
class SuiteSpec:
    """The generated suite of one dataset."""

    dataset: str
    checks: tuple[CheckSpec, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.checks]

    def check(self, name: str) -> CheckSpec:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_gx_suite(self, *, detail: bool = False) -> gx.ExpectationSuite:
        """A fresh GE ``ExpectationSuite`` (expectations are copied: a suite owns its expectations); ``detail``:
        with each check's ``detail`` expectation where it has one (the failing checks' second run)."""
        expectations = [(c.detail if detail and c.detail is not None else c.expectation).copy(deep=True)
                        for c in self.checks]
        # given to the constructor: ``add_expectation`` compares each new expectation with every earlier one
        # (quadratic pydantic work: 12 of 16 s for a 164-check suite); names are unique here
        return gx.ExpectationSuite(name=self.dataset, expectations=expectations)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: float | str) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _ge_query(failing_rows: str) -> str:
    """Wrap SQL over ``staged`` so GE runs it on its batch; braces are escaped for GE's ``str.format``.

    ``NOT MATERIALIZED``: a rule that reads ``staged`` twice (e.g. a uniqueness semi-join) would otherwise make
    DuckDB materialise the whole batch (5.8 M rows x 31 columns) before running it.
    """
    body = failing_rows.strip().rstrip(";").replace("{", "{{").replace("}", "}}")
    return f"WITH staged AS NOT MATERIALIZED (SELECT * FROM {{batch}}) SELECT * FROM ({body}\n) AS failing_rows"


def _spec(name: str, description: str, blocking: bool, column: str | None, expectation: Any,
          failing_rows: str | None = None) -> CheckSpec:
    expectation.meta = {"check": name, "blocking": blocking}
    expectation.description = description
    return CheckSpec(name, description, blocking, column, expectation, failing_rows)


def _rows_spec(name: str, description: str, blocking: bool, column: str | None, failing_rows: str,
               probe: str | None = None) -> CheckSpec:
    expectation = ge_duckdb.ExpectQueryToReturnNoRows(
        unexpected_rows_query=_ge_query(failing_rows), probe_query=probe, probe_column=SOURCE_ROW if probe else None)
    return _spec(name, description, blocking, column, expectation, failing_rows)


def _condition_spec(name: str, description: str, blocking: bool, column: str | None, violation: str) -> CheckSpec:
    expectation = ge_duckdb.ExpectRowsToSatisfyRule(column=column or SOURCE_ROW, violation=violation)
    return _spec(name, description, blocking, column, expectation)


def typed_or_text(column_sql: str, type_name: str, typed: str, text: str) -> str:
    """SQL: ``typed`` where the column is stored as ``type_name`` (a release file), else ``text`` (a staged text
    file). ``typeof`` depends on the column's type only: DuckDB folds the CASE when planning and runs one branch."""
    return f"(CASE WHEN typeof({column_sql}) = {_literal(type_name)} THEN {typed} ELSE {text} END)"


def _range_violation(col: Column) -> str | None:
    if col.min_value is None and col.max_value is None:
        return None
    typed = typed_or_text(quote(col.name), col.duckdb_type, f"TRY_CAST({quote(col.name)} AS {col.duckdb_type})",
                          f"TRY_CAST(CAST({quote(col.name)} AS VARCHAR) AS {col.duckdb_type})")
    bound = [
        f"{typed} {op} CAST({_literal(v)} AS {col.duckdb_type})"
        for op, v in (("<", col.min_value), (">", col.max_value)) if v is not None
    ]
    return " OR ".join(bound)


def column_checks(col: Column) -> list[CheckSpec]:
    """The checks one contract column implies, in a fixed order."""
    name, ja = col.name, col.ja
    checks: list[CheckSpec] = []
    if not col.nullable:
        checks.append(_spec(f"{name}__not_null", f"{ja}（{name}）は必須", True, name,
                            gxe.ExpectColumnValuesToNotBeNull(column=name)))
    if col.type == "date":
        checks.append(_spec(f"{name}__castable", f"{ja}（{name}）は YYYY-MM-DD の実在する日付", True, name,
                            gxe.ExpectColumnValuesToMatchStrftimeFormat(column=name, strftime_format=ISO_DATE)))
    elif col.type not in _NO_CAST:
        checks.append(_spec(f"{name}__castable", f"{ja}（{name}）は {col.duckdb_type} に変換できる", True, name,
                            ge_duckdb.ExpectColumnValuesToBeCastableTo(column=name, type_=col.duckdb_type)))
    if col.pattern is not None:
        checks.append(_spec(f"{name}__pattern", f"{ja}（{name}）は /{col.pattern}/ に全体一致", True, name,
                            gxe.ExpectColumnValuesToMatchRegex(column=name, regex=f"^(?:{col.pattern})$")))
    if col.codes is not None:
        checks.append(_spec(f"{name}__in_codes", f"{ja}（{name}）は{col.codes.ja}のコード", True, name,
                            gxe.ExpectColumnValuesToBeInSet(column=name, value_set=sorted(col.codes.codes))))
    range_violation = _range_violation(col)
    if range_violation is not None:
        checks.append(_condition_spec(f"{name}__range", f"{ja}（{name}）は {col.min_value} 〜 {col.max_value}",
                                      False, name, range_violation))
    return checks


#: The column checks of a contract compiled ``per kind`` (``Contract.checks = "kind"``): name, description, blocking.
KINDS = (
    ("columns__not_null", "必須項目が空でない", True),
    ("columns__castable", "数値・日付・日時の項目が契約の型に変換できる（日付は YYYY-MM-DD）", True),
    ("columns__pattern", "コード・ID 項目が書式に全体一致", True),
    ("columns__in_codes", "コード項目がコード表の値", True),
    ("columns__range", "数値・日付が契約の範囲内", False),
)


def strict_date_sql(text: str) -> str:
    """SQL, TRUE iff ``text`` (a VARCHAR expression) is a real date written ``YYYY-MM-DD`` (FALSE for NULL).

    The same test as the per-column check (``ge_duckdb`` strftime provider): the text is the canonical rendering
    of what it parses to, so ``2026-1-5`` and `` 2026-01-05`` fail although ``try_strptime`` takes them; an
    impossible date (2026-02-30) does not parse; the year 0000 is refused.
    """
    parsed = f"try_strptime({text}, '{ISO_DATE}')"
    return (f"coalesce(strftime({parsed}, '{ISO_DATE}') = {text} "
            f"AND {parsed} >= TIMESTAMP '{ge_duckdb.FIRST_DAY}', false)")


def column_conditions(col: Column) -> dict[str, str]:
    """Per check kind, the SQL condition over one staged (text) row that is TRUE when ``col`` breaks it."""
    c = quote(col.name)
    out: dict[str, str] = {}
    if not col.nullable:
        out["columns__not_null"] = f"{c} IS NULL"
    if col.type == "date":
        typed = (f"coalesce(try(CAST({c} AS DATE)) BETWEEN DATE '{ge_duckdb.FIRST_DAY}' "
                 f"AND DATE '{ge_duckdb.LAST_DAY}', false)")
        strict = typed_or_text(c, "DATE", typed, strict_date_sql(f"CAST({c} AS VARCHAR)"))
        out["columns__castable"] = f"({c} IS NOT NULL AND NOT {strict})"
    elif col.type not in _NO_CAST:
        out["columns__castable"] = f"({c} IS NOT NULL AND TRY_CAST({c} AS {col.duckdb_type}) IS NULL)"
    if col.pattern is not None:
        out["columns__pattern"] = f"({c} IS NOT NULL AND NOT regexp_full_match(CAST({c} AS VARCHAR), {_literal(col.pattern)}))"
    if col.codes is not None:
        codes = ", ".join(_literal(k) for k in sorted(col.codes.codes))
        out["columns__in_codes"] = f"({c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({codes}))"
    range_violation = _range_violation(col)
    if range_violation is not None:
        out["columns__range"] = f"({range_violation})"
    return out


def kind_checks(contract: Contract) -> list[CheckSpec]:
    """One check per kind over all columns: counted in the single bundled scan like any column check; when it
    fails, its samples name the column and the value (``_failed_column``, ``_failed_value``)."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for col in contract.columns:
        for kind, condition in column_conditions(col).items():
            by_kind.setdefault(kind, []).append((col.name, condition))
    checks = []
    for name, description, blocking in KINDS:
        members = by_kind.get(name)
        if not members:
            continue
        violation = " OR ".join(cond for _, cond in members)
        samples = " UNION ALL ".join(
            f"SELECT *, {_literal(col)} AS _failed_column, CAST({quote(col)} AS VARCHAR) AS _failed_value "
            f"FROM staged WHERE {cond}" for col, cond in members)
        spec = _condition_spec(name, f"{description}: {', '.join(col for col, _ in members)}", blocking, None,
                               violation)
        checks.append(CheckSpec(spec.name, spec.description, spec.blocking, None, spec.expectation, samples))
    return checks


def primary_key_check(pk: Sequence[str]) -> CheckSpec:
    """``pk__unique``: no two rows share the primary key, with GE's NULL semantics; a cheap probe first.

    Great Expectations (``expect_column_values_to_be_unique`` / ``expect_compound_columns_to_be_unique`` on SQL)
    never counts a row with a NULL in any key column as a duplicate (a NULL key is the ``__not_null`` check's
    business): the failing rows are the rows whose key columns are all set and whose key occurs more than once.

    The exact query (a window over every row) runs only when the probe, bundled into the suite's one column-map
    scan, is not 0: the keyed rows minus the distinct hashes of their keys. Equal hashes can only under-count the
    distinct keys, so the probe is never 0 when there is a duplicate; a hash collision merely runs the exact query.
    A 64-bit hash keeps the probe's hash table narrow whatever the width of the key.
    """
    keys = ", ".join(quote(k) for k in pk)
    keyed = " AND ".join(f"{quote(k)} IS NOT NULL" for k in pk)
    duplicates = f"SELECT * FROM staged WHERE {keyed} QUALIFY count(*) OVER (PARTITION BY {keys}) > 1"
    probe = f"count(*) FILTER (WHERE {keyed}) - count(DISTINCT hash({keys})) FILTER (WHERE {keyed})"
    if len(pk) == 1:
        description, column = f"主キー {pk[0]} が一意", pk[0]
        own = gxe.ExpectColumnValuesToBeUnique(column=pk[0])
    else:
        description, column = f"主キー ({', '.join(pk)}) が一意", ",".join(pk)
        own = gxe.ExpectCompoundColumnsToBeUnique(column_list=list(pk))
    spec = _rows_spec("pk__unique", description, True, column, duplicates, probe)
    # a failed key check is run again as GE's own expectation: Data Docs list the duplicated values
    return dataclasses.replace(spec, detail=_spec(spec.name, description, True, column, own).expectation)


def build_suite(contract: Contract, rules: Sequence[Rule] = ()) -> SuiteSpec:
    """All checks of ``contract`` plus ``rules``, in a stable order; check names are unique.

    Column checks are one check per column and kind (``Contract.checks == "column"``: the check name names the
    column), or one check per kind over all columns (``"kind"``, for wide contracts validated at a high rate:
    the municipal reports' 150-column forms), whose samples name the failing column.
    """
    # the staging prefilters the rules read follow _source_row (quality.rules.Rule.prefilter)
    prefilters = list(dict.fromkeys(r.prefilter for r in rules if r.prefilter))
    tail = " と事前判定列 " + ", ".join(prefilters) if prefilters else ""
    checks = [_spec("columns__ordered", f"列が契約の順に並ぶ（末尾に _source_row{tail}）", True, None,
                    gxe.ExpectTableColumnsToMatchOrderedList(
                        column_list=[*contract.column_names, SOURCE_ROW, *prefilters]))]
    if contract.checks == "kind":
        checks.extend(kind_checks(contract))
    else:
        for col in contract.columns:
            checks.extend(column_checks(col))
    if contract.primary_key:
        checks.append(primary_key_check(list(contract.primary_key)))
    for rule in rules:
        if rule.violation is not None:
            checks.append(_condition_spec(rule.name, rule.description, rule.blocking, rule.column, rule.violation))
        else:
            checks.append(_rows_spec(rule.name, rule.description, rule.blocking, rule.column, rule.failing_rows,
                                     rule.probe))
    names = [c.name for c in checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{contract.name}: duplicate check names {duplicates}")
    return SuiteSpec(contract.name, tuple(checks))
