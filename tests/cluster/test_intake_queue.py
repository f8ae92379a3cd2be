"""The shared intake queue in PostgreSQL: claims are exclusive between replicas, die with the replica's
connection, and a stored submission leaves the queue."""

from __future__ import annotations

import time

import pytest

from kiban.config import paths as resolve
from kiban.intake.pgqueue import PgIntakeQueue

pytestmark = pytest.mark.cluster


@pytest.fixture
def queues(pg, tmp_path):
    dsn = pg.dsn(pg.create_database())
    made = [PgIntakeQueue(resolve(tmp_path / f"replica{i}").ensure(), dsn) for i in range(2)]
    yield made
    for q in made:
        q.close()


def test_two_replicas_never_claim_the_same_submission(queues):
    a, b = queues
    ids = [a.put_bytes(f"body {i}".encode(), f"r{i}.json", channel="api", submitted_by={"lg_code": "431001"})
           .submission_id for i in range(6)]
    first = a.claim(4)
    second = b.claim(10)
    assert len(first) == 4 and len(second) == 2
    assert {q.submission_id for q in first} | {q.submission_id for q in second} == set(ids)
    assert not {q.submission_id for q in first} & {q.submission_id for q in second}
    assert b.claim(10) == []  # b holds its own; a holds the rest
    # the claiming replica gets the bytes into its own raw archive
    assert all(b.archive.path_for(q.sha256).read_bytes().startswith(b"body") for q in second)
    assert second[0].submitted_by == {"lg_code": "431001"}


def test_a_dead_replicas_claims_pass_to_another_and_done_dequeues(queues):
    a, b = queues
    sid = a.put_bytes(b"{}", "x.json", channel="api", submitted_by=None).submission_id
    assert [q.submission_id for q in a.claim(1)] == [sid]
    a.attempt([a.get(sid)])
    assert b.claim(1) == []
    a.close()  # the replica died: PostgreSQL ends its session (asynchronously) and with it the advisory locks
    end = time.monotonic() + 30
    while not (taken := b.claim(1)) and time.monotonic() < end:
        time.sleep(0.2)
    assert [q.submission_id for q in taken] == [sid] and taken[0].attempts == 1
    b.done([sid])
    assert b.get(sid) is None and b.pending() == [] and b.waiting([sid]) == set()


def test_preferred_submissions_are_claimed_first(queues):
    a, _ = queues
    ids = [a.put_bytes(f"{i}".encode(), f"{i}.json", channel="api", submitted_by=None).submission_id
           for i in range(5)]
    assert [q.submission_id for q in a.claim(1, prefer=[ids[3]])] == [ids[3]]
