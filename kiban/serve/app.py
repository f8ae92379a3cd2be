"""The ASGI app: route modules plug in through ``ROUTE_MODULES``; each exposes ``routes(paths) -> list``.

Read-only for data (no arbitrary SQL over HTTP); the only writes are report submissions to the intake, which go
through the same archive -> validate -> lake path as files. The API is described in :mod:`kiban.serve.openapi`
(served at ``/openapi.json``, browsable at ``/docs``); every described route's parameters are validated from
that description (:mod:`kiban.serve.validation`) and every client has a request and a computation budget
(:mod:`kiban.serve.ratelimit`).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.serve.http import problem
from kiban.serve.ratelimit import Limits, RateLimited, RateLimitMiddleware, charge, too_many
from kiban.serve.validation import guard_routes

#: Modules under kiban.serve that contribute routes (each: ``routes(paths) -> list[BaseRoute]``).
ROUTE_MODULES: list[str] = ["catalog", "changes", "snapshot", "status", "reports", "addresses", "docs"]


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no such route) and 405 (method) as problem+json, like every other error."""
    assert isinstance(exc, HTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    out = problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail or ""))
    out.headers.update(exc.headers or {})
    return out


async def _rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    status, headers, body = too_many(exc.retry_after, exc.budget)
    return Response(body, status_code=status, headers={k.decode(): v.decode() for k, v in headers})


def create_app(paths: Paths, *, intake_options: dict | None = None, limits: Limits | None = None) -> Starlette:
    """The HTTP app. Its lifespan owns the intake service: started (recovering what a previous process queued)
    before the first request, stopped after the last; no state lives in module globals."""
    limits = limits or Limits.from_env()
    routes = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"kiban.serve.{name}")
        routes.extend(module.routes(paths))

    async def health(request: Request):
        from kiban.lake import Lake

        return JSONResponse({"status": "ok", "snapshot_id": Lake(paths).snapshot_id()})

    routes.append(Route("/v1/health", health))

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

    from kiban.indicators.service import attach

    app = Starlette(routes=guard_routes(routes), lifespan=lifespan,
                    middleware=[Middleware(RateLimitMiddleware, limits=limits)],
                    exception_handlers={RateLimited: _rate_limited, 404: _http_error, 405: _http_error})
    app.state.paths = paths
    attach(app, paths).before_compute = charge  # the app's own indicator service (cache, reader): app state
    return app


def app_from_env() -> Starlette:
    """The app of ``KIBAN_HOME`` (``kiban serve --workers N``: each worker process builds its own)."""
    from kiban.config import paths as resolve_paths

    return create_app(resolve_paths(), intake_options={"adopt_others": True})
