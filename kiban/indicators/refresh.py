"""Refresh ``indicator_values``: compute every indicator and append the values to the lake (the time series).

``refresh(paths)`` computes "as known now"; ``backfill(paths, times)`` computes "as known at T" for past T
(transaction time), so a series can be rebuilt from ``report_versions`` alone. Grains stored: prefecture and
national by default (municipality values are derived on demand from the reports).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa

from kiban.config import Paths
from kiban.indicators.compute import Value, compute
from kiban.lake import Lake
from schemas.indicators import INDICATOR_VALUES

STORED_GRAINS = ("prefecture", "national")


def _table(values: Sequence[Value], computed_at: datetime, as_known_at: datetime, snapshot_id: int | None
           ) -> pa.Table:
    rows = [INDICATOR_VALUES.row(
        computed_at=computed_at, as_known_at=as_known_at, indicator_id=v.indicator_id, grain=v.grain,
        area_code=v.area_code, area_name=v.area_name, value=v.value, unit=v.unit, reported=v.reported,
        reporting=v.reporting, expected=v.expected, oldest_as_of=v.oldest_as_of, latest_as_of=v.latest_as_of,
        latest_received_at=v.latest_received_at, freshness=v.freshness, snapshot_id=snapshot_id,
    ) for v in values]  # built through the contract: a misspelled or missing column raises
    return INDICATOR_VALUES.arrow_table(rows)


def compute_table(paths: Paths, times: Sequence[datetime | None], grains: Sequence[str] = STORED_GRAINS
                  ) -> pa.Table:
    """Values at each transaction time (None = now) as ``indicator_values`` rows."""
    lake = Lake(paths)
    computed_at = datetime.now(UTC)
    tables = []
    with contextlib.closing(lake.reader()) as con:
        snap = con.execute("SELECT snapshot_id FROM _kiban_snapshot").fetchone()[0]
        for t in times:
            at = t or computed_at
            tables.append(_table(compute(con, grains=grains, as_known_at=at), computed_at, at, snap))
    return pa.concat_tables(tables) if tables else INDICATOR_VALUES.arrow_schema().empty_table()


def append(paths: Paths, table: pa.Table) -> int:
    with Lake(paths).writer() as w:
        w.con.register("_indicator_values", table)
        return w.append(INDICATOR_VALUES, "SELECT * FROM _indicator_values")


def refresh(paths: Paths, grains: Sequence[str] = STORED_GRAINS) -> int:
    """Compute as known now and append; returns the number of rows appended."""
    return append(paths, compute_table(paths, [None], grains))


def backfill(paths: Paths, times: Sequence[datetime], grains: Sequence[str] = STORED_GRAINS) -> int:
    """Compute as known at each of ``times`` (aware) and append them in one commit."""
    return append(paths, compute_table(paths, list(times), grains))


def arrival_times(paths: Paths, points: int = 24) -> list[datetime]:
    """Up to ``points`` transaction times spread over the received_at range of the reports (for backfill)."""
    with contextlib.closing(Lake(paths).reader()) as con:
        try:
            lo, hi = con.execute("SELECT min(received_at), max(received_at) FROM report_versions "
                                 "WHERE report_type IN ('disaster_damage', 'shelter_status') "
                                 "AND control <> '訓練'").fetchone()
        except Exception:  # noqa: BLE001 - no reports table yet
            return []
    if lo is None:
        return []
    step = (hi - lo) / max(points - 1, 1)
    return [lo + step * i for i in range(points)]
