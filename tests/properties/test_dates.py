"""Properties of date and timestamp parsing: submissions (``registries.reports.cells``) and the date
castability check of the Great Expectations suites (``quality.suite``: a date is strict ``YYYY-MM-DD`` and real).

- the GE check, in both of its compiled forms (one check per column, and one per kind over all columns), accepts
  exactly the strict ISO texts of real dates 0001-01-01 .. 9999-12-31 -- Python's verdict -- and nothing else:
  not 2026-02-30, 2026-13-01, the unpadded 2026-1-5, padded with spaces, or the year 0000;
- a submitted cell accepts every real date in every documented form (ISO, ``2026/9/12``, ``2026年9月12日``,
  全角 digits), rejects every impossible one, and what it accepts is staged as text the GE check accepts;
- a submitted timestamp in any documented form reads back as the same instant; any text gets a verdict (a
  timestamp or None), never an exception; an accepted one is staged as text DuckDB casts to the same instant.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quality.runner import validate
from quality.suite import column_conditions
from registries.reports.cells import JST, convert, parse_date, parse_timestamp
from schemas.contract import Column, Contract

STRICT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_COLUMN = Column("d", "date", "日付", "a date")


def python_verdict(text: str) -> bool:
    """Strict ISO form and a real date (Python's calendar: years 1..9999)."""
    if not STRICT.fullmatch(text):
        return False
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False
    return True


real_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def _is_real(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


impossible = st.tuples(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)).filter(
    lambda t: not _is_real(*t))
near_iso = st.one_of(
    real_dates.map(date.isoformat),
    impossible.map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"),
    real_dates.map(lambda d: f"{d.year}-{d.month}-{d.day}"),  # unpadded
    real_dates.map(lambda d: f"{d.year:04d}/{d.month:02d}/{d.day:02d}"),
    st.tuples(real_dates, st.sampled_from([" ", "\t", "T00:00", "Z", "0", "-", "x"]), st.booleans()).map(
        lambda t: t[1] + t[0].isoformat() if t[2] else t[0].isoformat() + t[1]),
    real_dates.map(lambda d: unicodedata.normalize("NFKC", d.isoformat()).translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))),
    st.text(alphabet="0123456789-/ ", max_size=12),
    st.text(max_size=12),
)


# ---------------------------------------------------------------- the GE check, compiled per kind (SQL)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


KIND_VIOLATION = column_conditions(DATE_COLUMN)["columns__castable"]


@given(st.lists(near_iso, min_size=1, max_size=50))
@example(["2026-02-30", "2026-13-01", "2026-1-5", "2026-01-05", "0000-01-01", " 2026-01-05", "2024-02-29",
          "2023-02-29", "9999-12-31", "0001-01-01"])
def test_the_kind_castable_check_accepts_exactly_real_strict_iso_dates(con, texts):
    rows = con.execute(
        f"SELECT {KIND_VIOLATION} FROM (SELECT unnest(?::VARCHAR[]) AS d, generate_subscripts(?::VARCHAR[], 1) AS i) "
        "ORDER BY i", [texts, texts]).fetchall()
    assert {t: not r[0] for t, r in zip(texts, rows, strict=True)} == {t: python_verdict(t) for t in texts}


# ---------------------------------------------------------------- the GE check, per column (GE on DuckDB)


def _contract(checks: str) -> Contract:
    return Contract(name=f"dates_{checks}", version="1.0.0", title_ja="日付", title_en="dates", description="",
                    columns=(DATE_COLUMN,), checks=checks)


def _failing_rows(tmp_path, checks: str, texts: list[str]) -> set[int]:
    """Run the generated GE suite on ``texts`` as a staged file; the rows its castable check names."""
    file = tmp_path / f"staged_{checks}.parquet"
    pq.write_table(pa.table({"d": pa.array(texts, pa.string()),
                             "_source_row": pa.array(range(1, len(texts) + 1), pa.int64())}), file)
    report = validate(_contract(checks), file, source_file="dates.csv", sample_size=1000)
    (castable,) = [r for r in report.results if r.name in ("d__castable", "columns__castable")]
    assert castable.error is None
    return {s["row"] for s in castable.samples}


@settings(max_examples=max(3, settings.default.max_examples // 20))
@given(st.lists(near_iso, min_size=1, max_size=60))
@example(["2026-02-30", "2026-13-01", "2026-1-5", "2026-01-05", "0000-01-01", " 2026-01-05", "2024-02-29"])
def test_the_generated_ge_suites_accept_exactly_real_strict_iso_dates(tmp_path_factory, texts):
    tmp = tmp_path_factory.mktemp("ge")
    want = {i for i, t in enumerate(texts, start=1) if not python_verdict(t)}
    for checks in ("column", "kind"):
        assert _failing_rows(tmp, checks, texts) == want, checks


# ---------------------------------------------------------------- submissions: cells.parse_date


def _forms(d: date) -> list[str]:
    """The documented input forms of one date."""
    y, m, dd = f"{d.year:04d}", d.month, d.day
    out = [d.isoformat(), f"{y}/{m}/{dd}", f"{y}-{m}-{dd}", f"{y}/{m:02d}/{dd:02d}", f"{y}年{m}月{dd}日",
           f"{y}.{m}.{dd}", f"{d.isoformat()} 00:00", f"{d.isoformat()}T00:00:00"]
    return out + [t.translate(str.maketrans("0123456789/-", "０１２３４５６７８９／－")) for t in out[:3]]


@given(real_dates)
def test_a_real_date_in_every_submitted_form_is_accepted_and_staged_as_strict_iso(d):
    for text in _forms(d):
        assert parse_date(text) == d, text
        cell = convert(DATE_COLUMN, text)
        assert (cell.value, cell.text, cell.problem) == (d, d.isoformat(), None)
        assert python_verdict(cell.text)


@given(impossible)
@example((2026, 2, 30))
@example((2026, 13, 1))
@example((2023, 2, 29))
@example((0, 1, 1))
def test_an_impossible_date_is_rejected_in_every_form_as_a_problem_not_an_exception(t):
    y, m, d = t
    for text in (f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}/{m}/{d}", f"{y:04d}年{m}月{d}日"):
        assert parse_date(text) is None, text
        cell = convert(DATE_COLUMN, text)
        assert cell.value is None and cell.problem and cell.text == text


@given(near_iso)
def test_python_and_duckdb_agree_on_strict_iso_text(con, text):
    """On text in the strict form, the submission parser and DuckDB's strict check give the same verdict."""
    duck = not con.execute(f"SELECT {KIND_VIOLATION} FROM (SELECT ?::VARCHAR AS d)", [text]).fetchone()[0]
    assert duck == python_verdict(text)
    if STRICT.fullmatch(text):
        assert (parse_date(text) is not None) == duck


# ---------------------------------------------------------------- submissions: cells.parse_timestamp

moments = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30),
                       timezones=st.sampled_from([UTC, JST, timezone(timedelta(hours=-5)),
                                                  timezone(timedelta(hours=5, minutes=45))]))


def _ts_forms(t: datetime) -> list[str]:
    local = t.astimezone(JST)
    off = t.strftime("%z")
    hm = f"{local:%Y}-{local:%m}-{local:%d} {local:%H}:{local:%M}"
    return [
        t.isoformat(),
        f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}{off[:3]}:{off[3:]}",
        f"{local:%Y/%m/%d %H:%M:%S}.{local.microsecond:06d}",  # no offset: JST
        f"{local:%Y}年{local.month}月{local.day}日 {local.hour}時{local.minute:02d}分:{local.second:02d}.{local.microsecond:06d}",
        f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}{'Z' if t.utcoffset() == timedelta(0) else off}",
        hm + f":{local:%S}.{local.microsecond:06d}",
    ]


@given(moments)
def test_a_real_timestamp_in_every_submitted_form_reads_back_as_the_same_instant(con, t):
    for text in _ts_forms(t):
        got = parse_timestamp(text)
        assert got == t and got.tzinfo is UTC, text
        staged = convert(Column("ts", "timestamp", "日時", "ts"), text).text
        back = con.execute("SELECT TRY_CAST(? AS TIMESTAMPTZ) = ?::TIMESTAMPTZ", [staged, t.isoformat()]).fetchone()
        assert back == (True,), staged


timestampish = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-/: T.+Z年月日時分", max_size=40),
    st.tuples(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
              st.sampled_from(["", "Z", "+09:00", "-0500", "+99:00", "-24:00", "+23:59", "+00:99"])).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d} {t[3]:02d}:{t[4]:02d}{t[5]}"),
)


@given(timestampish)
@example("0001-01-01 00:00")  # JST midnight of year 1 is before datetime.min in UTC
@example("9999-12-31 23:00-09:00")  # after datetime.max in UTC
@example("2026-09-12 10:00+99:00")  # an offset datetime cannot hold
@example("2026-02-30 10:00")
@example("2026-09-12 24:00")
def test_any_text_gets_a_timestamp_or_none_never_an_exception(con, text):
    got = parse_timestamp(text)
    if got is None:
        cell = convert(Column("ts", "timestamp", "日時", "ts"), text)
        assert cell.value is None and (cell.problem or cell.status != "reported")
        return
    assert got.tzinfo is UTC
    back = con.execute("SELECT TRY_CAST(? AS TIMESTAMPTZ) = ?::TIMESTAMPTZ",
                       [got.isoformat(), got.isoformat()]).fetchone()
    assert back == (True,)
