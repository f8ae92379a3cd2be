"""The numbers after the 町字: 街区符号・住居番号 (``8番15号``) or 地番 (``482番地の2``), in one form ``8-15``.

Applied to what follows the matched 町字 only (``一番町``, ``番町`` and ``五の通り`` are names, not numbers).
:func:`split_numbers` returns up to three numbers and the text after each, so the matcher can keep whatever the
ABR does not know in ``others`` (``1-3-2`` against a 住居 ``1-3`` leaves ``-2``). The first number may be a
capital letter (大阪市中央区上町 ``A-5``: a 街区符号).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registries.abr.matching.rules import Regex, Rule, apply, to_sql

_SEP = "(?:丁目|番地の|番地|番の|番|号の|号|の|ノ|之|丿|-)"

NUMBER_RULES: tuple[Rule, ...] = (
    Regex(f"^(?:{_SEP}| )+([0-9])", r"\1"),
    Regex(f"([0-9]) ?{_SEP} ?([0-9])", r"\1-\2", times=2),
)

#: first number (digits, or one capital letter followed by a dash), then up to two more
NUMBER_PATTERN = r"^([0-9]+|[A-Z])(?:-([0-9]+))?(?:-([0-9]+))?"
#: a number directly followed by this is a room, building or floor (302号室, 1番館, 2号棟, 3階), not an address
ROOM_PATTERN = r"^(?:番|号)?[室棟館階]"
#: a unit after the last matched number is dropped, unless it belongs to a room or building (号室, 番館)
UNIT_PATTERN = r"^(?:番地|番|号)([^室棟館階号]|$)"


def normalise_numbers(rest: str) -> str:
    return apply(NUMBER_RULES, rest)


def normalise_numbers_sql(expr: str) -> str:
    return to_sql(NUMBER_RULES, expr)


@dataclass(frozen=True)
class Numbers:
    """Up to three numbers and the text left after one, two or three of them."""

    n1: str | None
    n2: str | None
    n3: str | None
    after: tuple[str, str, str, str]  # rest after 0, 1, 2, 3 numbers

    def rest(self, used: int) -> str:
        return self.after[used]


def strip_unit(text: str) -> str:
    return re.sub(UNIT_PATTERN, r"\1", text).strip()


def split_numbers(rest: str) -> Numbers:
    """``'8番15号 ビル'`` -> n1 ``8``, n2 ``15``, rests ``('8-15 ビル', '-15 ビル', 'ビル', 'ビル')``."""
    text = normalise_numbers(rest.strip())
    m = re.match(NUMBER_PATTERN, text)
    if m is None:
        return Numbers(None, None, None, (text, text, text, text))
    nums = [m.group(1), m.group(2), m.group(3)]
    ends = [0]
    for i, n in enumerate(nums):
        end = ends[-1] + (len(n) + (1 if i else 0) if n else 0)
        if n and re.match(ROOM_PATTERN, text[end:]):
            nums[i:] = [None] * (3 - i)
            end = ends[-1]
        ends.append(end)
    n1, n2, n3 = nums
    if n1 is None:
        return Numbers(None, None, None, (text, text, text, text))
    after = tuple(text if e == 0 else strip_unit(text[e:]) for e in ends)
    return Numbers(n1, n2, n3, after)  # type: ignore[arg-type]
