from __future__ import annotations

import random

import duckdb
import pytest

from registries.corporate.checkdigit import (
    check_digit_sql,
    compute_check_digit,
    is_valid_corporate_number,
    make_corporate_number,
)

VERIFIED = ["7000012050002", "1180301018771", "5180001008846", "1000013050238", "1280001002413"]


@pytest.mark.parametrize("number", VERIFIED)
def test_verified_examples(number: str) -> None:
    assert is_valid_corporate_number(number)
    assert compute_check_digit(number[1:]) == int(number[0])
    assert make_corporate_number(number[1:]) == number


@pytest.mark.parametrize("number", VERIFIED)
def test_every_other_leading_digit_is_invalid(number: str) -> None:
    for d in "0123456789":
        if d != number[0]:
            assert not is_valid_corporate_number(d + number[1:])


@pytest.mark.parametrize("bad", ["", "700001205000", "70000120500021", "700001205000a", "７000012050002", None])
def test_malformed_is_invalid(bad: str | None) -> None:
    assert not is_valid_corporate_number(bad)


def test_compute_rejects_bad_base() -> None:
    with pytest.raises(ValueError):
        compute_check_digit("12345")


def test_sql_expression_equals_python() -> None:
    rng = random.Random(7)
    numbers = [make_corporate_number(f"{rng.randrange(10**12):012d}") for _ in range(3000)]
    numbers += [f"{rng.randrange(10**13):013d}" for _ in range(3000)]  # mostly invalid
    numbers += VERIFIED + ["123", "12345678901a3", "", "11111111111111"]
    # text an integer cast would accept, or digits that are not ASCII: never a valid number
    numbers += ["７000012050002", "+700001205000", " 7000012050002", "7000012050002 ", "700001205000٣",
                "7_00001205000", "70000120500.2", "7.000012050e12", "-700001205000"]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (n VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(n,) for n in numbers])
    got = dict(con.execute(f"SELECT n, {check_digit_sql('n')} FROM t").fetchall())
    assert got == {n: is_valid_corporate_number(n) for n in numbers}
    assert sum(got.values()) >= 3000
    assert con.execute(f"SELECT {check_digit_sql('NULL::VARCHAR')}").fetchone() == (None,)
