"""One load: archive -> stage -> validate -> store, the same path for the CLI, the HTTP intake and Dagster.

A source family (corporate registry, ABR, ...) supplies two functions through :class:`Source`:
``stage`` turns the archived raw file into staged Parquet datasets (pure parsing, ``registries/``) and
``store`` writes validated staged data into the lake inside one transaction. Everything else -- the raw
archive, idempotency by sha256, Great Expectations validation, quarantine reports and the load log -- is here,
once, for every source.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.archive import FetchLog, RawArchive, RawObject
from kiban.config import Paths
from kiban.lake import LAKE, Lake, LakeWriter, contract_select
from quality.rules import Rule
from registries.errors import SourceError
from schemas.contract import Contract
from schemas.platform import LOADS


@dataclass
class StagedDataset:
    """A parsed dataset waiting for validation: Parquet per docs/CONVENTIONS.md (contract columns + _source_row)."""

    contract: Contract
    parquet: Path
    rules: Sequence[Rule] = ()
    rows: int = 0
    view: str | None = None  # SELECT with {source}: the contract's text layout when the file is stored otherwise


@dataclass
class Staged:
    datasets: list[StagedDataset]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadContext:
    load_id: str
    raw: RawObject
    staged: Staged
    paths: Paths


@dataclass(frozen=True)
class Source:
    """How one source family lands in the lake."""

    name: str
    stage: Callable[[RawObject, Path, str], Staged]  # (raw, workdir, load_id)
    store: Callable[[LakeWriter, LoadContext], dict[str, int]]


@dataclass
class LoadResult:
    load_id: str
    source: str
    source_file: str
    sha256: str
    status: str  # loaded | duplicate | quarantined
    rows: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    validation: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    quarantine_report: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "duplicate")

    def summary(self) -> str:
        if self.status == "loaded":
            counts = ", ".join(f"{k}={v}" for k, v in self.rows.items())
            return f"loaded {self.source_file} ({counts})"
        if self.status == "duplicate":
            return f"skipped {self.source_file}: same content (sha256 {self.sha256[:12]}) was loaded before"
        reasons = "; ".join(_describe(e) for e in self.errors[:10])
        return f"QUARANTINED {self.source_file}: {reasons} (report: {self.quarantine_report})"


def _describe(error: dict[str, Any]) -> str:
    where = f" row {error['row']}" if error.get("row") is not None else ""
    where += f" column {error['column']}" if error.get("column") else ""
    value = f" value {error['value']!r}" if error.get("value") not in (None, "") else ""
    return f"{error.get('file', '')}{where}: {error.get('message', '')} [{error.get('rule')}]{value}"


def new_load_id(sha256: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{sha256[:8]}-{uuid.uuid4().hex[:6]}"


def already_loaded(writer: LakeWriter, source: str, sha256: str) -> bool:
    if not writer.table_exists(LOADS.name):
        return False
    row = writer.con.execute(
        f"SELECT count(*) FROM {LAKE}.loads WHERE source = ? AND sha256 = ? AND status = 'loaded'",
        [source, sha256],
    ).fetchone()
    return bool(row and row[0])


def _log_row(result: LoadResult, raw: RawObject, started: datetime, detail: dict[str, Any]) -> str:
    values = {
        "load_id": result.load_id, "source": result.source, "source_file": result.source_file,
        "source_url": raw.source, "sha256": raw.sha256, "bytes": raw.bytes, "status": result.status,
        "rows": sum(result.rows.values()), "detail": json.dumps(detail, ensure_ascii=False, default=str),
        "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
    }
    import kiban.duck as duck

    extras = {k: (duck.quote_literal(str(v)) if v is not None else "NULL") for k, v in values.items()}
    return "SELECT " + contract_select(LOADS, [], extras)


def _validate(staged: Staged, source_file: str) -> list[Any]:
    from quality.runner import validate

    return [
        validate(d.contract, d.parquet, d.rules, source_file=source_file, view=d.view) for d in staged.datasets
    ]


def _data_docs(paths: Paths, result: LoadResult, reports: list[Any]) -> None:
    """GE Data Docs of this load (quarantined too); each validation entry gets its page under ``/quality/``."""
    from quality.datadocs import build_for_load, docs_file

    t = time.perf_counter()
    pages = build_for_load(paths.home, result.load_id, reports, result.status)
    for entry in result.validation:
        if entry["dataset"] in pages:
            entry["data_docs"] = pages[entry["dataset"]]
            entry["data_docs_file"] = str(docs_file(paths.home, pages[entry["dataset"]]))
    result.info["data_docs_seconds"] = round(time.perf_counter() - t, 3)


def _quarantine(paths: Paths, result: LoadResult, raw: RawObject) -> Path:
    folder = paths.quarantine / result.load_id
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "load_id": result.load_id, "source": result.source, "file": result.source_file,
        "sha256": raw.sha256, "raw_path": str(raw.path), "received_from": raw.source,
        "errors": result.errors, "validation": result.validation,
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    path = folder / "report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    return path


def processed_sha256s(paths: Paths, source: str, statuses: tuple[str, ...] = ("loaded", "duplicate", "quarantined")
                      ) -> set[str]:
    """sha256 of every file of ``source`` with a load in one of ``statuses``, read from the views file."""
    lake = Lake(paths)
    if not paths.views_db.exists():
        return set()
    con = lake.reader(spatial=False)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'loads'").fetchone()[0]:
            return set()
        rows = con.execute(
            f"SELECT DISTINCT sha256 FROM loads WHERE source = ? AND status IN ({', '.join('?' * len(statuses))})",
            [source, *statuses],
        ).fetchall()
        return {r[0] for r in rows}
    finally:
        con.close()


def ingest_raw(paths: Paths, source: Source, raw: RawObject, *, lake: Lake | None = None) -> LoadResult:
    """Process one archived file through stage, validate and store. Never raises for bad input.

    Content already loaded for this source is recognised before any parsing (and again, authoritatively,
    inside the lake transaction) and recorded as a ``duplicate`` load.
    """
    lake = lake or Lake(paths)
    started = datetime.now(UTC)
    result = LoadResult(new_load_id(raw.sha256), source.name, raw.original_name, raw.sha256, "loaded")
    if raw.sha256 in processed_sha256s(paths, source.name, ("loaded",)):
        result.status = "duplicate"
        with lake.writer() as writer:
            writer.append(LOADS, _log_row(result, raw, started, {"info": {}, "rows": {}, "errors": []}))
        return result
    workdir = paths.staging / result.load_id
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        try:
            staged = source.stage(raw, workdir, result.load_id)
        except SourceError as e:
            result.status = "quarantined"
            result.errors = [e.to_dict()]
            staged = None
        t1 = time.perf_counter()
        if staged is not None:
            result.info = dict(staged.info)
            reports = _validate(staged, raw.original_name)
            result.validation = [r.to_dict() for r in reports]
            failures = [
                {**s, "message": c.rule_description}
                for r in reports for c in r.blocking_failures() for s in (c.samples or [{
                    "file": raw.original_name, "row": None, "column": c.column, "rule": c.name, "value": None,
                }])
            ]
            if failures:
                result.status = "quarantined"
                result.errors = failures
            _data_docs(paths, result, reports)
        t2 = time.perf_counter()
        result.info["seconds"] = {"stage": round(t1 - t0, 3), "validate": round(t2 - t1, 3)}
        with lake.writer() as writer:
            if result.status == "loaded" and already_loaded(writer, source.name, raw.sha256):
                result.status = "duplicate"
            elif result.status == "loaded":
                ctx = LoadContext(result.load_id, raw, staged, paths)
                result.rows = source.store(writer, ctx)
            if result.status == "quarantined":
                result.quarantine_report = _quarantine(paths, result, raw)
            detail = {"info": result.info, "rows": result.rows, "errors": result.errors[:50]}
            writer.append(LOADS, _log_row(result, raw, started, detail))
        result.info["seconds"]["store"] = round(time.perf_counter() - t2, 3)
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def ingest_file(paths: Paths, source: Source, path: Path, *, source_url: str | None = None,
                original_name: str | None = None) -> LoadResult:
    """Archive a local file as received, then load it."""
    raw = RawArchive(paths.raw).put_file(path, original_name=original_name, source=source_url)
    return ingest_raw(paths, source, raw)


def ingest_many(paths: Paths, source: Source, files: Sequence[Path]) -> list[LoadResult]:
    return [ingest_file(paths, source, f) for f in files]


def ingest_pending(paths: Paths, source: Source, order: Callable[[dict], Any] | None = None) -> list[LoadResult]:
    """Load every file in the source's fetch log that has not been processed yet (see ``FetchLog``)."""
    archive = RawArchive(paths.raw)
    done = processed_sha256s(paths, source.name)
    pending, seen = [], set()
    for entry in FetchLog(paths.raw, source.name).entries():
        if entry["sha256"] in done or entry["sha256"] in seen:
            continue
        seen.add(entry["sha256"])
        pending.append(entry)
    if order is not None:
        pending.sort(key=order)
    results = []
    for entry in pending:
        raw = RawObject(
            sha256=entry["sha256"], path=archive.path_for(entry["sha256"]),
            bytes=archive.path_for(entry["sha256"]).stat().st_size, original_name=entry["original_name"],
            source=entry["source"], received_at=entry["received_at"], new=False,
        )
        results.append(ingest_raw(paths, source, raw))
    return results
