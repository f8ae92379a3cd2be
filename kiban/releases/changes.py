"""Change feed per dataset (変更フィード), read from DuckLake's ``ducklake_table_changes``.

The cursor is the DuckLake snapshot id already consumed, optionally with an offset into the next snapshot's
changes when a page ended inside it: ``"42"`` or ``"41.500"``. Start with a release's
``manifest["lake"]["snapshot_id"]`` (the snapshot that release froze) and follow ``next_cursor``.

Whole-table replacements (``DELETE`` + ``INSERT`` in one snapshot) are netted: a row deleted and re-inserted with
identical values is no change; with a primary key, a delete and an insert of the same key become one ``update``.
A cursor is usable only while every later snapshot is retained; after ``ducklake_expire_snapshots`` removed one,
the feed cannot be replayed from it (:class:`CursorExpired`, HTTP 410).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from kiban.config import Paths
from kiban.duck import quote_ident
from kiban.lake import Lake
from schemas.contract import Contract

#: ASCII digits only, at most 18 each (a BIGINT snapshot id / OFFSET; no 5,000-digit int() that raises ValueError)
_CURSOR = re.compile(r"(-1|[0-9]{1,18})(?:\.([0-9]{1,18}))?")


class CursorExpired(LookupError):
    """The change history after the cursor is no longer retained."""


class BadCursor(ValueError):
    pass


class UnknownDataset(LookupError):
    pass


@dataclass(frozen=True)
class Cursor:
    snapshot: int  # last snapshot fully consumed (-1: nothing yet)
    offset: int = 0  # changes of the following snapshots already consumed

    def __str__(self) -> str:
        return str(self.snapshot) if not self.offset else f"{self.snapshot}.{self.offset}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if text is None or text == "":
            return cls(-1)
        m = _CURSOR.fullmatch(text.strip())
        if not m:
            raise BadCursor(f"invalid cursor {text[:40]!r}: expected a snapshot id such as 42 (or 42.100)")
        return cls(int(m.group(1)), int(m.group(2) or 0))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_retained(snapshots: list[int], cursor: Cursor) -> int:
    """The current snapshot; raises when snapshots after the cursor were expired."""
    current = max(snapshots)
    if cursor.snapshot > current:
        raise BadCursor(f"cursor {cursor} is ahead of the lake (current snapshot {current})")
    after = [s for s in snapshots if s > cursor.snapshot]
    if len(after) != current - cursor.snapshot:
        oldest = min(snapshots)
        raise CursorExpired(
            f"cursor {cursor} is older than the retained change history (oldest retained snapshot {oldest}); "
            f"start again from a release: its manifest's lake.snapshot_id is the cursor to resume from")
    return current


def feed_sql(contract: Contract, columns: list[str]) -> str:
    """Netted changes of ``contract`` between two snapshots (parameters: table, start, end)."""
    rec = ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in columns)
    pk = [c for c in contract.primary_key if c in columns]
    raw = f"""
      raw AS (SELECT snapshot_id,
                     CASE WHEN change_type IN ('insert', 'update_postimage') THEN 'i' ELSE 'd' END AS kind,
                     struct_pack({rec}) AS r
              FROM ducklake_table_changes('lake', 'main', ?, ?, ?)),
      numbered AS (SELECT *, row_number() OVER (PARTITION BY snapshot_id, kind, r) AS n FROM raw),
      ins AS (SELECT * FROM numbered WHERE kind = 'i'),
      del AS (SELECT * FROM numbered WHERE kind = 'd'),
      net_i AS (SELECT * FROM ins i WHERE NOT EXISTS (SELECT 1 FROM del d WHERE d.snapshot_id = i.snapshot_id
                AND d.r IS NOT DISTINCT FROM i.r AND d.n = i.n)),
      net_d AS (SELECT * FROM del d WHERE NOT EXISTS (SELECT 1 FROM ins i WHERE d.snapshot_id = i.snapshot_id
                AND d.r IS NOT DISTINCT FROM i.r AND d.n = i.n))"""
    if pk:
        on = " AND ".join(f"i.r.{quote_ident(k)} IS NOT DISTINCT FROM d.r.{quote_ident(k)}" for k in pk)
        events = f"""
      events AS (SELECT coalesce(i.snapshot_id, d.snapshot_id) AS snapshot_id,
                        CASE WHEN d.r IS NULL THEN 'insert' WHEN i.r IS NULL THEN 'delete' ELSE 'update' END AS op,
                        coalesce(i.r, d.r) AS r
                 FROM net_i i FULL OUTER JOIN net_d d ON i.snapshot_id = d.snapshot_id AND {on})"""
        order = ", ".join(f"r.{quote_ident(k)}" for k in pk)
    else:
        events = """
      events AS (SELECT snapshot_id, 'insert' AS op, r FROM net_i
                 UNION ALL SELECT snapshot_id, 'delete' AS op, r FROM net_d)"""
        order = "r"
    return f"WITH {raw},{events} SELECT snapshot_id, op, r FROM events ORDER BY snapshot_id, {order}, op"


def changes(paths: Paths, contract: Contract, since: str | None = None, limit: int = 1000) -> dict[str, Any]:
    """One page of the change feed of ``contract`` after cursor ``since``."""
    if not 1 <= limit <= 10000:
        raise BadCursor("limit must be between 1 and 10000")
    cursor = Cursor.parse(since)
    with Lake(paths).catalog_reader() as con:
        snaps = dict(con.execute("SELECT snapshot_id, snapshot_time FROM ducklake_snapshots('lake')").fetchall())
        current = _check_retained(sorted(snaps), cursor)
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'lake' "
                             "AND schema_name = 'main' AND table_name = ?", [contract.name]).fetchone()[0]
        if not exists:
            raise UnknownDataset(f"dataset {contract.name!r} is not in the lake")
        columns = [r[0] for r in con.execute(f"DESCRIBE lake.main.{quote_ident(contract.name)}").fetchall()]
        rows: list[tuple] = []
        if cursor.snapshot < current:
            try:
                rows = con.execute(f"{feed_sql(contract, columns)} LIMIT ? OFFSET ?",
                                   [contract.name, cursor.snapshot + 1, current, limit + 1, cursor.offset]
                                   ).fetchall()
            except duckdb.InvalidInputException as e:  # start snapshot gone between the check and the query
                raise CursorExpired(str(e)) from e
    page, more = rows[:limit], len(rows) > limit
    if not more:
        nxt = Cursor(current)
    else:
        last, following = page[-1][0], rows[limit][0]
        if following == last:
            inside = sum(1 for r in page if r[0] == last) + (cursor.offset if page[0][0] == last else 0)
            nxt = Cursor(last - 1, inside)
        else:
            nxt = Cursor(last)
    return {
        "dataset": contract.name,
        "since": str(cursor),
        "current_snapshot": current,
        "next_cursor": str(nxt),
        "has_more": more,
        "changes": [{"snapshot_id": s, "snapshot_time": _plain(snaps.get(s)), "op": op, "row": _plain(r)}
                    for s, op, r in page],
    }
