"""The status page (状況表示): static HTML/JS/CSS served from this folder, fed by ``GET /v1/status``.

No CDN and no internet resource: the map (Leaflet, no tile server) and the charts (uPlot) are vendored under
``vendor/`` with their licences. ``/`` and ``/status`` serve the page; ``/status/assets/{file}`` its scripts and
style sheets. The document itself is built by :mod:`kiban.serve.status.summary`.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.indicators.service import service
from kiban.serve.http import json_response, problem
from kiban.serve.snapshot import BadRequest, parse_time
from kiban.serve.status.summary import PAGE_TYPES, summary

STATIC = Path(__file__).resolve().parent
_JS, _CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
#: served file name -> (path under this folder, media type); nothing else is served
ASSETS = {"status.js": ("status.js", _JS), "status.css": ("status.css", _CSS),
          "leaflet.js": ("vendor/leaflet.js", _JS), "leaflet.css": ("vendor/leaflet.css", _CSS),
          "uPlot.iife.min.js": ("vendor/uPlot.iife.min.js", _JS), "uPlot.min.css": ("vendor/uPlot.min.css", _CSS)}
_SUBJECT_MAX = 200

__all__ = ["ASSETS", "PAGE_TYPES", "routes", "summary"]


def routes(paths: Paths) -> list[Route]:
    def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return problem(404, "Not found", "no such asset")
        file, media = ASSETS[name]
        return FileResponse(STATIC / file, media_type=media, headers={"Cache-Control": "no-cache"})

    def status(request: Request) -> Response:
        """
        summary: Status page data - key totals with affected-area coverage, prefectures (affected first), the map's municipalities, silent municipalities, series windowed to the event
        parameters:
          - {name: as_of, in: query, schema: {type: string, format: date-time}, description: as known at T}
          - {name: subject, in: query, schema: {type: string},
             description: "災害ID (subject_key of 被害即報); absent = the latest disaster; all = every disaster"}
        responses:
          200: {description: summary}
          304: {description: not modified}
          400: {description: bad parameter}
        """
        try:
            at = parse_time(request.query_params.get("as_of"), "as_of")
        except BadRequest as e:
            return problem(400, "Bad request", str(e))
        subject = request.query_params.get("subject") or None
        if subject is not None and (len(subject) > _SUBJECT_MAX or not subject.isprintable()):
            return problem(400, "Bad request", f"subject must be printable text of at most {_SUBJECT_MAX} characters")
        svc = service(request)
        return json_response(request, summary(svc, at, subject), svc.reader.last_modified())

    return [Route("/", page, include_in_schema=False), Route("/status", page, include_in_schema=False),
            Route("/status/assets/{name}", asset, include_in_schema=False), Route("/v1/status", status)]
