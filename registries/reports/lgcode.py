"""全国地方公共団体コード helpers used by validation (no import-time dependency on the municipality master).

The caller supplies the master as a mapping ``lg_code -> (valid_from, valid_to, prefecture_code)`` or a callable
returning that tuple (None when unknown). ``valid_to`` is exclusive (the first day the code is no longer valid);
None means still active.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

LgEntry = tuple[date | None, date | None, str]
LgMaster = Mapping[str, LgEntry] | Callable[[str], LgEntry | None]

_WEIGHTS = (6, 5, 4, 3, 2)
_SIX = re.compile(r"[0-9]{6}")


def check_digit(first5: str) -> int:
    """cd = (11 − (6·d1+5·d2+4·d3+3·d4+2·d5) mod 11) mod 10."""
    return (11 - sum(w * int(d) for w, d in zip(_WEIGHTS, first5, strict=True)) % 11) % 10


def is_well_formed(code: str | None) -> bool:
    """6 ASCII digits with a correct 検査数字 (``str.isdigit`` would also take ０-９ and ², which crashed ``int``)."""
    return isinstance(code, str) and _SIX.fullmatch(code) is not None and check_digit(code[:5]) == int(code[5])


def prefecture_code(code: str) -> str:
    """The prefecture's own lg_code: its 2 digits + '000' + check digit (e.g. 13 -> 130001)."""
    head = code[:2] + "000"
    return head + str(check_digit(head))


def lookup(master: LgMaster, code: str) -> LgEntry | None:
    if callable(master):
        return master(code)
    return master.get(code)


def active_on(entry: LgEntry, day: date) -> bool:
    start, end, _ = entry
    return (start is None or start <= day) and (end is None or day < end)
