"""Resolve any 団体コード form to the master, on a given date, and a DuckDB mapping ``municipality_codes``.

``resolve('221317', date(2023, 12, 31))`` finds 浜松市中区 as active; on 2024-01-02 the same code still resolves
(abolished codes stay resolvable) but ``active`` is false and ``successors`` names 中央区 221384.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from registries.municipalities.codes import to_lg_code
from registries.municipalities.parse import HISTORY_CSV, Municipality, load_master

DEFAULT_URL = "https://www.soumu.go.jp/main_content/000925835.xls"
URL_ENV = "KIBAN_MUNICIPALITIES_URL"
BUNDLED_MASTER = Path(__file__).resolve().parents[2] / "samples" / "municipalities" / "000925835.xls"


def master_url() -> str:
    """The 総務省 file URL: ``KIBAN_MUNICIPALITIES_URL`` or the R6.1.1 file."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


@dataclass(frozen=True)
class Resolution:
    """A code looked up on a date: the master row and whether it was in force (有効) on that date."""

    lg_code: str
    record: Municipality
    on_date: date
    active: bool
    successors: tuple[str, ...]


@lru_cache(maxsize=4)
def _cached_master(path: str, history: str | None) -> tuple[Municipality, ...]:
    return tuple(load_master(path, history))


def bundled_master() -> list[Municipality]:
    """The master shipped with the repo (``samples/municipalities/000925835.xls``) plus ``history.csv``."""
    return list(_cached_master(str(BUNDLED_MASTER), str(HISTORY_CSV)))


def resolve(code: str, on_date: date, master: list[Municipality] | None = None,
            city: str | None = None) -> Resolution | None:
    """Look ``code`` up (6 digits, 5 digits, or NTA 都道府県 2 + ``city`` 3 digits) as of ``on_date``.

    Returns None for a well-formed code the master does not know; raises ``ValueError`` for a malformed code
    (wrong length, bad 検査数字). Where a code has several validity periods, the one covering ``on_date`` wins.
    """
    lg = to_lg_code(code, city)
    rows = [m for m in (master if master is not None else bundled_master()) if m.lg_code == lg]
    if not rows:
        return None
    valid = [m for m in rows if m.is_valid_on(on_date)]
    record = valid[0] if valid else max(rows, key=lambda m: m.valid_to or date.max)
    successors = tuple(filter(None, (record.successor_lg_codes or "").split(";")))
    return Resolution(lg_code=lg, record=record, on_date=on_date, active=bool(valid), successors=successors)


_FORMS_SCHEMA = pa.schema([
    pa.field("code", pa.string(), nullable=False),
    pa.field("form", pa.string(), nullable=False),
    pa.field("lg_code", pa.string(), nullable=False),
    pa.field("valid_from", pa.date32()),
    pa.field("valid_to", pa.date32()),
])


def municipality_codes(master: list[Municipality] | None = None) -> pa.Table:
    """Mapping table ``(code, form, lg_code, valid_from, valid_to)`` for joins in DuckDB.

    Forms: ``lg_code`` (6 digits), ``code5`` (5 digits: also NTA 都道府県コード || 市区町村コード, reinfolib,
    MOJ 地図XML), and ``pref2`` (2-digit 都道府県コード, prefecture rows only). Join with
    ``JOIN municipality_codes m ON m.code = x.pref || x.city``.
    """
    rows = master if master is not None else bundled_master()
    out: dict[str, list] = {f.name: [] for f in _FORMS_SCHEMA}

    def add(code: str, form: str, m: Municipality) -> None:
        for key, value in (("code", code), ("form", form), ("lg_code", m.lg_code),
                           ("valid_from", m.valid_from), ("valid_to", m.valid_to)):
            out[key].append(value)

    for m in rows:
        add(m.lg_code, "lg_code", m)
        add(m.code5, "code5", m)
        if m.type == "prefecture":
            add(m.prefecture_code, "pref2", m)
    return pa.Table.from_pydict(out, schema=_FORMS_SCHEMA)


def register_municipality_codes(con, master: list[Municipality] | None = None,
                                name: str = "municipality_codes") -> None:
    """Register :func:`municipality_codes` on a DuckDB connection as the view ``name``."""
    con.register(name, municipality_codes(master))
