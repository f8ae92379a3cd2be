"""Every lake write of the intake service, recorded in Dagster as a runless materialisation.

The service stores reports within seconds, outside any Dagster run; this hook tells Dagster what it wrote, so the
asset graph, the automation conditions (``indicator_values`` follows ``report_versions``) and the UI see each write
like a run's. Recording happens on its own thread: it never delays or fails a report (ADR 0006).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from kiban.config import Paths
from kiban.load import LoadResult

log = logging.getLogger(__name__)


def tables_written(results: Sequence[LoadResult]) -> dict[str, int]:
    """Rows written per table by a batch (tables it did not write are absent)."""
    written: Counter[str] = Counter()
    for r in results:
        written.update(r.rows)
    return {t: n for t, n in written.items() if n}


class DagsterEvents:
    """``on_commit`` hook of :class:`kiban.intake.service.IntakeService`."""

    def __init__(self, paths: Paths) -> None:
        from kiban.orchestration import LakeWriteRecorder

        self.recorder = LakeWriteRecorder(paths)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiban-dagster-events")

    def __call__(self, results: list[LoadResult]) -> None:
        written = tables_written(results)
        if written:
            batch = results[0].batch_id
            self.pool.submit(self._record, written, batch, len(results))

    def _record(self, written: dict[str, int], batch: str | None, submissions: int) -> None:
        for table, rows in sorted(written.items()):
            try:
                self.recorder.record(table, {"rows_written": rows, "batch_id": batch or "",
                                             "submissions": submissions},
                                     description="stored by the intake service")
            except Exception:  # noqa: BLE001 - a missing event never costs a report
                log.exception("recording the write of %s in Dagster failed", table)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.recorder.close()
