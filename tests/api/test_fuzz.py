"""API fuzz: schemathesis against the served OpenAPI description, every operation, POST /v1/reports included.

Bounded and seeded: the default suite generates a few positive and negative examples per operation; the slow
suite many more. Every response must be below 500 and conform to the description (status code, content type,
headers, body schema), and a request that violates the description must be refused with a 4xx. The number of
requests and of 5xx answers is written to ``test-artifacts/api-fuzz-<suite>.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiban.serve.openapi import spec

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
SEED = 20261129
STATS: dict[str, Counter] = {"short": Counter(), "long": Counter()}


class Counting:
    """The app, counting requests and 5xx answers per suite."""

    def __init__(self, app, stats: Counter) -> None:
        self.app, self.stats = app, stats

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def counted(message):
            if message["type"] == "http.response.start":
                self.stats["requests"] += 1
                self.stats[f"{message['status'] // 100}xx"] += 1
            await send(message)

        await self.app(scope, receive, counted)


def _schema(app, stats: Counter):
    return schemathesis.openapi.from_asgi("/openapi.json", Counting(app, stats))


@pytest.fixture(scope="module")
def short_schema(app, client):
    yield _schema(app, STATS["short"])
    _report("short")


@pytest.fixture(scope="module")
def long_schema(app, client):
    yield _schema(app, STATS["long"])
    _report("long")


def _report(suite: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"api-fuzz-{suite}.json").write_text(json.dumps(dict(STATS[suite]), indent=1) + "\n")


OPERATIONS = [(path, method.upper()) for path, ops in spec()["paths"].items() for method in ops]


def _runner(operation, mode: GenerationMode, token: str, examples: int, failures: list[str]):
    @seed(SEED)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        try:
            # ?wait=true waits for the batch writer (Great Expectations' first import included)
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=300)
        except (Exception, BaseExceptionGroup) as e:  # a check failed: keep going, report them all
            text = str(e)
            lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(("- ST", "curl", "["))]
            failures.append(f"{mode.value} {case.method} {case.path}: " + " | ".join(lines or [text[:300]]))

    return run


def fuzz(schema, path: str, method: str, token: str, examples: int) -> list[str]:
    """Run ``examples`` positive and negative cases of one operation (seeded); the failures found."""
    failures: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            _runner(schema[path][method], mode, token, examples, failures)()
        except Unsatisfiable:  # no negative case exists (an operation without parameters)
            continue
    return failures


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_answers_within_its_description(short_schema, token, path, method):
    failures = fuzz(short_schema, path, method, token, examples=8)
    assert failures == [], "\n".join(failures)
    assert STATS["short"]["5xx"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_answers_within_its_description_at_length(long_schema, token, path, method):
    failures = fuzz(long_schema, path, method, token, examples=150)
    assert failures == [], "\n".join(failures)
    assert STATS["long"]["5xx"] == 0
