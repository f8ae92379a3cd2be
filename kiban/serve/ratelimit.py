"""Per-client rate limits for the read API: token buckets, answered with ``429`` and ``Retry-After``.

Two budgets per client (the peer address; behind a proxy run uvicorn with ``--proxy-headers``):

- **requests**: every request except the report intake (``/v1/reports``: authenticated by token, bounded by its
  own size limits, and the disaster-hour load must not be throttled by address);
- **computations**: each response that needs work no cache holds (a new ``as_of`` / ``subject`` costs 0.5-1.2 s
  on the full country) takes a token from a much smaller bucket. Cache hits are free.

Settings (environment): ``KIBAN_API_RATE`` requests per second (50) with burst ``KIBAN_API_BURST`` (200);
``KIBAN_API_COMPUTE_PER_MINUTE`` (30) with burst ``KIBAN_API_COMPUTE_BURST`` (10).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from kiban.serve.http import json_bytes

#: the client of the request being served and its app's limits (set by :class:`RateLimitMiddleware`)
CLIENT: ContextVar[tuple[str, Limits] | None] = ContextVar("kiban_client", default=None)
EXEMPT_PREFIXES = ("/v1/reports",)


class RateLimited(Exception):
    """The client's budget is spent; ``retry_after`` seconds until the next token."""

    def __init__(self, retry_after: float, budget: str) -> None:
        super().__init__(f"{budget} budget spent; retry in {retry_after:.1f} s")
        self.retry_after = retry_after
        self.budget = budget


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; pure given the clock value passed in."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens: 0.0 when granted, else the seconds until enough tokens are there."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


class Limiter:
    """One token bucket per client, the least recently seen dropped past ``clients`` (memory stays bounded)."""

    def __init__(self, rate: float, burst: float, *, clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clients, self.clock = rate, burst, clients, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, cost: float = 1.0) -> float:
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = TokenBucket(self.rate, self.burst, self.burst, now)
                while len(self._buckets) > self.clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(client)
            return bucket.take(now, cost)


@dataclass
class Limits:
    """The two budgets of the API."""

    requests: Limiter
    computations: Limiter

    @classmethod
    def from_env(cls) -> Limits:
        env = os.environ.get
        return cls(Limiter(float(env("KIBAN_API_RATE", "50")), float(env("KIBAN_API_BURST", "200"))),
                   Limiter(float(env("KIBAN_API_COMPUTE_PER_MINUTE", "30")) / 60.0,
                           float(env("KIBAN_API_COMPUTE_BURST", "10"))))



def charge() -> None:
    """Charge the client being served one computation (before uncached work); raises :class:`RateLimited`.

    Outside a request (CLI, background refresh) nothing is charged.
    """
    current = CLIENT.get()
    if current is None:
        return
    client, limits = current
    wait = limits.computations.take(client)
    if wait:
        raise RateLimited(wait, "computation")


def too_many(retry_after: float, budget: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    seconds = max(1, math.ceil(retry_after))
    body = json_bytes({"type": "about:blank", "title": "Too many requests", "status": 429,
                       "detail": f"this client's {budget} budget is spent; retry after {seconds} s",
                       "retry_after": seconds})
    headers = [(b"content-type", b"application/problem+json"), (b"retry-after", str(seconds).encode()),
               (b"content-length", str(len(body)).encode())]
    return 429, headers, body


class RateLimitMiddleware:
    """Takes a request token per client and exposes the client and limits to :func:`charge` (pure ASGI)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if not scope["path"].startswith(EXEMPT_PREFIXES):
            wait = self.limits.requests.take(client)
            if wait:
                status, headers, body = too_many(wait, "request")
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        token = CLIENT.set((client, self.limits))
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)
