"""Report intake over HTTP: ``POST /v1/reports`` and ``GET /v1/reports/{id}`` (bearer token or OIDC JWT).

POST takes a JSON body (one report object or a list) or a multipart upload (field ``file``: CSV / XLSX / JSON).
Order of work: authenticate (401) -> size limit (413, nothing read past the limit) -> archive as received +
receipt -> parse, authorise (403), validate in pure Python -> answer ``accepted`` (202) or ``rejected``
(422) with reasons -> queue for the batch writer (GE, lake). Rejected and unauthorised submissions are kept
(raw archive, receipt, quarantine report). The same bytes again answer ``duplicate`` (200) with the receipt.
``?wait=true`` answers only after the batch has stored the submission (final status).

GET returns the receipt (status, reasons, warnings) by receipt id (``sub_...``) or report id, to a caller that
may submit for every 団体 in it (the municipality itself, its prefecture) or that submitted it.

Callers are authenticated by :class:`kiban.intake.identity.Authenticator` (static tokens; OIDC access tokens when
``KIBAN_OIDC_ISSUER`` is set): 401 with the refusal reason, 403 for a genuine token that grants no 団体, 503 when
the issuer's keys cannot be fetched. Every POST and GET, allowed or refused, is written to the audit log
(:mod:`kiban.intake.audit`) before the answer is sent.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.intake.audit import AuditLog
from kiban.intake.batch import Incoming, authorise, parse_receipt, receive_bytes
from kiban.intake.batcher import get_batcher
from kiban.intake.identity import Authenticator, Identity, Refusal, credential_kind
from kiban.intake.oidc import verifier_from_env
from kiban.intake.receipts import Receipt, ReceiptStore
from kiban.intake.tokens import TokenStore
from kiban.serve.http import json_bytes, problem
from registries.errors import SourceError
from registries.reports.safety import DEFAULT_MAX_BYTES
from registries.reports.validate import validate

MAX_BYTES = int(os.environ.get("KIBAN_INTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))


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

        form = await Request(request.scope, receive).form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return problem(400, "No file", "multipart upload needs a 'file' field")
        return await upload.read(), upload.filename or "upload"
    name = request.headers.get("x-filename") or "submission.json"
    return body, name


class _Master:
    """The municipality master for immediate validation, refreshed every minute."""

    def __init__(self, paths: Paths) -> None:
        self.paths, self.value, self.loaded = paths, None, 0.0

    def get(self):
        from kiban.intake.master import lg_master

        if self.value is None or time.monotonic() - self.loaded > 60:
            self.value, self.loaded = lg_master(self.paths), time.monotonic()
        return self.value


def _answer(receipt: Receipt, status: str, reasons: list[dict], warnings: list[dict]) -> dict:
    return {"submission_id": receipt.submission_id, "status": status, "sha256": receipt.sha256,
            "received_at": receipt.received_at, "report_ids": receipt.report_ids, "reasons": reasons,
            "warnings": warnings, "location": f"/v1/reports/{receipt.submission_id}"}


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


def _warm(paths: Paths) -> None:
    """Import Great Expectations and load the master before the first batch needs them (GE import is slow)."""
    import quality.runner  # noqa: F401
    from kiban.intake.master import lg_master

    lg_master(paths)


def routes(paths: Paths) -> list[Route]:
    threading.Thread(target=_warm, args=(paths,), name="kiban-intake-warm", daemon=True).start()
    authenticator = Authenticator(TokenStore(paths), verifier_from_env(os.environ))
    audit = AuditLog.for_home(paths)
    receipts = ReceiptStore(paths)
    master = _Master(paths)
    recent: dict[str, str] = {}  # report_id -> submission_id for submissions not yet in the lake

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
            await asyncio.to_thread(
                audit.record, op, status, identity=who if isinstance(who, Identity) else None,
                reason=facts.get("reason") or (who.reason if isinstance(who, Refusal) else None),
                credential=credential_kind(request.headers.get("authorization")),
                lg_codes=facts.get("lg_codes", ()), submission_id=facts.get("submission_id"),
                sha256=facts.get("sha256"), target=facts.get("target"),
                client=request.client.host if request.client else None)
        return response

    def check(sub_receipt: Receipt, data: bytes, who: Identity) -> tuple[int, str, list, list, list]:
        try:
            subs = parse_receipt(sub_receipt, data, max_bytes=MAX_BYTES)
        except SourceError as e:
            return 422, "rejected", [{**e.to_dict(), "message": e.message}], [], []
        denied = authorise(subs, who.lg_code)
        sub_receipt.report_ids = [str(s.envelope.get("report_id")) for s in subs]
        if denied:
            return 403, "rejected", denied, [], subs
        reasons, warnings = [], []
        m = master.get()
        for s in subs:
            res = validate(s, master=m)
            row = {"file": sub_receipt.source_file, "row": s.source_row}
            reasons += [{**row, **f.to_dict()} for f in res.errors]
            warnings += [{**row, **f.to_dict()} for f in res.warnings]
        return (422 if reasons else 202), ("rejected" if reasons else "accepted"), reasons, warnings, subs

    async def submit(request: Request) -> Response:
        """
        summary: Submit municipal reports (JSON body or multipart file upload); answers accepted or rejected
        responses:
          202: {description: accepted (stored by the next batch)}
          200: {description: same content received before (duplicate)}
          401: {description: missing, unknown, revoked, expired or otherwise invalid credential (rule says which)}
          403: {description: the caller's 団体 may not submit for this lg_code, or the credential grants no 団体}
          413: {description: upload too large}
          422: {description: rejected, with reasons}
          503: {description: the OIDC issuer's keys cannot be fetched}
        """
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
        receipt = await asyncio.to_thread(receive_bytes, paths, data, name, channel="api",
                                          submitted_by=who.lg_code, received_at=datetime.now(UTC))
        facts.update(submission_id=receipt.submission_id, sha256=receipt.sha256)
        if receipt.status != "received" or len(receipt.arrivals) > 1:
            facts.update(reason="duplicate", lg_codes=receipt.lg_codes)
            return _json({**_answer(receipt, "duplicate", receipt.errors, receipt.warnings),
                          "duplicate_of": receipt.submission_id, "stored_status": receipt.status}, 200)
        code, status, reasons, warnings, subs = await asyncio.to_thread(check, receipt, data, who)
        facts.update(lg_codes=[s.envelope.get("lg_code") for s in subs],
                     reason=reasons[0].get("rule") if reasons else status)
        for rid in receipt.report_ids:
            recent[rid] = receipt.submission_id
        ticket = get_batcher(paths).submit(Incoming(receipt, subs or None, who.lg_code))
        if request.query_params.get("wait") in ("1", "true"):
            await asyncio.to_thread(ticket.done.wait, 120)
            final = ticket.receipt or receipt
            if final.status == "quarantined" and code != 403:
                code, facts["reason"] = 422, (final.errors[0].get("rule") if final.errors else None) or "quarantined"
            return _json({**_answer(final, "rejected" if final.status == "quarantined" else "accepted",
                                    final.errors, final.warnings), "stored_status": final.status}, code)
        return _json(_answer(receipt, status, reasons, warnings), code)

    def _find(ident: str) -> Receipt | None:
        found = receipts.get(ident)
        if found is not None:
            return found
        sid = recent.get(ident)
        if sid is None:
            sid = _lookup_report(paths, ident)
        return receipts.get(sid) if sid else None

    async def status(request: Request) -> Response:
        """
        summary: Receipt, status and quarantine reasons of a submission (by receipt id or report id)
        responses:
          200: {description: the receipt}
          401: {description: missing, unknown, revoked, expired or otherwise invalid credential (rule says which)}
          403: {description: not the submitter's}
          404: {description: unknown id}
          503: {description: the OIDC issuer's keys cannot be fetched}
        """
        return await audited("read", request, lambda who, facts: _status(request, who, facts))

    async def _status(request: Request, who: Identity | Refusal, facts: dict) -> Response:
        facts["target"] = request.path_params["id"]
        if isinstance(who, Refusal):
            return _refused(who)
        receipt = await asyncio.to_thread(_find, request.path_params["id"])
        if receipt is None:
            facts["reason"] = "not_found"
            return problem(404, "Unknown submission", f"no receipt or report {request.path_params['id']!r}")
        facts.update(submission_id=receipt.submission_id, sha256=receipt.sha256, lg_codes=receipt.lg_codes)
        allowed = receipt.submitted_by == who.lg_code or (
            bool(receipt.lg_codes) and all(who.may_submit(lg) for lg in receipt.lg_codes))
        if not allowed:
            facts["reason"] = "not_authorised"
            return problem(403, "Forbidden", "only the submitter, the municipality or its prefecture may read this")
        facts["reason"] = "ok"
        return _json(receipt.public(), 200)

    return [Route("/v1/reports", submit, methods=["POST"]), Route("/v1/reports/{id}", status, methods=["GET"])]


def _lookup_report(paths: Paths, report_id: str) -> str | None:
    from kiban.intake.receipts import submission_id
    from kiban.lake import Lake

    if not paths.views_db.exists():
        return None
    con = Lake(paths).reader()
    try:
        if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'report_versions'").fetchone()[0]:
            return None
        row = con.execute("SELECT sha256 FROM report_versions WHERE report_id = ? LIMIT 1", [report_id]).fetchone()
    finally:
        con.close()
    return submission_id(row[0]) if row else None
