"""Bitemporal semantics of municipal reports as DuckDB SQL over ``report_versions``.

- natural key ``(report_type, lg_code, subject_key, as_of)``; a later ``as_of`` is a new observation;
- version order ``(sequence_no, received_at)``, ties broken by ``report_id`` (identical re-sends collapse);
- the latest version of a key replaces earlier ones (訂正 / 更新);
- ``update_type = 取消`` or ``control = 削除`` as the latest version tombstones the key (no row);
- ``control = 訓練`` never takes part, nor do rejected versions (``validation_status = 'rejected'``);
- "as known at T": only versions with ``received_at <= T`` (transaction time) count.
"""

from __future__ import annotations

from datetime import datetime

NATURAL_KEY = ("report_type", "lg_code", "subject_key", "as_of")


def _literal(as_known_at: str) -> str:
    try:
        ts = datetime.fromisoformat(as_known_at.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"as_known_at is not an ISO 8601 timestamp: {as_known_at!r}") from None
    if ts.tzinfo is None:
        raise ValueError(f"as_known_at needs a UTC offset: {as_known_at!r}")
    return f"TIMESTAMPTZ '{ts.isoformat()}'"


def candidate_sql(as_known_at: str | None = None, table: str = "report_versions") -> str:
    """Versions that take part in the latest state (訓練 and rejected excluded; received by T)."""
    where = ["control <> '訓練'", "validation_status <> 'rejected'"]
    if as_known_at is not None:
        where.append(f"received_at <= {_literal(as_known_at)}")
    return f"SELECT * FROM {table} WHERE " + " AND ".join(where)


def latest_sql(as_known_at: str | None = None, table: str = "report_versions") -> str:
    """``reports_latest``: one row per live natural key as known now (None) or at ``as_known_at`` (ISO, offset)."""
    key = ", ".join(NATURAL_KEY)
    return (
        f"WITH v AS ({candidate_sql(as_known_at, table)}), "
        "ranked AS (SELECT *, row_number() OVER ("
        f"PARTITION BY {key} ORDER BY sequence_no DESC, received_at DESC, report_id DESC) AS _rn FROM v) "
        "SELECT * EXCLUDE (_rn) FROM ranked "
        "WHERE _rn = 1 AND update_type <> '取消' AND control <> '削除' "
        f"ORDER BY {key}"
    )


def history_sql(table: str = "report_versions") -> str:
    """Every non-訓練 version with its rank within the key (1 = latest) and the number of versions."""
    key = ", ".join(NATURAL_KEY)
    return (
        "SELECT *, row_number() OVER (PARTITION BY "
        f"{key} ORDER BY sequence_no DESC, received_at DESC, report_id DESC) AS version_rank, "
        f"count(*) OVER (PARTITION BY {key}) AS version_count "
        f"FROM {table} WHERE control <> '訓練' ORDER BY {key}, sequence_no, received_at"
    )
