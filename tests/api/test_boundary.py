"""The read API's boundary: path segments validated, request values bound, uncached work cached and rate-limited.

Reproduced failures this guards: ``/v1/releases/<300 chars>`` -> 500 (ENAMETOOLONG); ``/v1/releases/..`` served
the home's manifest.json; ``subject=%00`` on ``/v1/snapshot`` and ``/v1/indicators/...`` -> 500 (the subject was
pasted into SQL); every new ``as_of`` / ``subject`` cost 0.5-1.2 s with no bound.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from api_kit import ARRIVALS, DISASTER, T0

from kiban.indicators.service import IndicatorService
from kiban.serve.ratelimit import Limiter, Limits, TokenBucket


def raw_get(app, path: str, query: str = "") -> tuple[int, dict[str, str], bytes]:
    """A GET with the path exactly as given (no client-side normalisation of ``..``)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode("utf-8", "surrogateescape"), "query_string": query.encode(),
             "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80)}
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out["body"] += message.get("body", b"")

    async def run():
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(run())
    return out["status"], out["headers"], out["body"]


@pytest.mark.parametrize("path", ["/v1/releases/..", "/v1/releases/" + "9" * 300, "/v1/releases/%00",
                                  "/v1/releases/\x00", "/releases/../manifest.json", "/releases/latest/\x00x",
                                  "/releases/" + "a" * 300 + "/manifest.json", "/v1/datasets/../changes",
                                  "/v1/datasets/" + "x" * 300 + "/changes", "/v1/indicators/..",
                                  "/v1/reports/\x00", "/datasets/..%2f..", "/v1/report-types/../schema"])
def test_a_malformed_path_segment_is_a_400_problem_and_never_reaches_a_file(app, path):
    status, headers, body = raw_get(app, path)
    assert status in (400, 404), (path, status, body)
    assert headers["content-type"] == "application/problem+json"
    assert b"home manifest" not in body


def test_the_home_manifest_is_not_a_release(app):
    status, _, body = raw_get(app, "/v1/releases/..")
    assert status == 400 and b"version" in body
    ok, _, manifest = raw_get(app, "/v1/releases/latest")
    assert ok == 200 and json.loads(manifest)["version"] == "2026-11-01.1"


@pytest.mark.parametrize("query", ["subject=%00", "subject=%00%27%3B%20DROP", "subject=" + "a" * 200,
                                   "subject=a%0Ab", "as_of=%00", "as_of=" + "9" * 100, "pref=99", "lg_code=1",
                                   "format=xml", "type=disaster_damage&type=shelter_status"])
def test_malformed_query_values_are_400_problems_on_the_snapshot(client, query):
    q = query if query.startswith("type=") else "type=disaster_damage&" + query
    r = client.get("/v1/snapshot?" + q)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 400 and r.json()["detail"]


@pytest.mark.parametrize("query", ["subject=%00", "subject=%0D%0A", "grain=town", "area=JPN",
                                   "from=yesterday"])
def test_malformed_query_values_are_400_problems_on_an_indicator(client, query):
    r = client.get("/v1/indicators/dead?" + query)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


def test_quotes_and_sql_in_a_subject_are_data_not_sql(client):
    """A subject with quotes and SQL text passes the pattern: it is bound as a parameter and matches nothing."""
    r = client.get("/v1/snapshot", params={"type": "disaster_damage", "subject": "x') OR 1=1 --"})
    assert r.status_code == 200 and r.json()["coverage"]["reported"] == 0
    ok = client.get("/v1/snapshot", params={"type": "disaster_damage", "subject": DISASTER})
    assert ok.status_code == 200 and ok.json()["coverage"]["reported"] == 2


def test_the_service_binds_a_nul_subject_and_time_as_parameters(served_home):
    svc = IndicatorService(served_home)
    rows = svc.rows((T0 + timedelta(hours=1)).isoformat(), "\x00'; COPY x TO '/tmp/y' --").rows
    assert not any(r["reporting"] for r in rows["disaster_damage"])
    assert any(r["reporting"] for r in svc.rows(None, DISASTER).rows["disaster_damage"])


def test_times_between_the_same_arrivals_and_unknown_subjects_share_one_computation(served_home):
    svc = IndicatorService(served_home)
    first, second, third = ARRIVALS
    svc.rows((first + timedelta(minutes=1)).isoformat())
    assert svc.computed == 1
    for t in (first + timedelta(minutes=5), first.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")),
              second - timedelta(seconds=1)):
        svc.rows(t.isoformat())
    assert svc.computed == 1  # every T in [first, second) sees the same versions
    svc.rows((second + timedelta(minutes=1)).isoformat())
    assert svc.computed == 2
    now = svc.rows()
    assert svc.computed == 3
    assert svc.rows((third + timedelta(days=400)).isoformat()) is now  # after the last arrival = now
    before = svc.rows((first - timedelta(days=1)).isoformat())
    assert svc.rows((first - timedelta(days=3000)).isoformat()) is before
    assert not any(r["reporting"] for r in before.rows["disaster_damage"])
    n = svc.computed
    for subject in ("no-such-disaster", "another", "x' OR 1=1"):
        svc.rows(None, subject)
    assert svc.computed == n + 1  # subjects that select nothing share one entry
    svc.rows(None, DISASTER)
    svc.rows(None, f"{DISASTER}/S1")  # a shelter's subject prefix is a real subject
    assert svc.computed == n + 3


def test_the_same_rows_are_correct_for_every_time_in_between(served_home):
    svc = IndicatorService(served_home)
    first, second, _ = ARRIVALS
    early = svc.rows((first + timedelta(minutes=1)).isoformat()).rows["disaster_damage"]
    later = svc.rows((second + timedelta(minutes=1)).isoformat()).rows["disaster_damage"]
    dead = {r["lg_code"]: r.get("dead") for r in early if r["reporting"]}
    assert dead == {"431001": 1}
    assert {r["lg_code"]: r.get("dead") for r in later if r["reporting"]} == {"431001": 2}


def test_a_token_bucket_grants_its_burst_then_answers_the_wait():
    bucket = TokenBucket(rate=0.5, burst=2, tokens=2, updated=0.0)
    assert bucket.take(0.0) == 0.0 and bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(2.0)
    assert bucket.take(1.0) == pytest.approx(1.0)
    assert bucket.take(2.0) == 0.0


def test_a_limiter_keeps_clients_apart_and_its_memory_bounded():
    clock = [0.0]
    limiter = Limiter(1.0, 1.0, clients=3, clock=lambda: clock[0])
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0 and limiter.take("b") == 0.0
    for c in ("c", "d", "e"):
        limiter.take(c)
    assert len(limiter._buckets) == 3
    clock[0] = 1.0
    assert limiter.take("a") == 0.0


def test_uncached_computations_are_limited_per_client_with_429_and_retry_after(served_home):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    limits = Limits(Limiter(1e6, 1e6), Limiter(1 / 60, 2))
    with TestClient(create_app(served_home, limits=limits)) as c:
        times = [(ARRIVALS[0] + timedelta(minutes=m)).isoformat() for m in (1, 2)]
        codes = [c.get("/v1/snapshot", params={"type": "disaster_damage", "subject": s}).status_code
                 for s in ("sub-a", DISASTER, f"{DISASTER}/S1")]
        assert codes[:2] == [200, 200] and codes[2] == 429
        r = c.get("/v1/indicators/dead", params={"as_of": ARRIVALS[1].isoformat()})
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # cached answers stay free: the same requests again, and other times between the same arrivals
        assert c.get("/v1/snapshot", params={"type": "disaster_damage", "subject": DISASTER}).status_code == 200
        assert all(c.get("/v1/snapshot", params={"type": "shelter_status", "subject": "sub-b", "as_of": t}
                         ).status_code in (200, 429) for t in times)


def test_requests_are_limited_per_client_but_the_intake_is_not(served_home, token):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    limits = Limits(Limiter(0.01, 3), Limiter(1e6, 1e6))
    with TestClient(create_app(served_home, limits=limits)) as c:
        codes = [c.get("/v1/releases").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = c.get("/v1/health")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        intake = [c.get("/v1/reports/sub_0", headers={"Authorization": f"Bearer {token}"}).status_code
                  for _ in range(5)]
        assert 429 not in intake


@pytest.mark.parametrize("body", [b"\x00", b"{}", b'{"report_type": "nope"}', b"[]", b'{"lg_code": "\\u0000"}',
                                  b'[{"report_type": "disaster_damage"}]'])
def test_a_submission_that_violates_its_schema_is_refused_on_first_arrival(client, token, body):
    r = client.post("/v1/reports", content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
