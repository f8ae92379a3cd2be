"""Parse one submitted file (CSV / XLSX / JSON) into typed :class:`Submission` objects.

``parse(data, filename, received_at=...)`` returns one Submission per data row (CSV/XLSX) or per JSON object.
Headers are the template's Japanese labels (``Column.ja``) or the English column names, matched after NFKC and
whitespace removal. Cell rules (未確認 / blank / ``-`` / commas / 全角 digits / JST) are in
:mod:`registries.reports.cells`. File-level problems raise ``SourceError``; value problems are kept on the
Submission (``problems``) and become blocking validation errors.

Envelope defaults when a cell is blank: schema_version = current, sequence_no = 1, phase = 速報, control = 正規,
update_type = 新規, reporter_lg_code = lg_code, subject_key derived from the items where the type allows it
(see ``fields.derive_subject_key``), report_id = UUID5 of (file sha256, record number), so re-sending the
same bytes yields the same report ids (idempotent).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import datetime

from registries.errors import SourceError
from registries.reports import fields
from registries.reports.cells import convert
from registries.reports.model import Problem, Submission
from registries.reports.readers import read_csv, read_json, read_xlsx
from registries.reports.safety import DEFAULT_MAX_BYTES, check_size, safe_filename
from schemas.reports import CHANNEL, ENVELOPE, REPORT_TYPE

_NAMESPACE = uuid.UUID("6f1d3c1e-2a4b-5c6d-8e9f-0a1b2c3d4e5f")
_ENV = {c.name: c for c in ENVELOPE}
_REQUIRED_VALUES = ("report_type", "lg_code", "as_of", "subject_key", "sequence_no")


def sniff_format(data: bytes, filename: str) -> str:
    """'csv' | 'xlsx' | 'json' from the extension, else from the first bytes."""
    low = filename.lower()
    for ext in ("csv", "xlsx", "json"):
        if low.endswith("." + ext):
            return ext
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


def parse(
    data: bytes, filename: str, *, received_at: datetime, report_type: str | None = None, channel: str = "file",
    max_bytes: int = DEFAULT_MAX_BYTES, fmt: str | None = None,
) -> list[Submission]:
    """Parse a submission file. ``received_at`` is the pipeline's clock (aware datetime)."""
    file = safe_filename(filename)
    check_size(data, file, max_bytes)
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if channel not in CHANNEL.codes:
        raise ValueError(f"unknown channel {channel!r}")
    if report_type is not None and report_type not in REPORT_TYPE.codes:
        raise ValueError(f"unknown report_type {report_type!r}")
    digest = hashlib.sha256(data).hexdigest()
    kind = fmt or sniff_format(data, file)
    system = {"received_at": received_at, "channel": channel, "sha256": digest, "source_file": file}
    if kind == "json":
        return [_from_json(rec, row, file, report_type, system) for row, rec in read_json(data, file)]
    table = read_xlsx(data, file) if kind == "xlsx" else read_csv(data, file)
    rtype, names = _map_header(table.header, file, report_type, table.rows)
    out = []
    for row, values in table.rows:
        rec = {name: v for name, v in zip(names, values, strict=True) if name is not None}
        rec.setdefault("report_type", rtype)
        out.append(_build(rec, row, rtype, system))
    return out


def _type_from_rows(header: list[str], rows: list[tuple[int, list[object]]], file: str) -> str | None:
    keys = {fields.norm_header(c) for c in ("report_type", _ENV["report_type"].ja)}
    for i, h in enumerate(header):
        if fields.norm_header(h) in keys:
            found = {convert(_ENV["report_type"], r[i]).value for _, r in rows} - {None}
            if len(found) > 1:
                raise SourceError(file, f"one file must hold one report type, found {sorted(found)}",
                                  rule="mixed_report_types", column=h)
            return found.pop() if found else None
    return None


def _type_from_header(header: list[str]) -> str | None:
    """The one report type whose headers cover all of ``header`` (None when zero or several fit)."""
    keys = {fields.norm_header(h) for h in header} - {""}
    fits = [t for t in fields.REPORT_TYPES if keys <= set(fields.header_map(t))]
    return fits[0] if len(fits) == 1 else None


def _map_header(header: list[str], file: str, report_type: str | None,
                rows: list[tuple[int, list[object]]]) -> tuple[str, list[str | None]]:
    rtype = report_type or _type_from_rows(header, rows, file) or _type_from_header(header)
    if rtype is None:
        raise SourceError(file, "report type unknown: add a 報告種別 (report_type) column or pass report_type",
                          rule="report_type_unknown")
    hmap = fields.header_map(rtype)
    names: list[str | None] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        key = fields.norm_header(h)
        if key == "":
            if any(str(r[i] or "").strip() for _, r in rows):
                raise SourceError(file, f"column {i + 1} has values but no header", rule="missing_header")
            names.append(None)
            continue
        name = hmap.get(key)
        if name is None:
            raise SourceError(file, f"unknown header {h!r} for report type {rtype}", rule="unknown_header", column=h)
        if name in seen:
            raise SourceError(file, f"header {h!r} appears twice", rule="duplicate_header", column=h)
        seen.add(name)
        names.append(name)
    required = list(fields.REQUIRED_HEADERS)
    if rtype == "disaster_damage":
        required.append("subject_key")
    missing = [n for n in required if n not in seen]
    if missing:
        labels = ", ".join(f"{_ENV[n].ja} ({n})" for n in missing)
        raise SourceError(file, f"missing required header(s): {labels}", rule="missing_header")
    return rtype, names


def _from_json(rec: dict, row: int, file: str, report_type: str | None, system: dict) -> Submission:
    flat: dict[str, object] = {k: v for k, v in rec.items() if k not in ("items", "field_status")}
    items = rec.get("items") or {}
    if not isinstance(items, dict):
        raise SourceError(file, "'items' must be an object", rule="json_shape", row=row)
    flat.update(items)
    rtype_raw = flat.get("report_type", report_type)
    rtype = convert(_ENV["report_type"], rtype_raw).value if rtype_raw is not None else None
    if rtype is None:
        raise SourceError(file, f"report {row}: report_type missing or unknown ({rtype_raw!r})",
                          rule="report_type_unknown", row=row)
    hmap = fields.header_map(str(rtype))
    named: dict[str, object] = {}
    for key, value in flat.items():
        name = hmap.get(fields.norm_header(str(key)))
        if name is None:
            raise SourceError(file, f"report {row}: unknown field {key!r} for {rtype}", rule="unknown_header",
                              row=row, column=str(key))
        named[name] = value
    explicit = rec.get("field_status") or {}
    return _build(named, row, str(rtype), system, explicit if isinstance(explicit, dict) else {})


#: The longest text a cell may hold (a 概況 paragraph fits many times over; a megabyte of text is an accident).
MAX_CELL_CHARS = 10_000
#: Characters that make a spreadsheet run a formula when the text is opened again (CSV/formula injection).
_FORMULA_START = ("=", "@")
_FORMULA_SIGNS = re.compile(r"[|!()=A-Za-z]")


def formula_like(text: str) -> bool:
    """True for text a spreadsheet would run: ``=...``, ``@SUM(...)``, or ``+``/``-`` followed by a formula
    (``-2+3+cmd|' /C calc'!A0``); signed numbers and phone numbers (``-3``, ``+81-3-1234-5678``) are not."""
    if text.startswith(_FORMULA_START):
        return True
    return text[:1] in ("+", "-") and text not in ("-", "+") and bool(_FORMULA_SIGNS.search(text))


def check_cells(rec: dict[str, object], row: int, file: str) -> None:
    """Refuse the file for a text cell that is a formula or absurdly long (file-level: the whole file is suspect)."""
    for name, raw in rec.items():
        if not isinstance(raw, str):
            continue
        text = unicodedata.normalize("NFKC", raw).strip()
        if len(text) > MAX_CELL_CHARS:
            raise SourceError(file, f"cell {name} holds {len(text):,} characters (at most {MAX_CELL_CHARS:,})",
                              rule="field_too_long", row=row, column=name, value=text[:40])
        if formula_like(text):
            raise SourceError(file, f"cell {name} holds a spreadsheet formula ({text[:40]!r}); formulas are "
                                    "refused: enter the value itself", rule="formula_cell", row=row, column=name,
                              value=text[:80])


def _build(rec: dict[str, object], row: int, rtype: str, system: dict,
           explicit_status: dict | None = None) -> Submission:
    check_cells(rec, row, str(system["source_file"]))
    envelope: dict[str, object] = {}
    texts: dict[str, str | None] = {}
    problems: list[Problem] = []
    for col in fields.INPUT_ENVELOPE:
        raw = rec.get(col.name)
        if (raw is None or str(raw).strip() == "") and col.name in fields.ENVELOPE_DEFAULTS:
            raw = fields.ENVELOPE_DEFAULTS[col.name]
        cell = convert(col, raw)
        envelope[col.name] = cell.value
        texts[col.name] = cell.text
        if cell.problem:
            problems.append(Problem(col.name, cell.problem, cell.text, "code" if col.codes else "type"))
        elif cell.status == "未確認":
            problems.append(Problem(col.name, "未確認 is not allowed in envelope fields", "未確認", "required"))
    items: dict[str, object] = {}
    status: dict[str, str] = {}
    for col in fields.item_columns(rtype):
        cell = convert(col, rec.get(col.name))
        items[col.name] = cell.value
        texts[col.name] = cell.text
        st = cell.status
        given = (explicit_status or {}).get(col.name)
        if cell.value is None and given in ("未確認", "not_applicable", "not_reported"):
            st = str(given)
        status[col.name] = st
        if cell.problem:
            problems.append(Problem(col.name, cell.problem, cell.text, "code" if col.codes else "type"))
    if envelope.get("reporter_lg_code") is None:
        envelope["reporter_lg_code"] = envelope.get("lg_code")
        texts["reporter_lg_code"] = texts.get("lg_code")
    if envelope.get("subject_key") is None:
        derived = fields.derive_subject_key(rtype, items)
        envelope["subject_key"] = derived
        texts["subject_key"] = derived
    if envelope.get("report_id") is None:
        rid = str(uuid.uuid5(_NAMESPACE, f"{system['sha256']}:{row}"))
        envelope["report_id"] = rid
        texts["report_id"] = rid
    envelope["report_type"] = rtype
    texts["report_type"] = rtype
    for name in _REQUIRED_VALUES:
        if envelope.get(name) is None and not any(p.field == name for p in problems):
            problems.append(Problem(name, f"{_ENV[name].ja} ({name}) is required", None, "required"))
    envelope.update(system)
    texts.update({
        "received_at": system["received_at"].isoformat(), "channel": system["channel"],
        "sha256": system["sha256"], "source_file": system["source_file"],
    })
    sub = Submission(envelope, items, status, texts, problems, row)
    envelope["field_status"] = sub.field_status_json()
    texts["field_status"] = envelope["field_status"]
    ordered = {n: envelope.get(n) for n in fields.contract_columns(rtype) if n in envelope or n == "field_status"}
    sub.envelope = ordered
    return sub
