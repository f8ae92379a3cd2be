"""The load log (``loads``), Kiban's one ledger: what was loaded, duplicated or quarantined, and by whom.

Every arrival of every source gets one row, written in the same lake transaction as the data it loaded, so the
ledger and the lake never disagree. Deduplication reads it: content (sha256, or the source's content key) that
was ``loaded`` before for the same source is a ``duplicate``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from kiban.config import Paths
from kiban.lake import LAKE, Lake, LakeWriter, contract_select
from kiban.load.model import LoadResult
from schemas.platform import LOADS

log = logging.getLogger(__name__)

#: On a shared lake every load appends one small file to ``loads`` (an object on S3), and every load reads the
#: ledger: once it holds this many files they are merged into one, so a national load of thousands of files does
#: not read thousands of objects per load.
COMPACT_AT_FILES = 32


def _pairs(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, load_id in rows:
        out.setdefault(key, load_id)
    return out


def loaded_before(writer: LakeWriter, source: str, sha256s: Sequence[str], content_keys: Sequence[str] = ()
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Inside the write transaction (authoritative): ``(sha256 -> load_id, content_key -> load_id)`` loaded."""
    if not writer.table_exists(LOADS.name) or not (sha256s or content_keys):
        return {}, {}
    by_sha = writer.con.execute(
        f"SELECT sha256, min(load_id) FROM {LAKE}.loads WHERE source = ? AND status = 'loaded' "
        "AND list_contains(?, sha256) GROUP BY 1", [source, list(sha256s)]).fetchall()
    by_key = writer.con.execute(
        f"SELECT content_key, min(load_id) FROM {LAKE}.loads WHERE source = ? AND status = 'loaded' "
        "AND content_key IS NOT NULL AND list_contains(?, content_key) GROUP BY 1",
        [source, list(content_keys)]).fetchall() if content_keys else []
    return _pairs(by_sha), _pairs(by_key)


def recorded(writer: LakeWriter, load_ids: Sequence[str]) -> dict[str, str]:
    """Inside the write transaction: load_id -> status of the given ids already in the ledger."""
    if not load_ids or not writer.table_exists(LOADS.name):
        return {}
    rows = writer.con.execute(f"SELECT load_id, status FROM {LAKE}.loads WHERE list_contains(?, load_id)",
                              [list(load_ids)]).fetchall()
    return dict(rows)


def processed(paths: Paths, source: str, statuses: tuple[str, ...] = ("loaded", "duplicate", "quarantined"),
              sha256s: Sequence[str] | None = None) -> dict[str, str]:
    """sha256 -> first load_id of every input of ``source`` (or of those ``sha256s``) with a load in ``statuses``
    (read-only, from the views)."""
    if not Lake(paths).readable():
        return {}
    con = Lake(paths).reader(spatial=False)
    try:
        if not has_relation(con, "loads"):
            return {}
        only = "" if sha256s is None else " AND list_contains(?, sha256)"
        rows = con.execute(
            f"SELECT sha256, min(load_id) FROM loads WHERE source = ? AND list_contains(?, status){only} GROUP BY 1",
            [source, list(statuses), *([list(sha256s)] if sha256s is not None else [])]).fetchall()
    finally:
        con.close()
    return _pairs(rows)


def has_relation(con: Any, name: str) -> bool:
    """A view (views file) or a table (the catalog itself, see ``Lake.reader``) of that name."""
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]
                or con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def table(results: Sequence[LoadResult], started: datetime, content_keys: dict[str, str]) -> pa.Table:
    """The ledger rows of a batch, built through the ``loads`` contract (an unknown column raises)."""
    finished = datetime.now(UTC)
    rows = []
    for r in results:
        detail = {"info": r.info, "rows": r.rows, "errors": r.errors[:200], "warnings": r.warnings[:200]}
        rows.append(LOADS.row(
            load_id=r.load_id, source=r.source, source_file=r.source_file, source_url=r.info.get("source_url"),
            sha256=r.sha256, bytes=r.info.get("bytes"), status=r.status, rows=sum(r.rows.values()),
            detail=_json(detail), started_at=started, finished_at=finished, channel=r.channel,
            submitted_by=_json(dict(r.submitted_by)) if r.submitted_by else None,
            received_at=datetime.fromisoformat(r.received_at) if r.received_at else None, batch_id=r.batch_id,
            duplicate_of=r.duplicate_of, content_key=content_keys.get(r.load_id),
        ))
    return LOADS.arrow_table(rows)


def append(writer: LakeWriter, results: Sequence[LoadResult], started: datetime,
           content_keys: dict[str, str]) -> None:
    if not results:
        return
    writer.con.register("_kiban_loads", table(results, started, content_keys))
    try:
        writer.append(LOADS, f"SELECT {contract_select(LOADS, LOADS.column_names)} FROM _kiban_loads")
    finally:
        writer.con.unregister("_kiban_loads")


def crowded(writer: LakeWriter) -> bool:
    """Inside the write transaction: whether ``loads`` holds :data:`COMPACT_AT_FILES` data files or more."""
    if not writer.table_exists(LOADS.name):
        return False
    (n,) = writer.con.execute("SELECT count(*) FROM ducklake_list_files(?, ?)", [LAKE, LOADS.name]).fetchone()
    return n >= COMPACT_AT_FILES


def compact(lake: Lake) -> bool:
    """Merge the ledger's small files (DuckLake ``ducklake_merge_adjacent_files``), in a transaction of its own
    after a load's commit. A failure (another process compacting at the same moment) is logged and left to the
    next load: the ledger's rows are the same either way. Returns whether it merged."""
    try:
        with lake.writer() as writer:
            writer.con.execute("CALL ducklake_merge_adjacent_files(?, ?)", [LAKE, LOADS.name])
        return True
    except Exception as e:  # noqa: BLE001 - maintenance never fails a load that has committed
        log.info("ledger compaction skipped: %s", str(e).splitlines()[0] if str(e) else type(e).__name__)
        return False


def rows(paths: Paths, load_ids: Sequence[str] = (), *, source: str | None = None, sha256: str | None = None,
         ) -> list[dict[str, Any]]:
    """Ledger rows by load id (or by source + sha256), read-only; ``detail`` and ``submitted_by`` parsed."""
    if not Lake(paths).readable() or not (load_ids or sha256):
        return []
    con = Lake(paths).reader(spatial=False)
    try:
        if not has_relation(con, "loads"):
            return []
        if load_ids:
            cur = con.execute("SELECT * FROM loads WHERE list_contains(?, load_id) ORDER BY started_at",
                              [list(load_ids)])
        else:
            cur = con.execute("SELECT * FROM loads WHERE source = ? AND sha256 = ? ORDER BY started_at",
                              [source, sha256])
        names = [d[0] for d in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    for row in out:
        for key in ("detail", "submitted_by"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
    return out
