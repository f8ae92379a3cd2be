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

Callers are authenticated by :class:`kiban.intake.identity.Authenticator` (static tokens; OIDC access tokens when
``KIBAN_OIDC_ISSUER`` is set): 401 with the refusal reason, 403 for a genuine credential that grants no 団体, 503
when the issuer's keys cannot be fetched. The identity is queued with the submission and checked again by the load.
Every POST and GET, allowed or refused, is written to the audit log (:mod:`kiban.intake.audit`) before the answer.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.intake import receipts
from kiban.intake.audit import AuditLog
from kiban.intake.identity import Authenticator, Identity, Refusal, credential_kind
from kiban.intake.oidc import verifier_from_env
from kiban.intake.queue import SUBMISSION_ID, Queued
from kiban.intake.tokens import TokenStore
from kiban.serve.http import json_bytes, problem
from registries.errors import SourceError
from registries.reports.load import authorise
from registries.reports.parse import parse
from registries.reports.safety import DEFAULT_MAX_BYTES, safe_filename

MAX_BYTES = int(os.environ.get("KIBAN_INTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))
#: threads accepting submissions at once per process (each mostly waits for an fsync; more at once share more of
#: them, :mod:`kiban.durable`); asyncio's default pool has ``cores + 4``
INTAKE_THREADS = int(os.environ.get("KIBAN_INTAKE_THREADS", "32"))
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


def quick_check(q: Queued, data: bytes, identity: dict[str, Any]
                ) -> tuple[int, str, list[dict], list[str], list[str]]:
    """The load's own parse and authorisation, for an immediate answer (the load decides again, authoritatively).

    Returns (HTTP status, status word, reasons, report ids, the 団体コード reported for).
    """
    try:
        subs = parse(data, q.original_name, received_at=datetime.fromisoformat(q.received_at), channel="api",
                     max_bytes=MAX_BYTES)
    except SourceError as e:
        return 422, "rejected", [e.to_dict()], [], []
    except Exception as e:  # noqa: BLE001 - whatever the bytes do, the answer is a 422, never a 500
        return 422, "rejected", [{"file": q.original_name, "row": None, "column": None, "rule": "unreadable",
                                  "value": None, "message": f"the submission cannot be read: {type(e).__name__}"}], [], []
    ids = [str(s.envelope.get("report_id")) for s in subs]
    lgs = sorted({str(s.envelope.get("lg_code")) for s in subs if s.envelope.get("lg_code")})
    if not subs:
        return 422, "rejected", [{"file": q.original_name, "row": None, "column": None, "rule": "empty",
                                  "value": None, "message": "the file holds no report"}], ids, lgs
    denied = authorise(subs, identity, q.original_name)
    if denied:
        return 403, "rejected", denied, ids, lgs
    return 202, "accepted", [], ids, lgs


def _answer(q: Queued, status: str, reasons: list[dict], warnings: list[dict], report_ids: list[str]) -> dict:
    return {"submission_id": q.submission_id, "status": status, "sha256": q.sha256, "received_at": q.received_at,
            "report_ids": report_ids, "reasons": reasons, "warnings": warnings,
            "location": f"/v1/reports/{q.submission_id}"}


#: Refusals of a genuine credential that grants no 団体 we accept: 403, not 401.
_FORBIDDEN = ("lg_claim_missing", "lg_claim_invalid", "lg_claim_ambiguous", "act_as_not_granted")


def _refused(refusal: Refusal) -> Response:
    if refusal.reason == "jwks_unavailable":
        return problem(503, "Authentication unavailable", refusal.detail, rule=refusal.reason)
    if refusal.reason in _FORBIDDEN:
        return problem(403, "Forbidden", refusal.detail, rule=refusal.reason)
    resp = problem(401, "Unauthorised", refusal.detail, rule=refusal.reason)
    resp.headers["WWW-Authenticate"] = ("Bearer" if refusal.reason == "missing_credentials"
                                        else 'Bearer error="invalid_token"')
    return resp


def routes(paths: Paths) -> list[Route]:
    authenticator = Authenticator(TokenStore(paths), verifier_from_env(os.environ))
    audit = AuditLog.for_home(paths)
    recent: OrderedDict[str, str] = OrderedDict()  # report_id -> submission_id, bounded
    accepting = ThreadPoolExecutor(max_workers=INTAKE_THREADS, thread_name_prefix="kiban-accept")

    async def authenticate(request: Request) -> Identity | Refusal:
        return await asyncio.to_thread(authenticator.authenticate, request.headers.get("authorization"),
                                       request.headers.get("x-kiban-act-as"))

    async def audited(op: str, request: Request, handler) -> Response:
        """Run ``handler(who, facts)`` and write the audit record (who, what, result) before answering."""
        who = await authenticate(request)
        facts: dict = {}
        status = 500
        try:
            response = await handler(who, facts)
            status = response.status_code
        except asyncio.CancelledError:  # the client went away: nobody got an answer (nginx's 499)
            facts["reason"], status = "cancelled", 499
            raise
        except Exception:
            facts["reason"] = "server_error"
            raise
        finally:
            if not facts.get("audited"):  # an accepted submission wrote its record in its own worker call
                await asyncio.to_thread(write_audit, op, status, request, who, facts)
        return response

    def write_audit(op: str, status: int, request: Request, who: Identity | Refusal, facts: dict) -> None:
        audit.record(op, status, identity=who if isinstance(who, Identity) else None,
                     reason=facts.get("reason") or (who.reason if isinstance(who, Refusal) else None),
                     credential=credential_kind(request.headers.get("authorization")),
                     lg_codes=facts.get("lg_codes", ()), submission_id=facts.get("submission_id"),
                     sha256=facts.get("sha256"), target=facts.get("target"),
                     client=request.client.host if request.client else None)
        facts["audited"] = True

    def remember(report_ids: list[str], submission_id: str) -> None:
        for rid in report_ids:
            recent[rid] = submission_id
            recent.move_to_end(rid)
        while len(recent) > _RECENT:
            recent.popitem(last=False)

    async def submit(request: Request) -> Response:
        return await audited("submit", request, lambda who, facts: _submit(request, who, facts))

    async def _submit(request: Request, who: Identity | Refusal, facts: dict) -> Response:
        if isinstance(who, Refusal):
            return _refused(who)
        body = await _read_limited(request, MAX_BYTES)
        if body is None:
            facts["reason"] = "too_large"
            return problem(413, "Upload too large", f"the limit is {MAX_BYTES} bytes", rule="too_large")
        got = await _payload(request, body)
        if isinstance(got, Response):
            facts["reason"] = "bad_upload"
            return got
        data, name = got
        if len(data) > MAX_BYTES:
            facts["reason"] = "too_large"
            return problem(413, "Upload too large", f"the limit is {MAX_BYTES} bytes", rule="too_large")
        intake = request.app.state.intake
        wait = request.query_params.get("wait") in ("1", "true")
        identity = who.to_dict()

        def accept() -> tuple:
            """Archive and queue durably, the quick check, hand to the writer and (unless the answer waits for
            the load) write the audit record: one worker-thread call per submission, not four."""
            q = intake.queue.put_bytes(data, safe_filename(name), channel="api", submitted_by=identity,
                                       received_at=datetime.now(UTC))
            facts.update(submission_id=q.submission_id, sha256=q.sha256)
            first = intake.duplicate_of(q)
            code, status, reasons, ids, lgs = quick_check(q, data, identity)
            facts.update(reason=reasons[0].get("rule") if reasons else status, lg_codes=lgs)
            ticket = intake.submit(q)
            if not wait:
                if first is not None and code == 202:
                    code, facts["reason"] = 200, "duplicate"
                write_audit("submit", code, request, who, facts)  # durable before the answer is sent
            return q, first, code, status, reasons, ids, ticket

        work = asyncio.get_running_loop().run_in_executor(accepting, accept)
        try:
            q, first, code, status, reasons, ids, ticket = await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait([work])  # the thread finishes what it began (its audit record included)
            raise
        remember(ids, q.submission_id)
        if wait:
            await asyncio.to_thread(ticket.done.wait, 120)
            if ticket.result is not None:
                final = receipts.from_result(ticket.result)
                word = {"quarantined": "rejected"}.get(final.status, final.status)
                if final.status == "duplicate":
                    code, facts["reason"] = 200, "duplicate"
                elif final.status == "quarantined":
                    code = code if code in (403, 422) else 422
                    facts["reason"] = (final.errors[0].get("rule") if final.errors else None) or "quarantined"
                else:
                    code = 202
                return _json({**_answer(q, word, final.errors, final.warnings, final.report_ids or ids),
                              "stored_status": final.status, "duplicate_of": final.duplicate_of}, code)
        if first is not None and code in (200, 202):
            facts["reason"] = "duplicate"
            return _json({**_answer(q, "duplicate", [], [], ids), "duplicate_of": first}, 200)
        return _json(_answer(q, status, reasons, [], ids), code)

    def _find(intake: Any, ident: str) -> receipts.Receipt | None:
        if SUBMISSION_ID.fullmatch(ident):
            return receipts.find(paths, intake.queue, ident)
        if ident in recent:
            return receipts.find(paths, intake.queue, recent[ident])
        return receipts.find_by_report(paths, ident)

    async def status(request: Request) -> Response:
        return await audited("read", request, lambda who, facts: _status(request, who, facts))

    async def _status(request: Request, who: Identity | Refusal, facts: dict) -> Response:
        ident = request.path_params["id"]
        facts["target"] = ident[:200]
        if isinstance(who, Refusal):
            return _refused(who)
        if len(ident) > 200:
            facts["reason"] = "not_found"
            return problem(404, "Unknown submission", "no such receipt or report")
        receipt = await asyncio.to_thread(_find, request.app.state.intake, ident)
        if receipt is None:
            facts["reason"] = "not_found"
            return problem(404, "Unknown submission", f"no receipt or report {ident!r}")
        facts.update(submission_id=receipt.submission_id, sha256=receipt.sha256, lg_codes=receipt.lg_codes)
        allowed = receipt.submitted_by == who.lg_code or (
            bool(receipt.lg_codes) and all(who.may_submit(lg) for lg in receipt.lg_codes))
        if not allowed:
            facts["reason"] = "not_authorised"
            return problem(403, "Forbidden", "only the submitter, the municipality or its prefecture may read this")
        facts["reason"] = "ok"
        return _json(receipt.public(), 200)

    return [Route("/v1/reports", submit, methods=["POST"]), Route("/v1/reports/{id}", status, methods=["GET"])]
