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
    """

    name: str
    description: str
    failing_rows: str = ""
    column: str | None = None
    blocking: bool = True
    violation: str | None = None
    probe: str | None = None

    def __post_init__(self) -> None:
        if self.violation is not None:
            if self.failing_rows:
                raise ValueError(f"rule {self.name}: give violation or failing_rows, not both")
            object.__setattr__(self, "failing_rows", f"SELECT * FROM staged WHERE ({self.violation}) IS TRUE")
        elif not self.failing_rows.strip():
            raise ValueError(f"rule {self.name}: needs violation or failing_rows")
