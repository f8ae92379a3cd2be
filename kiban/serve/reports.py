"""Report intake over HTTP: ``POST /v1/reports`` and ``GET /v1/reports/{id}`` (bearer token per reporter).

POST takes a JSON body (one report object or a list) or a multipart upload (field ``file``: CSV / XLSX / JSON).
Order of work: authenticate (401) -> size limit (413, nothing read past the limit) -> archive as received and
queue durably with the caller's identity (:mod:`kiban.intake.queue`) -> a quick read of the same rules the load
applies (parse: 422, authorisation: 403) for an immediate answer -> hand to the intake service, which stores it
through the one load use case within about a second. ``202`` therefore always means "durably queued", and every
submission -- accepted, refused or unreadable -- is kept and ends in the ledger with its reasons. The same bytes
again answer ``duplicate`` (200). ``?wait=true`` answers only after the load (final status).

GET returns the receipt (status, reasons, warnings) by receipt id (``sub_...``) or report id, to the submitter,
the municipality itself or its prefecture.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.intake import receipts
from kiban.intake.queue import SUBMISSION_ID, Queued
from kiban.intake.tokens import TokenStore, bearer
from kiban.load import ledger
from kiban.serve.http import json_bytes, problem
from registries.errors import SourceError
from registries.reports.load import authorise, may_submit
from registries.reports.parse import parse
from registries.reports.safety import DEFAULT_MAX_BYTES, safe_filename

MAX_BYTES = int(os.environ.get("KIBAN_INTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))
_RECENT = 10_000  # report ids of recent submissions kept in memory for GET by report id before they are stored


def _json(payload: dict, status: int) -> Response:
    return Response(json_bytes(payload), status_code=status, media_type="application/json; charset=utf-8")


async def _read_limited(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _payload(request: Request, body: bytes) -> tuple[bytes, str] | Response:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, receive).form(max_files=1, max_fields=20)
        except Exception:  # noqa: BLE001 - a malformed multipart body is the client's error
            return problem(400, "Malformed upload", "the multipart body cannot be read", rule="multipart")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return problem(400, "No file", "multipart upload needs a 'file' field")
        return await upload.read(), upload.filename or "upload"
    name = request.headers.get("x-filename") or "submission.json"
    return body, name


def quick_check(q: Queued, data: bytes, identity: dict[str, Any]) -> tuple[int, str, list[dict], list[str]]:
    """The load's own parse and authorisation, for an immediate answer (the load decides again, authoritatively).

    Returns (HTTP status, status word, reasons, report ids).
    """
    try:
        subs = parse(data, q.original_name, received_at=datetime.fromisoformat(q.received_at), channel="api",
                     max_bytes=MAX_BYTES)
    except SourceError as e:
        return 422, "rejected", [e.to_dict()], []
    except Exception as e:  # noqa: BLE001 - whatever the bytes do, the answer is a 422, never a 500
        return 422, "rejected", [{"file": q.original_name, "row": None, "column": None, "rule": "unreadable",
                                  "value": None, "message": f"the submission cannot be read: {type(e).__name__}"}], []
    ids = [str(s.envelope.get("report_id")) for s in subs]
    if not subs:
        return 422, "rejected", [{"file": q.original_name, "row": None, "column": None, "rule": "empty",
                                  "value": None, "message": "the file holds no report"}], ids
    denied = authorise(subs, identity, q.original_name)
    if denied:
        return 403, "rejected", denied, ids
    return 202, "accepted", [], ids


def _answer(q: Queued, status: str, reasons: list[dict], warnings: list[dict], report_ids: list[str]) -> dict:
    return {"submission_id": q.submission_id, "status": status, "sha256": q.sha256, "received_at": q.received_at,
            "report_ids": report_ids, "reasons": reasons, "warnings": warnings,
            "location": f"/v1/reports/{q.submission_id}"}


def identity_of(record: Any) -> dict[str, Any]:
    """The identity stored with a submission for a static bearer token."""
    return {"kind": "token", "lg_code": record.lg_code, "subject": f"token:{record.token_id}",
            "token_id": record.token_id}


def routes(paths: Paths) -> list[Route]:
    tokens = TokenStore(paths)
    recent: OrderedDict[str, str] = OrderedDict()  # report_id -> submission_id, bounded

    def authenticate(request: Request) -> dict[str, Any] | None:
        rec = tokens.verify(bearer(request.headers.get("authorization")))
        return identity_of(rec) if rec is not None else None

    def remember(report_ids: list[str], submission_id: str) -> None:
        for rid in report_ids:
            recent[rid] = submission_id
            recent.move_to_end(rid)
        while len(recent) > _RECENT:
            recent.popitem(last=False)

    def duplicate_of(intake: Any, q: Queued) -> str | None:
        waiting = intake.waiting_with(q.sha256)
        if waiting is not None:
            return waiting
        done = [r for r in ledger.rows(paths, source="reports", sha256=q.sha256) if r["status"] == "loaded"]
        return done[0]["load_id"] if done else None

    async def submit(request: Request) -> Response:
        identity = authenticate(request)
        if identity is None:
            return problem(401, "Unauthorised", "send Authorization: Bearer <token> (kiban reports tokens add)")
        body = await _read_limited(request, MAX_BYTES)
        if body is None:
            return problem(413, "Upload too large", f"the limit is {MAX_BYTES} bytes", rule="too_large")
        got = await _payload(request, body)
        if isinstance(got, Response):
            return got
        data, name = got
        if len(data) > MAX_BYTES:
            return problem(413, "Upload too large", f"the limit is {MAX_BYTES} bytes", rule="too_large")
        intake = request.app.state.intake
        q = await asyncio.to_thread(intake.queue.put_bytes, data, safe_filename(name), channel="api",
                                    submitted_by=identity, received_at=datetime.now(UTC))
        first = await asyncio.to_thread(duplicate_of, intake, q)
        code, status, reasons, ids = await asyncio.to_thread(quick_check, q, data, identity)
        remember(ids, q.submission_id)
        ticket = intake.submit(q)
        if request.query_params.get("wait") in ("1", "true"):
            await asyncio.to_thread(ticket.done.wait, 120)
            if ticket.result is not None:
                final = receipts.from_result(ticket.result)
                word = {"quarantined": "rejected"}.get(final.status, final.status)
                if final.status == "duplicate":
                    code = 200
                elif final.status == "quarantined":
                    code = code if code in (403, 422) else 422
                else:
                    code = 202
                return _json({**_answer(q, word, final.errors, final.warnings, final.report_ids or ids),
                              "stored_status": final.status, "duplicate_of": final.duplicate_of}, code)
        if first is not None and code == 202:
            return _json({**_answer(q, "duplicate", [], [], ids), "duplicate_of": first}, 200)
        return _json(_answer(q, status, reasons, [], ids), code)

    def _find(intake: Any, ident: str) -> receipts.Receipt | None:
        if SUBMISSION_ID.fullmatch(ident):
            return receipts.find(paths, intake.queue, ident)
        if ident in recent:
            return receipts.find(paths, intake.queue, recent[ident])
        return receipts.find_by_report(paths, ident)

    async def status(request: Request) -> Response:
        identity = authenticate(request)
        if identity is None:
            return problem(401, "Unauthorised", "send Authorization: Bearer <token>")
        ident = request.path_params["id"]
        if len(ident) > 200:
            return problem(404, "Unknown submission", "no such receipt or report")
        receipt = await asyncio.to_thread(_find, request.app.state.intake, ident)
        if receipt is None:
            return problem(404, "Unknown submission", f"no receipt or report {ident!r}")
        caller = identity["lg_code"]
        allowed = receipt.submitted_by == caller or (
            bool(receipt.lg_codes) and all(may_submit(caller, lg) for lg in receipt.lg_codes))
        if not allowed:
            return problem(403, "Forbidden", "only the submitter, the municipality or its prefecture may read this")
        return _json(receipt.public(), 200)

    return [Route("/v1/reports", submit, methods=["POST"]), Route("/v1/reports/{id}", status, methods=["GET"])]
