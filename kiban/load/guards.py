"""Guards on what a load may do to published state.

A file that replaces a scope of a table (ABR per 全国/都道府県/市区町村, 地図XML per 地図) could wipe or gut it
when it arrives empty or cut short but well-formed (a header-only ``mt_town_all.csv.zip``). Such a replacement
is held for review instead of applied: the input is quarantined with rule ``scope_shrink`` and the table keeps
its rows. An operator who means it reloads with ``KIBAN_ALLOW_SHRINK=1``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from kiban.duck import quote_ident
from kiban.lake import LAKE, LakeWriter
from registries.errors import SourceError

#: The largest share of a scope's rows a replacement may drop without review ...
MAX_SHRINK = float(os.environ.get("KIBAN_MAX_SHRINK", "0.5"))
#: ... once the scope is this large (a 町字 abolished in a village of three is no alarm; emptying it is).
MIN_ROWS_FOR_SHARE = 100


def allow_shrink() -> bool:
    return os.environ.get("KIBAN_ALLOW_SHRINK", "") in ("1", "true", "yes")


def check_scope_replacement(writer: LakeWriter, table: str, scope_sql: str, new_rows: int, file: str,
                            params: Sequence[object] = ()) -> int:
    """Raise ``scope_shrink`` when replacing the rows of ``scope_sql`` (its values bound from ``params``) with
    ``new_rows`` would empty the scope or drop more than ``MAX_SHRINK`` of it; else return the scope's row count."""
    if not writer.table_exists(table):
        return 0
    (old,) = writer.con.execute(f"SELECT count(*) FROM {LAKE}.{quote_ident(table)} WHERE {scope_sql}",
                                list(params)).fetchone()
    if allow_shrink():
        return old
    if old and (new_rows == 0 or (old >= MIN_ROWS_FOR_SHARE and new_rows < old * (1 - MAX_SHRINK))):
        raise SourceError(file, f"would replace {old:,} rows of {table} in this scope with {new_rows:,}; held for "
                                f"review (an empty or cut-short file?). Reload with KIBAN_ALLOW_SHRINK=1 if "
                                "this is intended", rule="scope_shrink")
    return old
