"""One intake batch: every waiting submission parsed, validated and stored in ONE lake transaction.

Steps (the same for landing files, HTTP submissions, ``kiban reports ingest`` and the demo):

1. receive (:func:`receive_bytes` / :func:`receive_file`): archive as received (``RawArchive``), write the
   receipt (``received``). Nothing else happens before this.
2. parse each submission (file-level problems quarantine that submission);
3. authorise (HTTP: the token's 団体 may submit for each lg_code, see ``tokens.may_submit``);
4. pure-Python validation per report (master, proxy, clock skew, previous version / month);
5. Great Expectations: one run per report type over all remaining reports of the batch;
6. one lake transaction: duplicates and reused report ids re-checked authoritatively, versions, typed rows and
   receipts appended, ``reports_latest`` rebuilt;
7. receipts and quarantine reports written.

A blocking problem quarantines only its own submission (all its reports are stored as ``rejected`` versions,
so nothing is lost); the rest of the batch is stored.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kiban.archive import RawArchive
from kiban.config import Paths
from kiban.intake.receipts import Receipt, ReceiptStore, submission_id
from kiban.intake.tokens import may_submit
from kiban.lake import Lake
from quality.datadocs import build_for_load, docs_file
from registries.errors import SourceError
from registries.reports import load as store
from registries.reports.model import Submission
from registries.reports.parse import parse
from registries.reports.safety import DEFAULT_MAX_BYTES, safe_filename
from registries.reports.validate import Finding, ValidationResult, validate


@dataclass
class Incoming:
    """One archived submission waiting for a batch (``subs``: already parsed by the HTTP handler)."""

    receipt: Receipt
    subs: list[Submission] | None = None
    auth_lg: str | None = None


@dataclass
class BatchResult:
    batch_id: str
    receipts: list[Receipt]
    rows: dict[str, int] = field(default_factory=dict)
    validation: dict[str, object] = field(default_factory=dict)  # report type -> quality ValidationReport
    #: dataset -> {"data_docs": page under /quality/, "data_docs_file": the HTML file}
    data_docs: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.status != "quarantined" for r in self.receipts)


# ------------------------------------------------------------------------------------------------- receive

def _receive(paths: Paths, raw, channel: str, received_at: datetime, submitted_by: str | None,
             name: str) -> Receipt:
    receipts = ReceiptStore(paths)
    sid = submission_id(raw.sha256)
    arrival = {"received_at": received_at.isoformat(), "source_file": name, "submitted_by": submitted_by}
    existing = receipts.get(sid)
    if existing is not None:
        existing.arrivals.append(arrival)
        receipts.put(existing)
        return existing
    rec = Receipt(sid, raw.sha256, name, channel, received_at.isoformat(), submitted_by, arrivals=[arrival],
                  raw_path=str(raw.path))
    receipts.put(rec)
    return rec


def receive_bytes(paths: Paths, data: bytes, filename: str, *, channel: str = "api",
                  submitted_by: str | None = None, received_at: datetime | None = None) -> Receipt:
    """Archive uploaded bytes and write (or extend) their receipt."""
    name = safe_filename(filename)
    at = received_at or datetime.now(UTC)
    raw = RawArchive(paths.raw).put_bytes(data, original_name=name, source=f"{channel}:{submitted_by or ''}")
    return _receive(paths, raw, channel, at, submitted_by, name)


def receive_file(paths: Paths, path: Path, *, channel: str = "file", received_at: datetime | None = None,
                 original_name: str | None = None) -> Receipt:
    """Archive a local file (left in place) and write (or extend) its receipt."""
    name = safe_filename(original_name or path.name)
    at = received_at or datetime.now(UTC)
    raw = RawArchive(paths.raw).put_file(path, original_name=name, source=str(path))
    return _receive(paths, raw, channel, at, None, name)


# ------------------------------------------------------------------------------------------------- checks

def parse_receipt(receipt: Receipt, data: bytes | None = None, max_bytes: int = DEFAULT_MAX_BYTES
                  ) -> list[Submission]:
    """Parse the archived bytes of a receipt (raises ``SourceError`` for file-level problems)."""
    data = Path(receipt.raw_path).read_bytes() if data is None else data
    channel = "api" if receipt.channel == "api" else "file"
    return parse(data, receipt.source_file, received_at=datetime.fromisoformat(receipt.received_at),
                 channel=channel, max_bytes=max_bytes)


def authorise(subs: Sequence[Submission], auth_lg: str) -> list[dict]:
    """Check each report against the token's 団体 and record the authenticated reporter; returns errors."""
    errors = []
    for s in subs:
        lg, claimed = s.envelope.get("lg_code"), s.envelope.get("reporter_lg_code")
        if not may_submit(auth_lg, lg):
            errors.append(_err(s, "lg_code", "not_authorised", lg,
                               f"the token of {auth_lg} may not submit for {lg}: only the municipality itself "
                               "or its prefecture (代理入力) may"))
        elif claimed not in (auth_lg, lg):
            errors.append(_err(s, "reporter_lg_code", "reporter_mismatch", claimed,
                               f"reporter_lg_code {claimed} is not the token's 団体 {auth_lg}"))
        s.envelope["reporter_lg_code"] = auth_lg
        s.texts["reporter_lg_code"] = auth_lg
    return errors


def _err(sub: Submission | None, column: str | None, rule: str, value: object, message: str,
         file: str = "") -> dict:
    return {"file": file or (sub.envelope.get("source_file") if sub else ""), "row": sub.source_row if sub else None,
            "column": column, "rule": rule, "value": None if value is None else str(value), "message": message}


def _finding_dict(sub: Submission, f: Finding) -> dict:
    return _err(sub, f.field, f.rule, f.value, f.reason)


class _Previous:
    """Previous versions (disaster cumulative counts) and months (population balance) for the batch."""

    def __init__(self, paths: Paths, subs: Sequence[Submission]) -> None:
        self.by_key: dict[tuple, list[tuple]] = {}
        lgs = sorted({str(s.envelope.get("lg_code")) for s in subs
                      if s.report_type in ("disaster_damage", "population_monthly")})
        if lgs and paths.views_db.exists():
            self._load(paths, lgs)

    def _load(self, paths: Paths, lgs: list[str]) -> None:
        con = Lake(paths).reader()
        try:
            if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'reports_latest'").fetchone()[0]:
                return
            rows = con.execute(
                "SELECT report_type, lg_code, subject_key, as_of, sequence_no, report_id, payload FROM reports_latest "
                "WHERE report_type IN ('disaster_damage', 'population_monthly') AND list_contains(?, lg_code)",
                [lgs]).fetchall()
        finally:
            con.close()
        for rt, lg, subject, as_of, seq, rid, payload in rows:
            sub = Submission({"report_id": rid, "as_of": as_of, "sequence_no": seq}, json.loads(payload), {})
            self.add(rt, lg, subject, sub)

    def add(self, rt: str, lg: str, subject: str, sub: Submission) -> None:
        self.by_key.setdefault((rt, lg, subject), []).append(sub)

    def _best(self, key: tuple, before: Submission | None = None) -> Submission | None:
        cands = self.by_key.get(key, [])
        if before is not None:
            bk = (before.envelope.get("as_of"), before.envelope.get("sequence_no") or 0)
            cands = [c for c in cands if c.envelope.get("report_id") != before.envelope.get("report_id")
                     and (c.envelope["as_of"], c.envelope["sequence_no"] or 0) <= bk]
        return max(cands, key=lambda c: (c.envelope["as_of"], c.envelope["sequence_no"] or 0), default=None)

    def previous(self, sub: Submission) -> Submission | None:
        if sub.report_type != "disaster_damage" or not isinstance(sub.envelope.get("as_of"), datetime):
            return None
        e = sub.envelope
        return self._best((sub.report_type, e.get("lg_code"), e.get("subject_key")), sub)

    def previous_month(self, sub: Submission) -> Submission | None:
        ym = str(sub.envelope.get("subject_key") or "")
        if sub.report_type != "population_monthly" or len(ym) != 7 or not ym[:4].isdigit() or not ym[5:].isdigit():
            return None
        y, m = int(ym[:4]), int(ym[5:])
        prev = f"{y - (m == 1)}-{12 if m == 1 else m - 1:02d}"
        return self._best(("population_monthly", sub.envelope.get("lg_code"), prev))


# ------------------------------------------------------------------------------------------------- batch

@dataclass
class _Work:
    inc: Incoming
    subs: list[Submission] = field(default_factory=list)
    results: list[ValidationResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    duplicate_of: str | None = None

    @property
    def receipt(self) -> Receipt:
        return self.inc.receipt

    def reject(self, errors: list[dict]) -> None:
        self.errors.extend(errors)


def _prepare(paths: Paths, work: list[_Work], master) -> None:
    """Parse, authorise and validate (pure Python) every submission, in arrival order."""
    for w in work:
        try:
            w.subs = w.inc.subs if w.inc.subs is not None else parse_receipt(w.receipt)
        except SourceError as e:
            w.reject([{**e.to_dict(), "message": e.message}])
            continue
        if w.inc.auth_lg is not None:
            w.reject(authorise(w.subs, w.inc.auth_lg))
    prev = _Previous(paths, [s for w in work for s in w.subs])
    seen_ids: dict[str, str] = {}
    for w in work:
        for s in w.subs:
            res = validate(s, master=master, previous=prev.previous(s), previous_month=prev.previous_month(s))
            w.results.append(res)
            w.reject([_finding_dict(s, f) for f in res.errors])
            rid = str(s.envelope.get("report_id"))
            other = seen_ids.setdefault(rid, w.receipt.submission_id)
            if other != w.receipt.submission_id:
                w.reject([_err(s, "report_id", "report_id_reused", rid,
                               f"report_id is already used by submission {other} in this batch")])
        if not w.errors:
            for s in w.subs:
                e = s.envelope
                prev.add(s.report_type, e.get("lg_code"), e.get("subject_key"), s)


def _ge(work: list[_Work], workdir: Path) -> dict[str, object]:
    """One GE run per report type over all reports of submissions still accepted; failures quarantine."""
    reports: dict[str, object] = {}
    timings: dict[str, float] = {}
    live = [(w, s) for w in work if not w.errors for s in w.subs]
    for rt in sorted({s.report_type for _, s in live}):
        rows = [(w, s) for w, s in live if s.report_type == rt]
        parquet, _ = store.stage_type([s for _, s in rows], rt, workdir)
        t0 = time.perf_counter()
        report = store.run_suite(rt, parquet, source_file=f"batch:{rt}")
        reports[rt] = report
        timings[rt] = round(time.perf_counter() - t0, 3)
        for check in report.blocking_failures():
            hit = set()
            for sample in check.samples:
                idx = sample.get("row")
                if isinstance(idx, int) and 1 <= idx <= len(rows):
                    w, s = rows[idx - 1]
                    hit.add(id(w))
                    w.reject([_err(s, check.column, check.name, sample.get("value"), check.rule_description)])
            if not hit:  # the check could not run or named no row: every submission of the type is held back
                for w, s in rows:
                    w.reject([_err(s, check.column, check.name, None, check.error or check.rule_description)])
    reports["_seconds"] = timings
    return reports


def _finish_results(w: _Work) -> None:
    if w.errors:
        for res in w.results:
            if res.ok:
                res.add(Finding(None, "submission_quarantined",
                                "another report of the same submission has a blocking error"))


def _submission_row(w: _Work, batch_id: str, processed_at: datetime, status: str) -> dict:
    r = w.receipt
    return {
        "submission_id": r.submission_id, "sha256": r.sha256, "source_file": r.source_file, "channel": r.channel,
        "submitted_by": r.submitted_by, "received_at": datetime.fromisoformat(r.received_at), "status": status,
        "reports": len(w.subs), "report_ids": [str(s.envelope.get("report_id")) for s in w.subs],
        "errors": w.errors[:200], "warnings": [_finding_dict(s, f) for s, res in zip(w.subs, w.results, strict=False)
                                              for f in res.warnings][:200],
        "duplicate_of": w.duplicate_of, "batch_id": batch_id, "processed_at": processed_at,
    }


def _status(w: _Work) -> str:
    if w.duplicate_of:
        return "duplicate"
    if w.errors:
        return "quarantined"
    return "accepted_with_warnings" if any(res.warnings for res in w.results) else "accepted"


def process_batch(paths: Paths, incoming: Sequence[Incoming], *, master=None) -> BatchResult:
    """Process waiting submissions as one batch (see the module docstring). Never raises for bad input."""
    from kiban.intake.master import lg_master

    t0 = time.perf_counter()
    batch_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    unique: dict[str, Incoming] = {}
    already: dict[str, Receipt] = {}
    for inc in sorted(incoming, key=lambda i: i.receipt.received_at):
        if inc.receipt.status != "received":
            already[inc.receipt.submission_id] = inc.receipt  # final before: the arrival is on the receipt
            continue
        unique.setdefault(inc.receipt.submission_id, inc)
    work = [_Work(inc) for inc in unique.values()]
    master = master if master is not None else lg_master(paths)
    _prepare(paths, work, master)
    t1 = time.perf_counter()
    workdir = paths.staging / f"reports-{batch_id}"
    try:
        ge = _ge(work, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = BatchResult(batch_id, [w.receipt for w in work])
    t_docs = time.perf_counter()
    pages = build_for_load(paths.home, batch_id, [v for k, v in ge.items() if k != "_seconds"], "batch")
    result.data_docs = {d: {"data_docs": p, "data_docs_file": str(docs_file(paths.home, p))} for d, p in pages.items()}
    t2 = time.perf_counter()
    processed_at = datetime.now(UTC)
    with Lake(paths).writer() as writer:
        done = store.processed_submissions(writer, [w.receipt.sha256 for w in work])
        for w in work:
            if w.receipt.sha256 in done:
                w.duplicate_of = done[w.receipt.sha256]
        live = [w for w in work if not w.duplicate_of]
        ids = [str(s.envelope.get("report_id")) for w in live for s in w.subs]
        taken = store.existing_report_ids(writer, ids)
        for w in live:
            for s in w.subs:
                rid = str(s.envelope.get("report_id"))
                if rid in taken and taken[rid] != w.receipt.sha256:
                    w.reject([_err(s, "report_id", "report_id_reused", rid,
                                   "report_id was already used by an earlier submission (ids are never reused)")])
        for w in live:
            _finish_results(w)
        versions, stored_ids = [], set(taken)
        for w in live:
            for s, res in zip(w.subs, w.results, strict=True):
                rid = str(s.envelope.get("report_id"))
                if rid not in stored_ids:
                    stored_ids.add(rid)
                    versions.append((s, res))
        rows = [_submission_row(w, batch_id, processed_at, _status(w)) for w in work]
        result.rows = store.store_batch(writer, [v[0] for v in versions], [v[1] for v in versions], rows)
    t3 = time.perf_counter()
    _write_receipts(paths, work, batch_id, processed_at)
    result.receipts = [w.receipt for w in work] + [r for sid, r in already.items() if sid not in unique]
    result.validation = {k: v for k, v in ge.items() if k != "_seconds"}
    result.seconds = {"prepare": round(t1 - t0, 3), "ge": round(t_docs - t1, 3), "ge_by_type": ge["_seconds"],
                      "data_docs": round(t2 - t_docs, 3), "store": round(t3 - t2, 3),
                      "total": round(time.perf_counter() - t0, 3)}
    return result


def _write_receipts(paths: Paths, work: list[_Work], batch_id: str, processed_at: datetime) -> None:
    receipts = ReceiptStore(paths)
    for w in work:
        r = w.receipt
        latest = receipts.get(r.submission_id) or r
        if latest.status != "received" and w.duplicate_of:
            continue  # already final from an earlier batch; this arrival was only recorded
        latest.status = _status(w)
        latest.report_ids = [str(s.envelope.get("report_id")) for s in w.subs]
        latest.lg_codes = sorted({str(s.envelope.get("lg_code")) for s in w.subs})
        latest.errors = w.errors[:200]
        latest.warnings = [_finding_dict(s, f) for s, res in zip(w.subs, w.results, strict=False)
                           for f in res.warnings][:200]
        latest.duplicate_of = w.duplicate_of
        latest.batch_id, latest.processed_at = batch_id, processed_at.isoformat()
        if w.errors:
            folder = paths.quarantine / r.submission_id
            folder.mkdir(parents=True, exist_ok=True)
            report = folder / "report.json"
            report.write_text(json.dumps({
                "submission_id": r.submission_id, "file": r.source_file, "sha256": r.sha256, "raw_path": r.raw_path,
                "received_at": r.received_at, "submitted_by": r.submitted_by, "errors": w.errors,
                "quarantined_at": processed_at.isoformat(), "batch_id": batch_id,
            }, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            latest.quarantine_report = str(report)
        receipts.put(latest)
        w.inc.receipt = latest


# ------------------------------------------------------------------------------------------------- entry points

def ingest_landing(paths: Paths, names: list[str] | None = None, *, settle: float | None = None) -> BatchResult:
    """Take the ready landing files (all or ``names``) plus any file receipts left pending; one batch."""
    from kiban.intake import landing

    kw = {} if settle is None else {"settle": settle}
    taken = landing.take(paths, names, **kw)
    pending = {r.submission_id: r for r in ReceiptStore(paths).pending(channel="file")}
    pending.update({r.submission_id: r for r in taken})
    return process_batch(paths, [Incoming(r) for r in pending.values()])


def ingest_files(paths: Paths, files: Sequence[Path]) -> BatchResult:
    """Archive local files (received now) and process them as one batch (``kiban reports ingest``)."""
    return process_batch(paths, [Incoming(receive_file(paths, f)) for f in files])
