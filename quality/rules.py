"""Hand-written validation rules that a contract alone cannot express.

A :class:`Rule` is SQL over the staged dataset (available as the table ``staged``): either a row-level
``violation`` (a condition over one row, TRUE when the row breaks the rule) or ``failing_rows`` (a query selecting
the rows that break a set-level rule such as uniqueness). Rules are pure data; ``quality.runner`` turns them into Great Expectations
expectations executed by DuckDB (SQL pushdown), alongside the expectations generated from the contract.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One named rule.

    name:          stable identifier, used as the Dagster asset-check name (snake_case, unique per dataset)
    description:   what the rule means, Japanese domain terms welcome
    failing_rows:  ``SELECT * FROM staged WHERE ...`` -- must select whole rows of ``staged``; derived from
                   ``violation`` when that is given
    column:        the column the rule is about, for quarantine reports (None for row/table rules)
    blocking:      a blocking failure quarantines the input; a non-blocking one is a stored warning
    violation:     row-level rules: a SQL condition over one row of ``staged``, TRUE when the row breaks the rule
                   (NULL counts as satisfied). Checked in the same single scan as the contract's column checks.
    probe:         set-level rules, optional: an aggregate SQL expression over the rows of ``staged`` that is 0
                   only when the rule holds (e.g. ``count(*) - count(DISTINCT key)``); all probes of a suite are
                   computed in one scan, and the exact ``failing_rows`` count runs only when a probe is not 0
    prefilter:     row rules, optional: a BOOLEAN column of the staged file, written by staging, TRUE on every row
                   that *may* break the rule (a cheap superset test, e.g. "has a byte below 0x20") and NULL or
                   FALSE elsewhere. The ``violation`` is then evaluated on those rows only (``CASE WHEN``: DuckDB
                   skips it for the others); the verdict on them is still the violation's. The staged view exposes
                   the column after ``_source_row``, and the suite expects it there.
    """

    name: str
    description: str
    failing_rows: str = ""
    column: str | None = None
    blocking: bool = True
    violation: str | None = None
    probe: str | None = None
    prefilter: str | None = None

    def __post_init__(self) -> None:
        if self.prefilter is not None:
            if self.violation is None or not self.prefilter.isidentifier():
                raise ValueError(f"rule {self.name}: a prefilter is a column name, for a row rule (violation)")
            object.__setattr__(self, "violation", f"CASE WHEN {self.prefilter} THEN ({self.violation}) END")
        if self.violation is not None:
            if self.failing_rows:
                raise ValueError(f"rule {self.name}: give violation or failing_rows, not both")
            object.__setattr__(self, "failing_rows", f"SELECT * FROM staged WHERE ({self.violation}) IS TRUE")
        elif not self.failing_rows.strip():
            raise ValueError(f"rule {self.name}: needs violation or failing_rows")


#: Characters never found in published text: C0 controls except tab, LF and CR, and DEL.
CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
#: The same characters, for code outside SQL (a staging prefilter): equal to the class above (tested).
CONTROL_CODE_POINTS: tuple[int, ...] = (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)


def plain_text_rule(columns: tuple[str, ...] | list[str], *, max_chars: int = 1000,
                    name: str = "plain_text") -> Rule:
    """Free-text columns hold plain text of a sane length: no control characters (NUL ...), at most ``max_chars``
    characters. A damaged or hostile file breaks it; no real name or address comes near the limit."""
    checks = [f"(length({c}) > {max_chars} OR regexp_matches({c}, '{CONTROL_CHARACTERS}'))" for c in columns]
    return Rule(name=name, description=f"文字列項目は制御文字 (NUL 等) を含まず {max_chars:,} 文字以内",
                violation=" OR ".join(checks))
