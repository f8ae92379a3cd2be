"""The municipality master as the validator's ``LgMaster``: the lake's ``municipalities`` table, else bundled."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from kiban.config import Paths
from registries.reports.lgcode import LgEntry


def _pick(rows: list[tuple[str, date | None, date | None, str]]) -> dict[str, LgEntry]:
    """One entry per code: the period in force today, else the one that ended last."""
    out: dict[str, LgEntry] = {}
    for code, start, end, pref in rows:
        cur = out.get(code)
        if cur is None or cur[1] is not None and (end is None or end > cur[1]):
            out[code] = (start, end, pref)
    return out


def _from_lake(paths: Paths) -> dict[str, LgEntry] | None:
    from kiban.lake import Lake

    if not Lake(paths).readable():
        return None

    con = Lake(paths).reader()
    try:
        if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'municipalities'").fetchone()[0]:
            return None
        rows = con.execute("SELECT lg_code, valid_from, valid_to, prefecture_code FROM municipalities").fetchall()
    finally:
        con.close()
    return _pick(rows) if rows else None


@lru_cache(maxsize=1)
def bundled() -> dict[str, LgEntry]:
    from registries.municipalities.resolve import bundled_master

    return _pick([(m.lg_code, m.valid_from, m.valid_to, m.prefecture_code) for m in bundled_master()])


def lg_master(paths: Paths) -> dict[str, LgEntry]:
    """lg_code -> (valid_from, valid_to exclusive, prefecture_code); the landed master wins when present."""
    return _from_lake(paths) or bundled()
