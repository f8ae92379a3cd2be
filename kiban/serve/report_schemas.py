"""JSON Schema (2020-12) of a report submission, derived from the contracts in ``schemas.reports``.

One schema per report type: the envelope fields a reporter writes, then the items (flat, or nested under
``items``), and an optional ``field_status`` map. The schema states the canonical form; the intake is more
lenient (Japanese header names as keys, 全角 digits, ``1,234``, JST times without offset: see
``registries.reports.cells``) and answers ``422`` with reasons for anything it cannot convert.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.contract import Column
from schemas.reports import CONTRACTS, FIELD_STATUS, ITEMS, REPORT_TYPE

#: what a reporter may write instead of a count: unknown (未確認), not applicable (-) or blank
UNKNOWN_MARKERS = ("未確認", "-", "")
#: envelope fields filled by the pipeline, never part of a submission
SYSTEM_FIELDS = ("received_at", "channel", "field_status", "sha256", "source_file")
REQUIRED = ("report_type", "lg_code", "as_of")


def value_schema(col: Column) -> dict[str, Any]:
    """The JSON Schema of one column's submitted value (``null`` allowed where the column is nullable)."""
    desc = f"{col.ja} / {col.en}"
    if col.codes is not None:
        out: dict[str, Any] = {"type": "string", "enum": list(col.codes.codes)}
    elif col.type in ("int32", "int64", "double"):
        number: dict[str, Any] = {"type": "integer" if col.type != "double" else "number"}
        if col.min_value is not None:
            number["minimum"] = col.min_value
        if col.max_value is not None:
            number["maximum"] = col.max_value
        out = {"anyOf": [number, {"type": "string", "enum": list(UNKNOWN_MARKERS)}]}
        desc += "; 未確認 = unknown (never 0), - = not applicable"
    elif col.type == "bool":
        out = {"type": "boolean"}
    elif col.type == "timestamp":
        out = {"type": "string", "minLength": 8, "maxLength": 40}
        desc += "; ISO 8601, JST (+09:00) when no offset is given"
    elif col.type == "date":
        out = {"type": "string", "format": "date"}
    elif col.type == "json":
        out = {"type": "object"}
    else:
        out = {"type": "string", "maxLength": 2000}
        if col.pattern:
            out["pattern"] = f"^{col.pattern}$"
    if col.nullable and col.name not in REQUIRED:
        out = {"anyOf": [out, {"type": "null"}]}
    return {**out, "description": desc}


def _input_envelope() -> tuple[Column, ...]:
    from schemas.reports import ENVELOPE

    return tuple(c for c in ENVELOPE if c.name not in SYSTEM_FIELDS)


@cache
def submission_schema(report_type: str) -> dict[str, Any]:
    """The schema of one report of ``report_type`` (a JSON object; a submission is one or a list of them)."""
    contract = CONTRACTS[report_type]
    envelope = {c.name: value_schema(c) for c in _input_envelope()}
    envelope["report_type"] = {"type": "string", "const": report_type, "description": "報告種別 / report type"}
    items = {c.name: value_schema(c) for c in ITEMS[report_type]}
    required = [*REQUIRED, *(("subject_key",) if report_type == "disaster_damage" else ())]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"/v1/report-types/{report_type}/schema",
        "title": f"{contract.title_ja} ({contract.title_en})",
        "description": contract.description,
        "type": "object",
        "properties": {
            **envelope,
            "items": {"type": "object", "properties": items, "additionalProperties": False,
                      "description": "the report items (they may also be given at the top level)"},
            "field_status": {"type": "object", "propertyNames": {"enum": list(items)},
                             "additionalProperties": {"enum": list(FIELD_STATUS.codes)},
                             "description": "why an item is null: 未確認 / not_applicable / not_reported"},
            **items,
        },
        "required": required,
        "additionalProperties": False,
    }


def report_types() -> tuple[str, ...]:
    return tuple(REPORT_TYPE.codes)
