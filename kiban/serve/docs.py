"""API description routes: ``/openapi.json`` (OpenAPI 3.1 JSON), ``/docs`` (vendored Swagger UI, no CDN) and
``/v1/report-types/{report_type}/schema`` (the JSON Schema of a submission, derived from its contract)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.serve.http import json_bytes
from kiban.serve.openapi import spec
from kiban.serve.report_schemas import submission_schema

STATIC = Path(__file__).resolve().parent / "docs"
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
          "docs.js": "text/javascript; charset=utf-8", "LICENSE": "text/plain; charset=utf-8",
          "NOTICE": "text/plain; charset=utf-8"}


def routes(paths: Paths) -> list[Route]:
    description = json_bytes(spec())

    def openapi(request: Request) -> Response:
        return Response(description, media_type="application/json")

    def docs(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})

    def report_schema(request: Request) -> Response:
        schema = submission_schema(request.path_params["report_type"])
        return Response(json_bytes(schema), media_type="application/schema+json")

    return [Route("/openapi.json", openapi, include_in_schema=False),
            Route("/docs", docs, include_in_schema=False),
            Route("/docs/assets/{name}", asset, include_in_schema=False),
            Route("/v1/report-types/{report_type}/schema", report_schema)]
