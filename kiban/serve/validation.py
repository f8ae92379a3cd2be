"""Request validation from the OpenAPI description: path segments and query parameters, before any handler.

Every route's ASGI app is wrapped (:func:`guard_routes`): after Starlette matched the route, each path segment
and each declared query parameter is checked against its schema in :mod:`kiban.serve.openapi` (enum, pattern,
length, integer range). A mismatch answers ``400`` problem+json naming the parameter, so ``/v1/releases/..``,
a 300-character release id or ``subject=%00`` never reach a file system call or a query. Operations marked
``x-kiban-own-validation`` (the CKAN API, which answers in CKAN's envelope) check their query parameters
themselves; their path segments are still checked.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kiban.serve.http import problem
from kiban.serve.openapi import operation


@cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def check(schema: dict[str, Any], raw: str) -> str | None:
    """Why ``raw`` (a path segment or query value) does not fit ``schema``, or None when it does."""
    if "enum" in schema and raw not in [str(v) for v in schema["enum"]]:
        shown = ", ".join(str(v) for v in schema["enum"][:12])
        return f"must be one of {shown}{', ...' if len(schema['enum']) > 12 else ''}"
    if schema.get("type") == "integer":
        if not re.fullmatch(r"-?[0-9]{1,19}", raw):
            return "must be an integer"
        value = int(raw)
        if "minimum" in schema and value < schema["minimum"]:
            return f"must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"must be at most {schema['maximum']}"
        return None
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        return f"must be at most {schema['maxLength']} characters"
    if "pattern" in schema and not _regex(schema["pattern"]).search(raw):
        return f"must match {schema['pattern']}"
    return None


def problems(op: dict[str, Any], path_params: dict[str, Any], query: Any) -> list[str]:
    """Each parameter of ``op`` that the request gets wrong, as ``"name: why"``."""
    out = []
    own = op.get("x-kiban-own-validation", False)
    for p in op.get("parameters", []):
        name, where, schema = p["name"], p["in"], p.get("schema", {})
        if where == "path" and name in path_params:
            why = check(schema, str(path_params[name]))
        elif where == "query" and not own and name in query:
            values = query.getlist(name)
            why = "give it once" if len(values) > 1 else check(schema, values[0])
        else:
            why = None
        if why:
            out.append(f"{name}: {why}")
    return out


class Guard:
    """The ASGI app of one route, behind the validation of its declared parameters."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        op = operation(self.path, scope.get("method", "GET")) if scope["type"] == "http" else None
        if op is not None:
            request = Request(scope)
            bad = problems(op, scope.get("path_params", {}), request.query_params)
            if bad:
                await problem(400, "Bad request", "; ".join(bad))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def guard_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Wrap every described route in a :class:`Guard` (routes not in the description are left as they are)."""
    for route in routes:
        if isinstance(route, Route) and any(operation(route.path, m) for m in (route.methods or ())):
            route.app = Guard(route.app, route.path)
    return routes
