"""HTTP helpers shared by every route module: conditional GET (ETag / Last-Modified / 304), JSON bodies."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")


def conditional(request: Request, body: bytes, media_type: str, last_modified: datetime | None = None,
                headers: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """A response with a strong ETag (sha256 of the body) and Last-Modified; 304 when the client has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified = (last_modified or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    out_headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
                   "Cache-Control": "no-cache", **(headers or {})}
    inm = request.headers.get("if-none-match")
    if inm is not None:
        if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
            return Response(status_code=304, headers=out_headers)
    elif (ims := request.headers.get("if-modified-since")) is not None:
        try:
            if modified <= parsedate_to_datetime(ims):
                return Response(status_code=304, headers=out_headers)
        except (TypeError, ValueError):
            pass
    return Response(body, status_code=status_code, media_type=media_type, headers=out_headers)


def json_response(request: Request, payload: Any, last_modified: datetime | None = None,
                  status_code: int = 200) -> Response:
    return conditional(request, json_bytes(payload), "application/json; charset=utf-8", last_modified,
                       status_code=status_code)


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem+json error."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json_bytes(body), status_code=status, media_type="application/problem+json")
