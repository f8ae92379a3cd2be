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


#: (home, the municipalities view's definition) -> master: the views file's view names the table's data files, so
#: it changes exactly when the master does (not on every commit of other tables). A reader of a shared catalog
#: (cluster profile) has a view that names no files: it is read every time.
_CACHE: dict[tuple[str, str], dict[str, LgEntry]] = {}


def _from_lake(paths: Paths) -> dict[str, LgEntry] | None:
    from kiban.lake import Lake
    from kiban.load.ledger import has_relation

    if not Lake(paths).readable():
        return None
    con = Lake(paths).reader(spatial=False)
    try:
        if not has_relation(con, "municipalities"):
            return None
        found = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'municipalities'").fetchone()
        view = found[0] if found else ""
        key = (str(paths.home), view if ".parquet" in view else "")
        if key[1] and key in _CACHE:
            return _CACHE[key]
        rows = con.execute("SELECT lg_code, valid_from, valid_to, prefecture_code FROM municipalities").fetchall()
    finally:
        con.close()
    master = _pick(rows) if rows else None
    if master is not None and key[1]:
        _CACHE.clear()  # one home's current master is all a process needs
        _CACHE[key] = master
    return master


@lru_cache(maxsize=1)
def bundled() -> dict[str, LgEntry]:
    from registries.municipalities.resolve import bundled_master

    return _pick([(m.lg_code, m.valid_from, m.valid_to, m.prefecture_code) for m in bundled_master()])


def lg_master(paths: Paths) -> dict[str, LgEntry]:
    """lg_code -> (valid_from, valid_to exclusive, prefecture_code); the landed master wins when present."""
    return _from_lake(paths) or bundled()
