"""Several intake processes on one KIBAN_HOME (``kiban serve --workers N``): all accept, one stores.

Two :class:`IntakeService` objects in one test process stand for two processes: the writer lock is an ``flock``
on its own open file, so the second service cannot take it while the first holds it, exactly as another
process could not.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from intake_testkit import KUMAMOTO_CITY, YATSUSHIRO, damage

IDENTITY = {"kind": "token", "lg_code": KUMAMOTO_CITY, "subject": "tok_test", "issuer": None, "token_id": "tok_test"}


def _queue(service, body: dict, identity: dict = IDENTITY):
    data = json.dumps(body, ensure_ascii=False).encode()
    q = service.queue.put_bytes(data, "submission.json", channel="api", submitted_by=identity,
                                received_at=datetime.now(UTC))
    return q, service.submit(q)


def _versions(home) -> list[tuple]:
    from kiban.lake import Lake
    from kiban.load.ledger import has_relation

    con = Lake(home).reader()
    try:
        if not has_relation(con, "report_versions"):
            return []
        return con.execute("SELECT lg_code, sequence_no FROM report_versions ORDER BY ALL").fetchall()
    finally:
        con.close()


def _ledger(home, load_ids: list[str]) -> list[tuple]:
    from kiban.load import ledger

    return sorted((r["load_id"], r["status"]) for r in ledger.rows(home, load_ids))


def test_only_one_service_per_home_stores_and_it_stores_what_the_others_queued(home):
    from kiban.intake.service import IntakeService

    writer = IntakeService(home, adopt_others=True).start()
    follower = IntakeService(home, adopt_others=True).start()
    try:
        assert writer.writing and not follower.writing
        q1, t1 = _queue(follower, damage(seq=1))
        q2, t2 = _queue(writer, damage(seq=2, as_of="2026-09-14T12:00:00+09:00"))
        assert t1.done.wait(60) and t2.done.wait(60)
        assert t1.result is None  # stored by the other process: the receipt has the final status
        assert t2.result is not None and t2.result.status == "loaded"
        assert follower.flush(5) and writer.flush(5)
        assert _versions(home) == [(KUMAMOTO_CITY, 1), (KUMAMOTO_CITY, 2)]
        assert _ledger(home, [q1.submission_id, q2.submission_id]) == sorted(
            [(q1.submission_id, "loaded"), (q2.submission_id, "loaded")])
        assert writer.queue.ids() == set()
    finally:
        follower.stop()
        writer.stop()


def test_the_identity_queued_by_another_process_is_checked_again_by_the_writer(home):
    from kiban.intake.service import IntakeService

    writer = IntakeService(home, adopt_others=True).start()
    follower = IntakeService(home, adopt_others=True).start()
    try:
        q, t = _queue(follower, damage(lg=YATSUSHIRO))  # 熊本市's identity reporting for 八代市
        assert t.done.wait(60)
        assert _ledger(home, [q.submission_id]) == [(q.submission_id, "quarantined")]
        assert _versions(home) == []
    finally:
        follower.stop()
        writer.stop()


def test_when_the_writer_stops_another_process_takes_over_and_stores_what_was_left(home):
    from kiban.intake.service import IntakeService

    writer = IntakeService(home, adopt_others=True).start()
    follower = IntakeService(home, adopt_others=True).start()
    follower.follow_interval = 0.05
    try:
        writer.stop()  # the writer process is gone (its lock released with its file)
        q, t = _queue(follower, damage())
        assert t.done.wait(60)
        assert follower.writing
        assert t.result is not None and t.result.status == "loaded"
        assert _versions(home) == [(KUMAMOTO_CITY, 1)]
    finally:
        follower.stop()


def test_a_record_the_writer_found_on_disk_before_it_was_handed_in_is_stored_once(home):
    from kiban.intake.service import IntakeService

    service = IntakeService(home, adopt_others=True).start()
    try:
        q = service.queue.put_bytes(json.dumps(damage()).encode(), "submission.json", channel="api",
                                    submitted_by=IDENTITY, received_at=datetime.now(UTC))
        end = time.monotonic() + 60  # found by the writer's look at the queue folder, not handed in
        while service.queue.ids() and time.monotonic() < end:
            time.sleep(0.05)
        assert service.flush(30)
        t = service.submit(q)  # the request thread hands it in late: the finished ticket, no second load
        assert t.done.is_set() and t.result is not None and t.result.status == "loaded"
        time.sleep(0.5)
        assert service.flush(5)
        assert _versions(home) == [(KUMAMOTO_CITY, 1)]
        assert _ledger(home, [q.submission_id]) == [(q.submission_id, "loaded")]
    finally:
        service.stop()


def test_a_ticket_handed_in_while_following_is_given_to_the_writer_after_the_take_over(home):
    """The race the SIGKILL test found: a request handed its record in while this process still followed, after
    the take-over listed the queue; the writer's look at the folder must give it to the writer, not skip it."""
    from kiban.intake.service import IntakeService

    writer = IntakeService(home, adopt_others=True).start()
    follower = IntakeService(home, adopt_others=True)
    follower.follow_interval = 3600  # it does not try the lock on its own during the test
    follower.start()
    writer.stop()  # nobody stores: the record stays on disk
    try:
        q, t = _queue(follower, damage())
        assert not t.dispatched and follower._work.empty()  # a follower keeps it for the writer process
        follower.writing = True  # as if the take-over's listing had missed it
        follower._last_scan = 0.0
        follower._adopt()
        assert t.dispatched and follower._work.get_nowait() is t
    finally:
        follower._stop.set()


def test_a_writer_without_followers_leaves_records_it_did_not_accept_to_whoever_wrote_them(home):
    """With no follower registered the writer does not take other records from the queue folder: a one-shot
    ``kiban intake`` stores what it queued itself, and two storers of one record would race for the lake. Once
    another intake process follows, the writer takes them (it is the only one that stores)."""
    from kiban.intake.queue import IntakeQueue
    from kiban.intake.service import IntakeService

    service = IntakeService(home).start()
    try:
        data = json.dumps(damage(), ensure_ascii=False).encode()
        q = IntakeQueue(home).put_bytes(data, "submission.json", channel="landing", submitted_by=IDENTITY,
                                        received_at=datetime.now(UTC))
        service._last_scan = 0.0
        service._adopt()
        assert service.ticket(q.submission_id) is None and service._work.empty()
        follower = IntakeService(home).start()  # another process of this home registers as a follower
        try:
            assert not follower.writing
            service._last_scan = 0.0
            service._adopt()
            assert service.ticket(q.submission_id) is not None
        finally:
            follower.stop()
        assert not any((home.home / "intake" / "followers").iterdir())  # unregistered when it stops
    finally:
        service.stop()
