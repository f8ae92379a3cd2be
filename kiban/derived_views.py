"""Views derived from lake tables, added to ``kiban.duckdb`` and to every release's views files.

``corporations_with_lg_code``: every 法人 with the 全国地方公共団体コード (``lg_code``, 6 digits with check digit)
and the name of its municipality. The 国税庁 data gives 都道府県コード (2 digits) and 市区町村コード (3 digits, no
check digit); ``municipality_codes`` maps that 5-digit code (form ``code5``) to ``lg_code``. Both joins are on
primary keys (``municipality_codes``: form + code; ``municipalities``: lg_code), so every corporation appears
exactly once; ``lg_code`` is NULL for an address abroad or an unknown code. The same join in any engine::

    corporations c LEFT JOIN municipality_codes mc ON mc.form = 'code5' AND mc.code = c.prefecture_code || c.city_code
                   LEFT JOIN municipalities m ON m.lg_code = mc.lg_code
"""

from __future__ import annotations

from collections.abc import Callable


def _corporations_with_lg_code(ref: Callable[[str], str]) -> str:
    return (f"SELECT c.*, mc.lg_code, m.name AS municipality_name FROM {ref('corporations')} AS c "
            f"LEFT JOIN {ref('municipality_codes')} AS mc "
            f"ON mc.form = 'code5' AND mc.code = c.prefecture_code || c.city_code "
            f"LEFT JOIN {ref('municipalities')} AS m ON m.lg_code = mc.lg_code")


#: view name -> (tables it needs, description, SELECT over those tables given how to name a table)
DERIVED: dict[str, tuple[frozenset[str], str, Callable[[Callable[[str], str]], str]]] = {
    "corporations_with_lg_code": (
        frozenset({"corporations", "municipality_codes", "municipalities"}),
        "corporations with lg_code (全国地方公共団体コード) and municipality_name, joined through "
        "municipality_codes (form code5 = prefecture_code || city_code)",
        _corporations_with_lg_code),
}


def derived_views(tables: set[str], ref: Callable[[str], str] = lambda t: t) -> dict[str, str]:
    """The derived views whose tables all exist (view name -> SELECT), in a fixed order.

    ``ref`` names a table in the SELECT: the view of that name by default; a release's ``_at(root)`` macros
    pass the datasets' own SELECTs (in parentheses) to read every table under the same root.
    """
    return {name: sql(ref) for name, (needs, _, sql) in DERIVED.items() if needs <= tables}


def description(name: str) -> str:
    return DERIVED[name][1]
