"""Expected reporters (報告すべき団体): the 1,741 市区町村 (市・町・村・特別区・政令指定都市; no 政令市の区, no 北方領土).

Taken from the lake's ``municipalities`` table when it is loaded (current rows), else from the master bundled
with the repo (:func:`registries.reports.scenario`-compatible: same 1,741 codes).
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa

REPORTER_TYPES = ("city", "town", "village", "special_ward", "designated_city")
SCHEMA = pa.schema([("lg_code", pa.string()), ("prefecture_code", pa.string()), ("prefecture_name", pa.string()),
                    ("name", pa.string())])


@lru_cache(maxsize=1)
def bundled() -> pa.Table:
    from registries.municipalities.resolve import bundled_master

    rows = [m for m in bundled_master()
            if m.type in REPORTER_TYPES and m.valid_to is None and not m.is_northern_territories]
    rows.sort(key=lambda m: m.lg_code)
    return pa.table({"lg_code": [m.lg_code for m in rows], "prefecture_code": [m.prefecture_code for m in rows],
                     "prefecture_name": [m.prefecture_name for m in rows], "name": [m.name for m in rows]},
                    schema=SCHEMA)


def _has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal",
                            [name]).fetchone()[0]
                or con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def expected_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """``(lg_code, prefecture_code, prefecture_name, name)`` of every expected reporter, sorted by lg_code."""
    if _has(con, "municipalities"):
        types = ", ".join(f"'{t}'" for t in REPORTER_TYPES)
        table = con.execute(
            "SELECT lg_code, prefecture_code, prefecture_name, name FROM municipalities "
            f"WHERE valid_to IS NULL AND type IN ({types}) AND NOT is_northern_territories ORDER BY lg_code"
        ).to_arrow_table()
        if table.num_rows:
            return table.cast(SCHEMA)
    return bundled()


def has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return _has(con, name)
