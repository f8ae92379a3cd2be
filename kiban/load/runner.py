"""The one load use case: arrivals -> dedupe -> stage -> validate -> decide -> store, for every source and door.

The CLI (``kiban ingest``), Dagster's load assets, the landing folder and the HTTP intake all call
:func:`run_batch`; a file loaded by hand is a batch of one, a burst of municipal reports a batch of hundreds.

1. **Dedupe** on the ledger (``loads``): content loaded before for this source, or twice in the batch, is a
   ``duplicate`` (recorded, not loaded).
2. **Stage** each arrival on its own (``Source.stage``): a ``SourceError`` or *any* exception quarantines that
   arrival alone with a specific finding; the others go on.
3. **Validate** with the Great Expectations suites (``quality``): per arrival, or the whole batch of one
   contract in one run (``Source.batch_validation``) with every failing row attributed to its arrival.
4. **Decide and store** in ONE lake transaction: the dedupe is re-checked authoritatively, the source reads
   the facts it needs (``read_facts``) and a pure rule (``decide``) may still reject arrivals (e.g. a reused
   report id); the accepted arrivals are stored (``Source.store``) together with the ledger rows of all. If the
   batch's store fails, each arrival is retried alone, so one bad arrival never blocks the rest.
5. Quarantine reports are written for every rejected arrival (``kiban.load.quarantine``), one format for all.

Nothing half-written is ever visible: staged files live under ``KIBAN_HOME/staging/<batch>/`` and are removed
afterwards (leftovers of a killed process are swept at the next batch), the lake commits atomically and the
views file is swapped by rename.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.config import Paths
from kiban.lake import Lake, LakeWriter
from kiban.lakeconfig import CONFLICT_RETRIES, LakeConflict
from kiban.load import ledger, quarantine
from kiban.load.model import Arrival, Item, LoadResult, Source, new_load_id
from registries.errors import SourceError

log = logging.getLogger(__name__)

#: Renders the Data Docs of batched validations off the writer's path (one worker: pages are written in order).
_DOCS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiban-data-docs")

#: Staging folders older than this are left by a killed process and removed by the next batch.
STALE_STAGING_SECONDS = 6 * 3600


def new_batch_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _result(source: Source, arrival: Arrival, batch_id: str) -> LoadResult:
    raw = arrival.raw
    return LoadResult(
        load_id=arrival.load_id or new_load_id(raw.sha256), source=source.name, source_file=raw.original_name,
        sha256=raw.sha256, status="loaded", channel=arrival.channel, submitted_by=arrival.submitted_by,
        received_at=arrival.received.isoformat(), batch_id=batch_id,
        info={"source_url": raw.source, "bytes": raw.bytes},
    )


def _reject(result: LoadResult, errors: list[dict[str, Any]]) -> None:
    result.status = "quarantined"
    result.errors.extend(errors)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned(folder: Path) -> Path:
    """Create a staging folder that names this host and process (``.owner``), so the next sweep on this host
    removes it as soon as this process is gone (killed before it could clean up) instead of hours later."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".owner").write_text(f"{socket.gethostname()}:{os.getpid()}")
    return folder


def sweep_staging(paths: Paths, *, older_than: float = STALE_STAGING_SECONDS) -> int:
    """Remove staging folders a killed process left behind; returns how many.

    A batch folder names its host and process (``.owner``): it goes as soon as that process is gone. Other
    folders (no owner, or a process on another host sharing this ``KIBAN_HOME``) go when older than ``older_than``.
    """
    if not paths.staging.exists():
        return 0
    limit, removed = time.time() - older_than, 0
    for folder in paths.staging.iterdir():
        try:
            if not folder.is_dir() or folder.is_symlink():
                continue
            owner = folder / ".owner"
            host, _, pid = owner.read_text().strip().rpartition(":") if owner.exists() else ("", "", "")
            if owner.exists() and host in ("", socket.gethostname()):
                stale = not (pid.isdigit() and _alive(int(pid)))
            else:
                stale = folder.stat().st_mtime < limit
            if stale:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _stage(source: Source, arrivals: Sequence[tuple[Arrival, LoadResult]], workroot: Path, paths: Paths
           ) -> list[Item]:
    items = []
    for arrival, result in arrivals:
        workdir = workroot / result.load_id
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            staged = source.stage(arrival, workdir, result.load_id)
        except SourceError as e:
            _reject(result, [e.to_dict()])
            continue
        except Exception as e:  # noqa: BLE001 - any failure on one input quarantines that input alone
            log.exception("staging %s failed", arrival.raw.original_name)
            _reject(result, [quarantine.internal_error(arrival, "staging", e)])
            continue
        result.info.update(staged.info)
        if staged.errors:
            _reject(result, staged.errors)
            continue
        items.append(Item(result.load_id, arrival, staged, paths))
    return items


def _findings(report: Any, blocking: bool) -> list[dict[str, Any]]:
    checks = report.blocking_failures() if blocking else report.warnings()
    return [{**s, "message": c.error or c.rule_description} for c in checks for s in (c.samples or [{
        "file": report.source_file, "row": None, "column": c.column, "rule": c.name, "value": None}])]


def _data_docs(paths: Paths, run: str, reports: list[Any], status: str,
               run_time: datetime | None = None) -> dict[str, str]:
    """Great Expectations Data Docs of a validation (dataset -> page under ``/quality/``); never fails a load."""
    from quality.datadocs import build_for_load

    try:
        return build_for_load(paths.home, run, reports, status, run_time)
    except Exception:  # noqa: BLE001 - the report pages are a view of the result, not part of the load
        log.exception("building Data Docs for %s failed", run)
        return {}


def _planned_docs(run: str, reports: list[Any], run_time: datetime) -> dict[str, str]:
    from quality.datadocs import planned_for_load

    try:
        return planned_for_load(run, reports, run_time)
    except Exception:  # noqa: BLE001 - as _data_docs: a view of the result
        log.exception("naming the Data Docs of %s failed", run)
        return {}


def settle_data_docs() -> None:
    """Wait until the Data Docs pages queued so far are drawn (tests, and a process about to exit)."""
    _DOCS.submit(lambda: None).result()


def _apply_reports(result: LoadResult, reports: list[Any], pages: dict[str, str], home: Path) -> None:
    """Record validation on the result: the reports (with their Data Docs page), warnings, blocking failures."""
    from quality.datadocs import docs_file

    for r in reports:
        entry = r.to_dict()
        if r.dataset in pages:
            entry["data_docs"] = pages[r.dataset]
            entry["data_docs_file"] = str(docs_file(home, pages[r.dataset]))
        result.validation.append(entry)
    for r in reports:
        result.warnings.extend(_findings(r, blocking=False))
        if not r.success:
            _reject(result, _findings(r, blocking=True))


def _validate(source: Source, items: list[Item], results: dict[str, LoadResult], workroot: Path) -> None:
    from quality.runner import validate_batch

    context: dict[str, Path] = {}
    if source.context is not None and items:
        context = dict(source.context(items[0].paths, items, workroot / "_context"))
    if source.batch_validation:
        groups: dict[str, list[tuple[Item, Any]]] = {}
        for item in items:
            for ds in item.staged.datasets:
                groups.setdefault(ds.contract.name, []).append((item, ds))
        for members in groups.values():
            first = members[0][1]
            try:
                reports = validate_batch(first.contract, [ds.parquet for _, ds in members], first.rules,
                                         source_files=[it.raw.original_name for it, _ in members], context=context)
            except Exception:  # noqa: BLE001 - fall back to one run per input, so a bad one is found alone
                log.exception("batch validation of %s failed; validating each input alone", first.contract.name)
                for item, ds in members:
                    _validate_one(item, [ds], results[item.load_id], context)
                continue
            reports, whole = reports
            # the batch's Data Docs page is named now and rendered on a worker thread: it never delays the reports
            run, run_time = f"batch-{results[members[0][0].load_id].batch_id}", datetime.now(UTC)
            pages = _planned_docs(run, [whole], run_time)
            _DOCS.submit(_data_docs, items[0].paths, run, [whole], "batch", run_time)
            for (item, _), report in zip(members, reports, strict=True):
                _apply_reports(results[item.load_id], [report], pages, item.paths.home)
        return
    for item in items:
        _validate_one(item, item.staged.datasets, results[item.load_id], context)


def _validate_one(item: Item, datasets: Sequence[Any], result: LoadResult, context: dict[str, Path]) -> None:
    from quality.runner import validate

    try:
        reports = [validate(d.contract, d.parquet, d.rules, source_file=item.raw.original_name, view=d.view,
                            detail_view=d.detail_view, context=context or None) for d in datasets]
    except Exception as e:  # noqa: BLE001
        log.exception("validating %s failed", item.raw.original_name)
        _reject(result, [quarantine.internal_error(item.arrival, "validation", e)])
        return
    status = "quarantined" if any(not r.success for r in reports) else "loaded"
    _apply_reports(result, reports, _data_docs(item.paths, item.load_id, reports, status), item.paths.home)


def _store(source: Source, writer: LakeWriter, items: list[Item], results: dict[str, LoadResult]) -> None:
    """Decide and store ``items`` in the open transaction (no ledger rows here)."""
    shas, keys = ledger.loaded_before(writer, source.name, [i.raw.sha256 for i in items],
                                      [i.staged.content_key for i in items if i.staged.content_key])
    live = []
    for item in items:
        first = shas.get(item.raw.sha256) or keys.get(item.staged.content_key or "")
        if first:
            results[item.load_id].status = "duplicate"
            results[item.load_id].duplicate_of = first
        else:
            live.append(item)
    if source.decide is not None and live:
        facts = source.read_facts(writer, live) if source.read_facts is not None else None
        rejected = source.decide(live, facts)
        for item in live:
            if rejected.get(item.load_id):
                _reject(results[item.load_id], list(rejected[item.load_id]))
        live = [i for i in live if not rejected.get(i.load_id)]
    if not live:
        return
    for item in live:
        item.warnings = list(results[item.load_id].warnings)
    counts_by_item = source.store(writer, live)
    for item in live:
        results[item.load_id].rows = dict(counts_by_item.get(item.load_id, {}))


def _append(lake: Lake, writer: LakeWriter, results: list[LoadResult], started: datetime, keys: dict[str, str],
            arrivals: dict[str, Arrival]) -> None:
    """The ledger rows of ``results`` in the open transaction, each rejected input's quarantine report written
    first: a kill right after the commit never leaves a quarantined input without its report."""
    for r in results:
        if r.status == "quarantined":
            r.quarantine_report = quarantine.write(lake.paths, r, arrivals[r.load_id])
    ledger.append(writer, results, started, keys)


def _commit(lake: Lake, source: Source, items: list[Item], results: list[LoadResult],
            by_id: dict[str, LoadResult], started: datetime, arrivals: dict[str, Arrival]) -> None:
    """Store and record in one transaction. On a shared lake a conflicting concurrent commit (two loads replaced
    rows of one table) aborts it whole: the results are reset and the store runs again on the new snapshot,
    up to ``CONFLICT_RETRIES`` times (then :class:`LakeConflict` is raised: the input stays unprocessed)."""
    for attempt in range(CONFLICT_RETRIES):
        saved = [(r, r.status, dict(r.rows), list(r.errors), r.duplicate_of, dict(r.info)) for r in results]
        try:
            _commit_once(lake, source, items, results, started, arrivals)
            return
        except LakeConflict as conflict:
            for r, status, rows, errors, duplicate_of, info in saved:
                r.status, r.rows, r.errors, r.duplicate_of, r.info = status, rows, errors, duplicate_of, info
            if attempt + 1 >= CONFLICT_RETRIES:
                raise
            wait = min(5.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.5)
            log.info("lake commit conflict (%s); storing again in %.2f s", conflict, wait)
            time.sleep(wait)


def _commit_once(lake: Lake, source: Source, items: list[Item], results: list[LoadResult],
                 started: datetime, arrivals: dict[str, Arrival]) -> None:
    by_id = {r.load_id: r for r in results}
    keys = {i.load_id: i.staged.content_key for i in items if i.staged.content_key}
    with lake.writer() as writer:
        # an arrival whose load_id is in the ledger already was stored by another process (a queued submission
        # recovered twice, or processed after a kill between its commit and its dequeue): never store it again
        known = ledger.recorded(writer, [r.load_id for r in results])
        for r in results:
            if r.load_id in known:
                r.status, r.rows, r.info["already_recorded"] = known[r.load_id], {}, True
        _store(source, writer, [i for i in items if i.load_id not in known], by_id)
        _append(lake, writer, [r for r in results if r.load_id not in known], started, keys, arrivals)
        compact = lake.shared and ledger.crowded(writer)
    if compact:
        ledger.compact(lake)


def run_batch(paths: Paths, source: Source, arrivals: Sequence[Arrival], *, lake: Lake | None = None
              ) -> list[LoadResult]:
    """Load ``arrivals`` (already archived) as one batch; one :class:`LoadResult` each, in order.

    Never raises for bad input: every problem with one arrival ends as that arrival's quarantine report.
    """
    lake = lake or Lake(paths)
    batch_id = new_batch_id()
    started = datetime.now(UTC)
    results = [_result(source, a, batch_id) for a in arrivals]
    by_id = {r.load_id: r for r in results}
    arrival_of = {r.load_id: a for a, r in zip(arrivals, results, strict=True)}
    if len(by_id) != len(results):
        raise ValueError("two arrivals of one batch carry the same load_id")

    done = ledger.processed(paths, source.name, ("loaded",), [a.raw.sha256 for a in arrivals])
    first: dict[str, str] = {}
    twins: dict[str, str] = {}  # load_id -> the earlier arrival of this batch with the same content
    todo = []
    for arrival, result in zip(arrivals, results, strict=True):
        # content loaded before is a duplicate at once -- unless it carries a submitter's identity: then it is
        # staged (authorised again from that identity) and found to be a duplicate when stored, so a refused
        # caller's copy of someone else's stored report is recorded as refused, not as "a duplicate"
        if result.sha256 in done and arrival.submitted_by is None:
            result.status, result.duplicate_of = "duplicate", done[result.sha256]
            continue
        if result.sha256 in first:
            twins[result.load_id] = first[result.sha256]
            continue
        first[result.sha256] = result.load_id
        todo.append((arrival, result))

    sweep_staging(paths)
    workroot = owned(paths.staging / f"batch-{batch_id}")
    t0 = time.perf_counter()
    try:
        items = _stage(source, todo, workroot, paths)
        t1 = time.perf_counter()
        if items:
            _validate(source, items, by_id, workroot)
        t2 = time.perf_counter()
        valid = [i for i in items if by_id[i.load_id].status == "loaded"]
        # a repeat of content refused here, or sent by someone else, is tried again on its own after this batch
        # (who sent it decides, and a refusal is answered with its reasons, never as "a duplicate"); the same
        # sender's repeat of valid content is its duplicate, recorded with it
        again = {load_id for load_id, twin in twins.items()
                 if by_id[twin].status != "loaded" or arrival_of[load_id].submitted_by != arrival_of[twin].submitted_by}
        for load_id, twin in twins.items():
            if load_id not in again:
                by_id[load_id].status, by_id[load_id].duplicate_of = "duplicate", twin
        batch = [r for r in results if r.load_id not in again]
        try:
            _commit(lake, source, valid, batch, by_id, started, arrival_of)
        except Exception as batch_error:  # noqa: BLE001 - isolate: retry each arrival alone
            if isinstance(batch_error, SourceError):  # an input's own fault (e.g. a shrink held for review)
                log.warning("storing batch %s refused an input (%s); storing each arrival alone", batch_id,
                            batch_error.rule)
            else:
                log.exception("storing batch %s failed; storing each arrival alone", batch_id)
            _store_each(lake, source, valid, batch, by_id, started, batch_error, arrival_of)
        t3 = time.perf_counter()
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    if again:
        positions = [i for i, r in enumerate(results) if r.load_id in again]
        redone = run_batch(paths, source, [arrivals[i] for i in positions], lake=lake)
        for i, result in zip(positions, redone, strict=True):
            results[i] = result
    seconds = {"stage": round(t1 - t0, 3), "validate": round(t2 - t1, 3), "store": round(t3 - t2, 3)}
    for arrival, result in zip(arrivals, results, strict=True):
        result.info.setdefault("seconds", seconds)
        if result.status == "quarantined" and result.quarantine_report is None and \
                not result.info.get("already_recorded"):
            result.quarantine_report = quarantine.write(paths, result, arrival)
    return results


def _store_each(lake: Lake, source: Source, valid: list[Item], results: list[LoadResult],
                by_id: dict[str, LoadResult], started: datetime, batch_error: BaseException,
                arrivals: dict[str, Arrival]) -> None:
    """After a failed batch store: every arrival in its own transaction; one that fails alone is quarantined."""
    for r in results:  # the failed transaction stored nothing
        if r.status == "loaded":
            r.rows = {}
    settled = [r for r in results if r.load_id not in {i.load_id for i in valid}]
    for item in valid:
        result = by_id[item.load_id]
        try:
            if len(valid) == 1:  # it failed alone already
                raise batch_error
            _commit(lake, source, [item], [result], by_id, started, arrivals)
            continue
        except SourceError as e:
            _reject(result, [e.to_dict()])
        except LakeConflict:
            raise  # contention, not the input's fault: it stays unprocessed and is loaded by the next attempt
        except Exception as e:  # noqa: BLE001
            log.exception("storing %s failed", item.raw.original_name)
            _reject(result, [quarantine.internal_error(item.arrival, "storing", e)])
        result.rows = {}
        settled.append(result)
    if settled:
        _append_ledger(lake, settled, started, arrivals)


def _append_ledger(lake: Lake, results: list[LoadResult], started: datetime, arrivals: dict[str, Arrival]) -> None:
    """Ledger rows alone, with the quarantine reports (appends: on a shared lake only the first creation of
    ``loads`` can conflict)."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            with lake.writer() as writer:
                _append(lake, writer, results, started, {}, arrivals)
            return
        except LakeConflict:
            if attempt + 1 >= CONFLICT_RETRIES:
                raise
            time.sleep(min(5.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.5))


def run_one(paths: Paths, source: Source, arrival: Arrival, *, lake: Lake | None = None) -> LoadResult:
    """A batch of one (a file loaded by hand or by a Dagster asset)."""
    return run_batch(paths, source, [arrival], lake=lake)[0]


def record_unprocessed(paths: Paths, source: Source, rejected: Sequence[tuple[Arrival, list[dict[str, Any]]]],
                       *, lake: Lake | None = None) -> list[LoadResult]:
    """Quarantine arrivals without processing them (e.g. an input that keeps crashing the process)."""
    lake = lake or Lake(paths)
    batch_id, started = new_batch_id(), datetime.now(UTC)
    results = []
    for arrival, errors in rejected:
        result = _result(source, arrival, batch_id)
        _reject(result, errors)
        results.append(result)
    if results:
        _append_ledger(lake, results, started, {r.load_id: a for (a, _), r in zip(rejected, results, strict=True)})
    return results
