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

CORPORATIONS_WITH_LG_CODE = """
SELECT c.*, mc.lg_code, m.name AS municipality_name
FROM corporations AS c
LEFT JOIN municipality_codes AS mc ON mc.form = 'code5' AND mc.code = c.prefecture_code || c.city_code
LEFT JOIN municipalities AS m ON m.lg_code = mc.lg_code
""".strip()

#: view name -> (tables it needs, SELECT over those tables' views)
DERIVED: dict[str, tuple[frozenset[str], str]] = {
    "corporations_with_lg_code": (frozenset({"corporations", "municipality_codes", "municipalities"}),
                                  CORPORATIONS_WITH_LG_CODE),
}


def derived_views(tables: set[str]) -> dict[str, str]:
    """The derived views whose tables all exist (view name -> SELECT), in a fixed order."""
    return {name: sql for name, (needs, sql) in DERIVED.items() if needs <= tables}
