"""Submission templates: ``write_template(report_type, 'csv' | 'xlsx', path)``.

CSV (UTF-8 with BOM, so Excel opens it correctly): row 1 = Japanese headers (``Column.ja``); row 2 = notes,
a comment row whose first cell starts with ``#`` (the parser skips every row whose first cell starts with
``#``); data from row 3. XLSX: data sheet named after the report type (header row only), a ``説明`` sheet
explaining each column, a hidden ``コード表`` sheet feeding list validations on code and yes/no columns, and
団体コード columns formatted as text so Excel keeps the leading zero. ``parse`` reads both back unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from registries.reports.fields import REPORT_TYPES
from registries.reports.writers import csv_bytes, xlsx_bytes


def template_bytes(report_type: str, fmt: Literal["csv", "xlsx"], rows: Sequence[dict] = ()) -> bytes:
    if report_type not in REPORT_TYPES:
        raise ValueError(f"unknown report type {report_type!r}; known: {', '.join(REPORT_TYPES)}")
    if fmt == "csv":
        return csv_bytes(report_type, rows, encoding="utf-8-sig", notes=True)
    if fmt == "xlsx":
        return xlsx_bytes(report_type, rows)
    raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")


def write_template(report_type: str, fmt: Literal["csv", "xlsx"], path: str | Path,
                   rows: Sequence[dict] = ()) -> Path:
    """Write the template (optionally pre-filled with ``rows``) to ``path``; returns the path."""
    out = Path(path)
    out.write_bytes(template_bytes(report_type, fmt, rows))
    return out
