"""A typed submission: one report = envelope + items + field_status (+ conversion problems)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Problem:
    """A value that could not be converted (reported later as a blocking validation error)."""

    field: str
    reason: str
    value: str | None = None
    rule: str = "type"


@dataclass
class Submission:
    """One report as received.

    envelope:     envelope fields by name (timestamps aware UTC, ``sequence_no`` int)
    items:        report items by name (None = NULL; see ``field_status`` for why)
    field_status: item name -> reported / 未確認 / not_applicable / not_reported
    texts:        staging text of every contract column (normalised cell text; None for NULL)
    source_row:   1-based record number in the file (data rows for CSV/XLSX, list index for JSON)
    """

    envelope: dict[str, object]
    items: dict[str, object]
    field_status: dict[str, str]
    texts: dict[str, str | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    source_row: int = 1

    @property
    def report_type(self) -> str:
        return str(self.envelope["report_type"])

    def get(self, name: str) -> object:
        return self.envelope[name] if name in self.envelope else self.items.get(name)

    def payload_json(self) -> str:
        """Items as JSON (timestamps ISO 8601 UTC, dates ISO)."""
        return json.dumps({k: _jsonable(v) for k, v in self.items.items()}, ensure_ascii=False, sort_keys=True)

    def field_status_json(self) -> str:
        return json.dumps(self.field_status, ensure_ascii=False, sort_keys=True)


def _jsonable(v: object) -> object:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v
