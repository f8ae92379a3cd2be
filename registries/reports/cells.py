"""Cell normalisation: one submitted value -> typed value + field status + staging text.

Rules (documented for reporters in the template notes):

- every text value is NFKC-normalised first, so 全角 digits/letters are accepted (``１２３`` -> 123);
- blank (empty or whitespace) -> NULL, status ``not_reported`` (未記入);
- ``未確認`` -> NULL, status ``未確認``: an unknown value is never read as 0;
- ``-`` (also ``－ ― ‐ ー —``) -> NULL, status ``not_applicable`` (該当なし);
- numbers may carry thousands separators (``1,234``); counts must be whole numbers;
- times without an offset are JST (+09:00) and are returned in UTC; ``2026/9/12 10:00``,
  ``2026-09-12T10:00:00+09:00`` and ``2026年9月12日 10時00分`` are accepted;
- booleans: はい/いいえ, あり/なし, 有/無, 可/不可, ○/×, true/false, 1/0;
- code columns accept the code or its Japanese label (業務 ``住民基本台帳`` -> ``01``).

A value that cannot be converted keeps its text, converts to NULL and carries a ``problem`` (a blocking
validation error later, never an exception).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from schemas.contract import Column

JST = timezone(timedelta(hours=9), "JST")
UNKNOWN = "未確認"
_NA = {"-", "―", "ー", "‐", "—", "–", "−"}
_TRUE = {"true", "1", "はい", "あり", "有", "可", "○", "◯", "yes", "y", "t"}
_FALSE = {"false", "0", "いいえ", "なし", "無", "不可", "×", "no", "n", "f"}
_TS = re.compile(
    r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:時](\d{1,2})分?(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


@dataclass(frozen=True)
class Cell:
    """value: typed value or None; status: field status; text: staging text (None when NULL)."""

    value: object
    status: str
    text: str | None
    problem: str | None = None


def to_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return unicodedata.normalize("NFKC", str(raw)).strip()


def parse_timestamp(raw: object) -> datetime | None:
    """JST-naive or offset-aware input -> aware UTC datetime; None when not a timestamp."""
    if isinstance(raw, datetime):
        dt = raw
    elif isinstance(raw, date):
        dt = datetime(raw.year, raw.month, raw.day)
    else:
        text = to_text(raw)
        m = _TS.fullmatch(text)
        if not m:
            return None
        y, mo, d, h, mi, s, frac, off = m.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                          int((frac or "0").ljust(6, "0")))
            if off:
                off = "+00:00" if off == "Z" else off
                sign = 1 if off[0] == "+" else -1
                digits = off[1:].replace(":", "")
                dt = dt.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
        except ValueError:  # 2026-02-30, 24:00, an offset of 24 hours or more
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=JST)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 JST is before datetime.min in UTC
        return None


def parse_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    m = re.fullmatch(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]0{1,2}:0{2}(?::0{2})?)?", to_text(raw))
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _number(text: str) -> str:
    return text.replace(",", "").replace(" ", "")


def _code(col: Column, raw: object, text: str) -> Cell:
    table = col.codes
    assert table is not None
    if text in table.codes:
        return Cell(text, "reported", text)
    if isinstance(raw, int | float) or text.isdigit():
        # Excel drops zero padding: 1 -> '01'
        width = max((len(k) for k in table.codes if k.isdigit()), default=0)
        padded = text.zfill(width) if text.isdigit() else text
        if padded in table.codes:
            return Cell(padded, "reported", padded)
    for code, label in table.codes.items():
        if text == label or text == unicodedata.normalize("NFKC", label):
            return Cell(code, "reported", code)
    m = re.fullmatch(r"(?:レベル|level)\s*(\d)", text, re.IGNORECASE)
    if m and m[1] in table.codes:
        return Cell(m[1], "reported", m[1])
    return Cell(None, "reported", text, f"{text!r} is not in code table {table.name} ({', '.join(table.codes)})")


def convert(col: Column, raw: object) -> Cell:
    """Convert one submitted value for ``col`` (see the module docstring for the rules)."""
    if raw is None:
        return Cell(None, "not_reported", None)
    if isinstance(raw, bool) and col.type == "bool":
        return Cell(raw, "reported", "true" if raw else "false")
    text = to_text(raw)
    if text == "":
        return Cell(None, "not_reported", None)
    if text == UNKNOWN:
        return Cell(None, UNKNOWN, None)
    if text in _NA:
        return Cell(None, "not_applicable", None)
    if col.codes is not None:
        return _code(col, raw, text)
    kind = col.type
    if kind in ("int32", "int64"):
        num = _number(text)
        try:
            value = float(num) if re.fullmatch(r"[+-]?\d+\.0*", num) else int(num)
            return Cell(int(value), "reported", str(int(value)))
        except ValueError:
            return Cell(None, "reported", text, f"{text!r} is not a whole number")
    if kind == "double":
        try:
            value = float(_number(text))
        except ValueError:
            return Cell(None, "reported", text, f"{text!r} is not a number")
        return Cell(value, "reported", repr(value))
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return Cell(True, "reported", "true")
        if low in _FALSE:
            return Cell(False, "reported", "false")
        return Cell(None, "reported", text, f"{text!r} is not a yes/no value")
    if kind == "timestamp":
        ts = parse_timestamp(raw)
        if ts is None:
            return Cell(None, "reported", text, f"{text!r} is not a date-time")
        return Cell(ts, "reported", ts.isoformat())
    if kind == "date":
        d = parse_date(raw)
        if d is None:
            return Cell(None, "reported", text, f"{text!r} is not a date")
        return Cell(d, "reported", d.isoformat())
    if col.name.endswith("lg_code") and isinstance(raw, int) and not isinstance(raw, bool):
        text = f"{raw:06d}"  # Excel numeric cell lost the leading zero
    return Cell(text, "reported", text)
