"""Receipts (受付票): what a submitter can learn about a submission, from the queue or from the ledger.

A receipt is never stored on its own: while the submission waits it is the queue record (status ``received``);
once processed it is the submission's row in the load log (``loads``, shown to analysts as
``report_submissions``): ``accepted`` / ``accepted_with_warnings`` / ``quarantined`` / ``duplicate``, with the
reasons. ``GET /v1/reports/{id}`` serves it to its submitter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kiban.config import Paths
from kiban.intake.queue import IntakeQueue, Queued
from kiban.load import LoadResult, ledger

FINAL = ("accepted", "accepted_with_warnings", "quarantined", "duplicate")


@dataclass
class Receipt:
    submission_id: str
    sha256: str
    source_file: str
    channel: str
    received_at: str
    submitted_by: str | None = None
    status: str = "received"
    report_ids: list[str] = field(default_factory=list)
    lg_codes: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    duplicate_of: str | None = None
    batch_id: str | None = None
    processed_at: str | None = None
    quarantine_report: bool = False

    def public(self) -> dict[str, Any]:
        return asdict(self)


def status_of(load_status: str, warnings: list) -> str:
    if load_status == "loaded":
        return "accepted_with_warnings" if warnings else "accepted"
    return load_status


def from_queue(q: Queued) -> Receipt:
    lg = (q.submitted_by or {}).get("lg_code")
    return Receipt(q.submission_id, q.sha256, q.original_name, q.channel, q.received_at, lg)


def from_result(r: LoadResult) -> Receipt:
    info = r.info
    return Receipt(r.load_id, r.sha256, r.source_file, r.channel, r.received_at,
                   (r.submitted_by or {}).get("lg_code"), status_of(r.status, r.warnings),
                   list(info.get("report_ids", [])), list(info.get("lg_codes", [])), r.errors[:200],
                   r.warnings[:200], r.duplicate_of, r.batch_id, None, r.quarantine_report is not None)


def from_ledger(row: dict[str, Any]) -> Receipt:
    detail = row.get("detail") or {}
    info = detail.get("info") or {}
    warnings = detail.get("warnings") or []
    finished = row.get("finished_at")
    received = row.get("received_at")
    return Receipt(
        row["load_id"], row["sha256"], row["source_file"], row.get("channel") or "file",
        received.isoformat() if received is not None else "", (row.get("submitted_by") or {}).get("lg_code"),
        status_of(row["status"], warnings), list(info.get("report_ids", [])), list(info.get("lg_codes", [])),
        (detail.get("errors") or [])[:200], warnings[:200], row.get("duplicate_of"), row.get("batch_id"),
        finished.isoformat() if finished is not None else None, row["status"] == "quarantined")


def find(paths: Paths, intake_queue: IntakeQueue, submission_id: str) -> Receipt | None:
    queued = intake_queue.get(submission_id)
    if queued is not None:
        return from_queue(queued)
    rows = [r for r in ledger.rows(paths, [submission_id]) if r["source"] == "reports"]
    return from_ledger(rows[-1]) if rows else None


def find_by_report(paths: Paths, report_id: str) -> Receipt | None:
    """The receipt of the submission that stored ``report_id``."""
    from kiban.lake import Lake

    if not Lake(paths).readable():
        return None
    con = Lake(paths).reader(spatial=False)
    try:
        if not ledger.has_relation(con, "report_versions"):
            return None
        row = con.execute("SELECT sha256 FROM report_versions WHERE report_id = ? LIMIT 1", [report_id]).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    rows = [r for r in ledger.rows(paths, source="reports", sha256=row[0]) if r["status"] == "loaded"]
    return from_ledger(rows[0]) if rows else None
