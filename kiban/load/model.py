"""What a load is made of: arrivals in, staged datasets in between, one result per arrival out."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.archive import RawObject
from kiban.config import Paths
from quality.rules import Rule
from schemas.contract import Contract

#: Channels an input can arrive through (受付経路).
CHANNELS = ("file", "landing", "api", "fetch")


def new_load_id(sha256: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{sha256[:8]}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Arrival:
    """One input as received: the archived bytes, how they came, and who sent them.

    ``submitted_by`` is the authenticated identity (``kind``, ``lg_code``, ``subject``, ...) for inputs that need
    authorisation (municipal reports over HTTP or the landing folder); it is stored with the input in the durable
    queue and in the load log, so the authorisation is checked again wherever the input is processed, including
    after a restart. ``load_id`` may be fixed in advance (the intake answers with it before the load runs).
    """

    raw: RawObject
    channel: str = "file"
    submitted_by: Mapping[str, Any] | None = None
    received_at: datetime | None = None
    load_id: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")

    @property
    def received(self) -> datetime:
        return self.received_at or datetime.fromisoformat(self.raw.received_at)


@dataclass
class StagedDataset:
    """A parsed dataset waiting for validation: Parquet per docs/CONVENTIONS.md (contract columns + _source_row)."""

    contract: Contract
    parquet: Path
    rules: Sequence[Rule] = ()
    rows: int = 0
    view: str | None = None  # SELECT with {source}: the contract's text layout when the file is stored otherwise
    #: the view failing checks are run again on for their samples (None: ``view``): a typed ``view`` that answers
    #: the checks like the text gives the verdicts, the text view the reported values
    detail_view: str | None = None


@dataclass
class Staged:
    """What staging produced for one arrival.

    ``errors``: blocking findings made while staging (e.g. not authorised), in the quarantine report's shape.
    ``content_key``: identity of the content when it differs from the file's sha256 (the same CSV in another
    zip); a content key loaded before makes the arrival a duplicate.
    ``payload``: whatever the source's ``store`` needs beyond the staged files (parsed records, ...).
    """

    datasets: list[StagedDataset]
    info: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    content_key: str | None = None
    payload: Any = None


@dataclass
class LoadResult:
    """The outcome of one arrival, as written to the load log (``loads``)."""

    load_id: str
    source: str
    source_file: str
    sha256: str
    status: str  # loaded | duplicate | quarantined
    channel: str = "file"
    submitted_by: Mapping[str, Any] | None = None
    received_at: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    validation: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: str | None = None
    batch_id: str | None = None
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
        reasons = "; ".join(describe(e) for e in self.errors[:10])
        return f"QUARANTINED {self.source_file}: {reasons} (report: {self.quarantine_report})"


def describe(error: Mapping[str, Any]) -> str:
    """One line for one finding: file, row, column, message, [rule], value."""
    where = f" row {error['row']}" if error.get("row") is not None else ""
    where += f" column {error['column']}" if error.get("column") else ""
    value = f" value {error['value']!r}" if error.get("value") not in (None, "") else ""
    return f"{error.get('file', '')}{where}: {error.get('message', '')} [{error.get('rule')}]{value}"


@dataclass
class Item:
    """One arrival inside a batch, as the source's ``store`` sees it."""

    load_id: str
    arrival: Arrival
    staged: Staged
    paths: Paths
    warnings: list[dict[str, Any]] = field(default_factory=list)  # non-blocking findings of validation

    @property
    def raw(self) -> RawObject:
        return self.arrival.raw


@dataclass(frozen=True)
class Source:
    """How one source lands in the lake. Everything else -- archive, ledger, validation, quarantine -- is shared.

    stage:       (arrival, workdir, load_id) -> Staged; pure parsing into staged Parquet (``registries/``)
    store:       (writer, items) -> {load_id: rows per table}; writes the batch's accepted items in the open
                 transaction (:func:`per_item` makes one from a function storing one item)
    read_facts:  optional (writer, items) -> facts, read inside the transaction before deciding
    decide:      optional pure (items, facts) -> {load_id: [errors]}: items the lake state rejects
    context:     optional (paths, items, workdir) -> {relation: parquet}: lake context for validation rules
                 (e.g. the municipality master), exposed to the suite next to ``staged``
    batch_validation: validate the batch's staged datasets of one contract in one Great Expectations run
    stage_in_workers: ``stage`` is a module-level function that may run in a worker process (CPU-bound
                 parsers; see :mod:`kiban.load.workers`)
    """

    name: str
    stage: Callable[[Arrival, Path, str], Staged]
    store: Callable[..., dict[str, int]]
    read_facts: Callable[..., Any] | None = None
    decide: Callable[[Sequence[Item], Any], Mapping[str, list[dict[str, Any]]]] | None = None
    context: Callable[[Paths, Sequence[Item], Path], Mapping[str, Path]] | None = None
    batch_validation: bool = False
    stage_in_workers: bool = False


def per_item(store_one: Callable[[Any, Item], dict[str, int]]) -> Callable[..., dict[str, dict[str, int]]]:
    """A batch ``store`` from a function that stores one item (most file sources load one file at a time)."""

    def store(writer: Any, items: Sequence[Item]) -> dict[str, dict[str, int]]:
        return {item.load_id: store_one(writer, item) for item in items}

    return store
