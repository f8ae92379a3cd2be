"""Properties of the change-feed cursor (``kiban.releases.changes.Cursor``): ``"42"`` or ``"41.500"``.

A cursor is the last snapshot fully consumed (-1: nothing yet; DuckLake snapshot ids are BIGINT) and an offset
into the changes after it. Any cursor survives its text form; any other text -- from a client's ``since`` --
is refused with ``BadCursor`` (HTTP 400), never another exception.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kiban.releases.changes import BadCursor, Cursor

BIGINT_MAX = 2**63 - 1
#: 18 digits: every id and offset a lake reaches, well inside BIGINT
LIMIT = 10**18 - 1
cursors = st.builds(Cursor, st.integers(-1, LIMIT), st.integers(0, LIMIT))
#: the documented grammar, ASCII digits only
CANONICAL = re.compile(r"(-1|[0-9]+)(\.[0-9]+)?")


@given(cursors)
def test_any_cursor_survives_its_text_form(c):
    text = str(c)
    assert Cursor.parse(text) == c
    assert CANONICAL.fullmatch(text)
    assert (c.offset == 0) == ("." not in text)


def _near_miss(c: Cursor, junk: str, at: int) -> str:
    text = str(c)
    return text[:at] + junk + text[at:]


texts = st.one_of(
    st.text(max_size=24),
    st.text(alphabet="0123456789.-+ e_,x٣０²", max_size=24),
    st.builds(_near_miss, cursors, st.sampled_from(["x", ".", "..", "-", "+", "٣", "０", " 1", "e3", "_"]),
              st.integers(0, 40)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(2, 6000).map(lambda n: "9" * n),
)


@given(texts)
@example("42")
@example("41.500")
@example("-1")
@example("")
@example(" 7 ")
@example("-2")
@example("٤٢")  # Arabic-Indic digits
@example("42.")
@example(".5")
@example("9" * 5000)  # past Python's int() digit limit
@example(str(BIGINT_MAX + 1))
@example(f"1.{BIGINT_MAX + 1}")
def test_any_text_is_a_cursor_or_a_bad_cursor(text):
    try:
        c = Cursor.parse(text)
    except BadCursor as exc:
        assert "invalid cursor" in str(exc)
        return
    except Exception as exc:  # noqa: BLE001 -- the property: no other exception, whatever the text
        pytest.fail(f"Cursor.parse({text[:40]!r}...) raised {type(exc).__name__}: {exc}")
    # accepted: the documented grammar, values a DuckLake snapshot id / OFFSET can take, and stable
    stripped = text.strip()
    assert stripped == "" or CANONICAL.fullmatch(stripped), text
    assert -1 <= c.snapshot <= LIMIT and 0 <= c.offset <= LIMIT
    assert Cursor.parse(str(c)) == c
    if stripped == "":
        assert c == Cursor(-1)


def test_none_and_blank_mean_from_the_start():
    assert Cursor.parse(None) == Cursor.parse("") == Cursor(-1, 0)
