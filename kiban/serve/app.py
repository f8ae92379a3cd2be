"""The ASGI app: route modules plug in through ``ROUTE_MODULES``; each exposes ``routes(paths) -> list``.

Read-only for data (no arbitrary SQL over HTTP); the only writes are report submissions to the intake, which go
through the same archive -> validate -> lake path as files.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from kiban.config import Paths

#: Modules under kiban.serve that contribute routes (each: ``routes(paths) -> list[BaseRoute]``).
ROUTE_MODULES: list[str] = ["catalog", "changes", "snapshot", "status", "reports", "addresses"]

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Kiban API", "version": "1"}})


def create_app(paths: Paths, *, intake_options: dict | None = None) -> Starlette:
    """The HTTP app. Its lifespan owns the intake service: started (recovering what a previous process queued)
    before the first request, stopped after the last; no state lives in module globals."""
    routes = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"kiban.serve.{name}")
        routes.extend(module.routes(paths))

    async def openapi(request: Request):
        return schemas.OpenAPIResponse(request=request)

    async def health(request: Request):
        """
        summary: Liveness and the lake snapshot served
        responses:
          200:
            description: ok
        """
        from kiban.lake import Lake

        return JSONResponse({"status": "ok", "snapshot_id": Lake(paths).snapshot_id()})

    routes += [Route("/openapi.json", openapi, include_in_schema=False), Route("/v1/health", health)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from kiban.intake.events import DagsterEvents
        from kiban.intake.service import IntakeService

        options = {"watch_landing": True, **(intake_options or {})}
        events = DagsterEvents(paths) if options.pop("record_in_dagster", True) else None
        app.state.intake = IntakeService(paths, on_commit=events, **options).start()
        try:
            yield
        finally:
            app.state.intake.stop()
            if events is not None:
                events.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.paths = paths
    return app
