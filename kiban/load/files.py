"""File doors into the load use case: a local file, an archived object, the fetch log of a source."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiban.archive import FetchLog, RawArchive, RawObject
from kiban.config import Paths
from kiban.load import ledger
from kiban.load.model import Arrival, LoadResult, Source, new_load_id
from kiban.load.runner import run_batch, run_one


def load_raw(paths: Paths, source: Source, raw: RawObject, *, channel: str = "file") -> LoadResult:
    """Load one archived object (a batch of one)."""
    return run_one(paths, source, Arrival(raw, channel=channel))


def ingest_file(paths: Paths, source: Source, path: Path, *, source_url: str | None = None,
                original_name: str | None = None) -> LoadResult:
    """Archive a local file as received, then load it."""
    raw = RawArchive(paths.raw).put_file(path, original_name=original_name, source=source_url)
    return load_raw(paths, source, raw)


def pending_fetches(paths: Paths, source: Source) -> list[dict[str, Any]]:
    """Fetch-log entries of ``source`` whose content has no load yet (loaded, duplicate or quarantined)."""
    done = ledger.processed(paths, source.name)
    pending, seen = [], set()
    for entry in FetchLog(paths.raw, source.name).entries():
        if entry["sha256"] in done or entry["sha256"] in seen:
            continue
        seen.add(entry["sha256"])
        pending.append(entry)
    return pending


def ingest_pending(paths: Paths, source: Source, order: Callable[[dict], Any] | None = None,
                   where: Callable[[dict], bool] | None = None, workers: int = 1) -> list[LoadResult]:
    """Load every file in the source's fetch log not processed yet (``where``: those it accepts, e.g. one
    area's), one at a time in ``order``.

    Files of one source depend on each other's order (a 全件 before its 差分), so each is its own batch.
    ``workers > 1`` (and a source with ``stage_in_workers``): the files are staged ahead in that many worker
    processes, one file per worker, and still validated and stored one at a time in order
    (:mod:`kiban.load.workers`).
    """
    archive = RawArchive(paths.raw)
    pending = [e for e in pending_fetches(paths, source) if where is None or where(e)]
    if order is not None:
        pending.sort(key=order)
    arrivals = []
    for entry in pending:
        path = archive.path_for(entry["sha256"])
        raw = RawObject(sha256=entry["sha256"], path=path, bytes=path.stat().st_size,
                        original_name=entry["original_name"], source=entry["source"],
                        received_at=entry["received_at"], new=False)
        arrivals.append(Arrival(raw, channel="fetch"))
    if workers <= 1 or not source.stage_in_workers or len(arrivals) < 2:
        return [r for arrival in arrivals for r in run_batch(paths, source, [arrival])]
    arrivals = [dataclasses.replace(a, load_id=new_load_id(a.raw.sha256)) for a in arrivals]
    from kiban.load.runner import owned
    from kiban.load.workers import StagingPool

    root = owned(paths.staging / f"workers-{new_load_id('pool')}")
    pool = StagingPool(min(workers, len(arrivals)), root)
    try:
        tasks = [pool.submit(source, arrival) for arrival in arrivals]
        return [r for arrival, i in zip(arrivals, tasks, strict=True)
                for r in run_batch(paths, pool.source_for(source, i), [arrival])]
    finally:
        pool.close()
        shutil.rmtree(root, ignore_errors=True)
