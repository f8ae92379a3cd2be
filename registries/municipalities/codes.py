"""全国地方公共団体コード: 検査数字 (check digit) and the code forms used by the other sources.

The 6-digit 団体コード is the 2-digit 都道府県コード (JIS X 0401), the 3-digit 市区町村コード (JIS X 0402) and a
検査数字::

    s  = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5
    cd = (11 − s mod 11) mod 10        # remainder 0 -> 1, remainder 1 -> 0

Source: 総務省 「全国地方公共団体コードの検査数字の計算方法」 (https://www.soumu.go.jp/main_content/000137948.pdf).
Sources write the code in different forms: NTA 法人番号 as 都道府県 2 digits + 市区町村 3 digits, reinfolib and
MOJ 地図XML as 5 digits, ABR and 総務省 as 6 digits; :func:`to_lg_code` maps all of them to the 6-digit form.
"""

from __future__ import annotations

import re

_WEIGHTS = (6, 5, 4, 3, 2)
_FIVE = re.compile(r"[0-9]{5}")  # ASCII digits only, as the SQL forms (\d would take ０-９, ٣)
_SIX = re.compile(r"[0-9]{6}")


def check_digit(code5: str) -> int:
    """検査数字 of a 5-digit 団体コード (``'13101'`` -> ``6``)."""
    if not _FIVE.fullmatch(code5):
        raise ValueError(f"not a 5-digit 団体コード: {code5!r}")
    s = sum(w * int(d) for w, d in zip(_WEIGHTS, code5, strict=True))
    return (11 - s % 11) % 10


def with_check_digit(code5: str) -> str:
    """``'13101'`` -> ``'131016'``."""
    return f"{code5}{check_digit(code5)}"


def is_valid_lg_code(code: str | None) -> bool:
    """True iff ``code`` is 6 digits whose last digit is the 検査数字 of the first five."""
    if code is None or not _SIX.fullmatch(code):
        return False
    return int(code[5]) == check_digit(code[:5])


def normalise_code_cell(value: object, width: int = 6) -> str:
    """A code cell as read from Excel: floats that lost their leading zeros (``431052.0``) become ``'431052'``."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"code cell is not an integer: {value!r}")
        return str(int(value)).zfill(width)
    if isinstance(value, int):
        return str(value).zfill(width)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text.zfill(width) if text.isdigit() else text


def to_lg_code(code: str, city: str | None = None) -> str:
    """Any code form -> the 6-digit 団体コード with 検査数字.

    Accepted: ``to_lg_code('13', '101')`` (NTA 都道府県コード + 市区町村コード), ``'13101'`` (5 digits),
    ``'131016'`` (6 digits; the check digit is verified), ``'13'`` (a prefecture: ``'130001'``).
    Raises ``ValueError`` for anything else.
    """
    code = code.strip()
    if city is not None:
        city = city.strip()
        if not (re.fullmatch(r"[0-9]{1,2}", code) and re.fullmatch(r"[0-9]{1,3}", city)):
            raise ValueError(f"not a 都道府県コード + 市区町村コード pair: {code!r}, {city!r}")
        return with_check_digit(code.zfill(2) + city.zfill(3))
    if _SIX.fullmatch(code):
        if not is_valid_lg_code(code):
            raise ValueError(f"団体コード {code!r} fails the 検査数字 (expected {check_digit(code[:5])})")
        return code
    if _FIVE.fullmatch(code):
        return with_check_digit(code)
    if re.fullmatch(r"[0-9]{2}", code):
        return with_check_digit(code + "000")
    raise ValueError(f"not a 団体コード form: {code!r}")


def check_digit_sql(col: str) -> str:
    """DuckDB expression: the 検査数字 (INTEGER) of the first five characters of ``col``.

    NULL when those characters are not all digits, so it can be pushed down safely on dirty data.
    """
    digits = [f"TRY_CAST(substr({col}, {i + 1}, 1) AS INTEGER)" for i in range(5)]
    s = " + ".join(f"{w} * {d}" for w, d in zip(_WEIGHTS, digits, strict=True))
    return f"((11 - (({s}) % 11)) % 10)"


def lg_code_valid_sql(col: str) -> str:
    """DuckDB boolean expression: ``col`` is 6 digits with a correct 検査数字 (NULL input -> false)."""
    return (
        f"(coalesce(regexp_full_match({col}, '[0-9]{{6}}'), false) "
        f"AND TRY_CAST(substr({col}, 6, 1) AS INTEGER) = {check_digit_sql(col)})"
    )
