"""Hand-written validation rules that a contract alone cannot express.

A :class:`Rule` is SQL over the staged dataset (available as the table ``staged``): ``failing_rows`` selects the
rows that violate the rule. Rules are pure data; ``quality.runner`` turns them into Great Expectations
expectations executed by DuckDB (SQL pushdown), alongside the expectations generated from the contract.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One named rule.

    name:          stable identifier, used as the Dagster asset-check name (snake_case, unique per dataset)
    description:   what the rule means, Japanese domain terms welcome
    failing_rows:  ``SELECT * FROM staged WHERE <violation>`` -- must select whole rows of ``staged``
    column:        the column the rule is about, for quarantine reports (None for row/table rules)
    blocking:      a blocking failure quarantines the input; a non-blocking one is a stored warning
    """

    name: str
    description: str
    failing_rows: str
    column: str | None = None
    blocking: bool = True
