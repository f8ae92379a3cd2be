"""Read-only views of a KIBAN_HOME for the hardening suites: what is published, what the ledger holds.

Everything here reads; nothing writes. ``published_state`` is the fingerprint the corpus compares before and
after each bad file (every lake table but the ledger: its row count and exact data and delete files), the crash
harness uses the rest to check its invariants after a kill and a restart.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from kiban.config import Paths
from kiban.duck import connect, quote_literal
from kiban.lake import LAKE, Lake, existing_tables

#: the ledger (and views over it) change with every arrival, quarantined or not
LEDGER_TABLES = frozenset({"loads"})


@contextlib.contextmanager
def catalog(paths: Paths) -> Iterator[duckdb.DuckDBPyConnection]:
    """The catalog attached read-only (latest snapshot) as ``lake``; no spatial extension: fast."""
    con = connect(extensions=("ducklake",))
    try:
        data = quote_literal(str(paths.lake_data) + "/")
        con.execute(f"ATTACH {quote_literal('ducklake:' + str(paths.catalog))} AS {LAKE} "
                    f"(DATA_PATH {data}, OVERRIDE_DATA_PATH true, READ_ONLY)")
        yield con
    finally:
        con.close()


def published_state(paths: Paths) -> dict[str, tuple[int, tuple[tuple[str, str], ...]]]:
    """table -> (rows, (data file, delete file) pairs) at the catalog's latest snapshot, ledger excluded."""
    return {t: v for t, v in table_files(paths).items() if t not in LEDGER_TABLES}


def table_files(paths: Paths) -> dict[str, tuple[int, tuple[tuple[str, str], ...]]]:
    """Every lake table -> (rows, its current (data file, delete file) pairs) at the latest snapshot.

    Read from DuckLake's own metadata (current files, their record and delete counts): one query, no data read.
    """
    if not Lake(paths).exists():
        return {}
    meta = f"__ducklake_metadata_{LAKE}"
    with catalog(paths) as con:
        rows = con.execute(f"""
            SELECT t.table_name, df.path, coalesce(dl.path, ''), df.record_count - coalesce(dl.delete_count, 0)
            FROM {meta}.ducklake_table t
            JOIN {meta}.ducklake_data_file df ON df.table_id = t.table_id AND df.end_snapshot IS NULL
            LEFT JOIN {meta}.ducklake_delete_file dl ON dl.data_file_id = df.data_file_id AND dl.end_snapshot IS NULL
            WHERE t.end_snapshot IS NULL ORDER BY 1, 2, 3""").fetchall()
        tables = [r[0] for r in con.execute(f"SELECT table_name FROM {meta}.ducklake_table "
                                            "WHERE end_snapshot IS NULL").fetchall()]
    out: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {t: (0, ()) for t in tables}
    for table, data, delete, count in rows:
        n, files = out[table]
        out[table] = (n + count, (*files, (Path(data).name, Path(delete).name if delete else "")))
    return out


def catalog_counts(paths: Paths) -> dict[str, int]:
    """Row count of every lake table at the catalog's latest snapshot (the truth ``kiban sql`` must show)."""
    return {t: v[0] for t, v in table_files(paths).items()}


def ledger(paths: Paths) -> list[dict[str, Any]]:
    """Every ``loads`` row (``detail`` and ``submitted_by`` parsed), from the catalog itself."""
    lake = Lake(paths)
    if not lake.exists():
        return []
    with catalog(paths) as con:
        if "loads" not in existing_tables(con):
            return []
        cur = con.execute(f"SELECT * FROM {LAKE}.loads ORDER BY started_at, load_id")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        for key in ("detail", "submitted_by"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
    return rows


def query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    """A read on the catalog's latest snapshot (tables of the lake as the default schema)."""
    with catalog(paths) as con:
        return con.execute(sql, params or []).fetchall()


def quarantine_report(paths: Paths, load_id: str) -> dict[str, Any] | None:
    path = paths.quarantine / load_id / "report.json"
    with contextlib.suppress(FileNotFoundError):
        return json.loads(path.read_text(encoding="utf-8"))
    return None
