"""Property: any valid report of any type, written in the submission template's formats -- CSV in UTF-8 (with the
BOM and the notes row, as the template is) and in CP932 (Excel's "CSV" in Japan), and XLSX -- parses back to the
same envelope, items and field status. Blank, 未確認 and ``-`` (not applicable) items included; envelope blanks
take their documented defaults.

The writer (``registries.reports.writers`` / ``template``) writes typed values; what the parser must return is
stated here from the documented cell rules (``registries.reports.cells``): text is NFKC-normalised and stripped,
timestamps are JST when written without an offset and come back in UTC, blank / 未確認 / ``-`` are NULL with
their own status.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registries.municipalities.codes import with_check_digit
from registries.reports import fields
from registries.reports.cells import JST
from registries.reports.parse import formula_like, parse
from registries.reports.template import template_bytes
from registries.reports.writers import csv_bytes
from schemas.contract import Column
from schemas.reports import SCHEMA_VERSION

RECEIVED = datetime(2026, 9, 14, 3, 0, tzinfo=UTC)
#: parse's namespace for report ids derived from (file sha256, record number): documented in its docstring
REPORT_ID_NAMESPACE = uuid.UUID("6f1d3c1e-2a4b-5c6d-8e9f-0a1b2c3d4e5f")
UNKNOWN, NA = "未確認", "-"
_MARKERS = {UNKNOWN, "", "-", "―", "ー", "‐", "—", "–", "−"}
_ENV = {c.name: c for c in fields.INPUT_ENVELOPE}
_OPTIONAL_ENVELOPE = ("report_id", "report_type", "schema_version", "reporter_lg_code", "subject_key",
                      "submitted_at", "sequence_no", "phase", "control", "update_type", "supersedes_report_id")


def _cp932_safe(c: str) -> bool:
    try:
        return c.encode("cp932").decode("cp932") == c
    except UnicodeError:
        return False


#: every character CP932 holds and gives back unchanged (ASCII, kana, 半角カナ, JIS kanji, ①, ㈱, ...)
CP932_CHARS = "".join(c for c in map(chr, range(0x20, 0x10000)) if _cp932_safe(c)) + "\n"
ANY_CHARS = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n")


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def free_text(alphabet) -> st.SearchStrategy[str]:
    """Text a reporter may type: anything but a marker once normalised (that is a different value) or a
    spreadsheet formula (refused with ``formula_cell``)."""
    chars = st.sampled_from(alphabet) if isinstance(alphabet, str) else alphabet
    return st.text(chars, min_size=1, max_size=16).filter(
        lambda t: norm(t) not in _MARKERS and not formula_like(norm(t)))  # formulas are refused, by rule


moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30),
                       timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0))
lg_codes = st.text("0123456789", min_size=5, max_size=5).map(with_check_digit)


def value_of(col: Column, alphabet) -> st.SearchStrategy[object]:
    """A valid value for ``col`` as the writer takes it (typed Python values)."""
    if col.codes is not None:
        return st.sampled_from(sorted(col.codes.codes))
    if col.name.endswith("lg_code"):
        return lg_codes
    if col.name == "year_month":
        return st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1900, 2199), st.integers(1, 12))
    if col.name == "schema_version":
        return st.builds(lambda a, b, c: f"{a}.{b}.{c}", *(st.integers(0, 99),) * 3)
    if col.type in ("int32", "int64"):
        lo = col.min_value if col.min_value is not None else 0
        hi = col.max_value if col.max_value is not None else (2**31 - 1 if col.type == "int32" else 10**15)
        return st.integers(int(lo), int(hi))
    if col.type == "double":
        lo = col.min_value if col.min_value is not None else 0.0
        hi = col.max_value if col.max_value is not None else 1e12
        # what a reporter can type: Excel keeps 15 significant digits, so a number has at most 15
        return st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False).map(
            lambda x: min(max(float(f"{x:.15g}"), float(lo)), float(hi)))
    if col.type == "bool":
        return st.booleans()
    if col.type == "timestamp":
        return moments
    if col.type == "date":
        return st.dates(date(1900, 1, 2), date(2199, 12, 30))
    return free_text(alphabet)


@st.composite
def reports(draw, report_type: str, alphabet) -> dict[str, object]:
    """One valid report: required envelope values present, optional ones sometimes blank, items anything."""
    row: dict[str, object] = {}
    for col in fields.INPUT_ENVELOPE:
        value = draw(value_of(col, alphabet))
        if col.name in _OPTIONAL_ENVELOPE and draw(st.booleans()):
            value = None
        row[col.name] = value
    row["report_type"] = draw(st.sampled_from([report_type, None]))
    if row["sequence_no"] is not None:
        row["sequence_no"] = draw(st.integers(1, 2**31 - 1))
    for col in fields.item_columns(report_type):
        row[col.name] = draw(st.one_of(value_of(col, alphabet), st.sampled_from([None, UNKNOWN, NA])))
    if row["subject_key"] is None and expected(row, report_type)[1]["subject_key"] is None:
        row["subject_key"] = draw(free_text(alphabet))  # a report needs a subject key: given or derived
    return row


def _item(col: Column, written: object) -> tuple[object, str]:
    if written is None:
        return None, "not_reported"
    if written == UNKNOWN:
        return None, UNKNOWN
    if written == NA:
        return None, "not_applicable"
    if isinstance(written, str) and col.codes is None:
        return norm(written), "reported"
    return written, "reported"


def expected(row: dict, report_type: str) -> tuple[dict, dict, dict]:
    """(items, envelope, field_status) the parser must return for ``row`` (report_id aside when blank)."""
    items, status = {}, {}
    for col in fields.item_columns(report_type):
        items[col.name], status[col.name] = _item(col, row[col.name])

    def text(name: str) -> str | None:
        return None if row[name] is None else norm(str(row[name]))

    env = {
        "report_type": report_type,
        "schema_version": text("schema_version") or SCHEMA_VERSION,
        "lg_code": row["lg_code"],
        "reporter_lg_code": row["reporter_lg_code"] or row["lg_code"],
        "subject_key": text("subject_key") or fields.derive_subject_key(report_type, items),
        "as_of": row["as_of"],
        "submitted_at": row["submitted_at"],
        "sequence_no": row["sequence_no"] or 1,
        "phase": row["phase"] or "速報",
        "control": row["control"] or "正規",
        "update_type": row["update_type"] or "新規",
        "supersedes_report_id": text("supersedes_report_id"),
        "report_id": text("report_id"),
    }
    return items, env, status


def assert_round_trip(data: bytes, filename: str, report_type: str, rows: list[dict]) -> None:
    subs = parse(data, filename, received_at=RECEIVED)
    assert len(subs) == len(rows), filename
    digest = hashlib.sha256(data).hexdigest()
    for i, (sub, row) in enumerate(zip(subs, rows, strict=True), start=1):
        items, env, status = expected(row, report_type)
        if env["report_id"] is None:
            env["report_id"] = str(uuid.uuid5(REPORT_ID_NAMESPACE, f"{digest}:{i}"))
        assert sub.problems == [], (filename, sub.problems)
        assert sub.source_row == i
        assert {k: sub.envelope[k] for k in env} == env, filename
        assert sub.items == items, filename
        assert sub.field_status == status, filename
        assert (sub.envelope["received_at"], sub.envelope["sha256"]) == (RECEIVED, digest)


@st.composite
def files(draw, alphabet) -> tuple[str, list[dict]]:
    report_type = draw(st.sampled_from(fields.REPORT_TYPES))
    return report_type, draw(st.lists(reports(report_type, alphabet), min_size=1, max_size=3))


@settings(max_examples=max(5, settings.default.max_examples // 4))
@given(files(CP932_CHARS))
def test_a_report_in_cp932_characters_round_trips_through_csv_utf8_csv_cp932_and_xlsx(file):
    report_type, rows = file
    assert_round_trip(template_bytes(report_type, "csv", rows), "r.csv", report_type, rows)
    assert_round_trip(csv_bytes(report_type, rows, encoding="cp932", notes=False), "r-sjis.csv", report_type, rows)
    assert_round_trip(template_bytes(report_type, "xlsx", rows), "r.xlsx", report_type, rows)


@settings(max_examples=max(5, settings.default.max_examples // 4))
@given(files(ANY_CHARS))
def test_a_report_in_any_characters_round_trips_through_csv_utf8_and_xlsx(file):
    report_type, rows = file
    assert_round_trip(template_bytes(report_type, "csv", rows), "r.csv", report_type, rows)
    assert_round_trip(csv_bytes(report_type, rows, encoding="utf-8", notes=False, header="en"), "r-en.csv",
                      report_type, rows)
    assert_round_trip(template_bytes(report_type, "xlsx", rows), "r.xlsx", report_type, rows)


def test_timestamps_are_written_in_jst():
    """The premise of the round trip: the writer's wall-clock text is JST (read back as JST by the parser)."""
    t = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)
    text = template_bytes("shelter_status", "csv", [{"as_of": t}]).decode("utf-8-sig")
    assert (t.astimezone(JST) - t.astimezone(JST).utcoffset()).replace(tzinfo=None) == datetime(2026, 9, 14, 1, 0)
    assert "2026-09-14 10:00" in text and timedelta(hours=9) == JST.utcoffset(None)
