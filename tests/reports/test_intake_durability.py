"""A 202 is answered only after the fsyncs that make the submission durable: the raw bytes' folder, the queue
record's folder and the audit record (each flushed by a group commit, shared with concurrent requests)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from intake_testkit import KUMAMOTO_CITY, damage

import kiban.durable


def _targets(home) -> dict[str, object]:
    return {"audit log": lambda p: p.parent.name == "audit", "queue folder": lambda p: p.name == "queue",
            "archive folder": lambda p: p.parent.name == "sha256"}


def _app_client(home):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    return TestClient(create_app(home), raise_server_exceptions=False)


@pytest.mark.parametrize("which", ["audit log", "queue folder", "archive folder"])
def test_no_202_while_an_fsync_the_submission_needs_has_not_returned(home, tokens, monkeypatch, which):
    hit = _targets(home)[which]
    entered, release = threading.Event(), threading.Event()
    real = kiban.durable.fsync_path

    def held(path):
        if hit(Path(path)):
            entered.set()
            assert release.wait(30)
        real(path)

    monkeypatch.setattr(kiban.durable, "fsync_path", held)
    answers: list = []
    with _app_client(home) as client:
        def send():
            answers.append(client.post("/v1/reports", content=json.dumps(damage(), ensure_ascii=False).encode(),
                                       headers={"Authorization": f"Bearer {tokens[KUMAMOTO_CITY]}",
                                                "Content-Type": "application/json"}))

        t = threading.Thread(target=send)
        t.start()
        assert entered.wait(30), f"the {which} was never fsync'd"
        t.join(0.5)
        assert t.is_alive() and not answers  # no answer while that fsync has not returned
        release.set()
        t.join(30)
    assert answers[0].status_code == 202, answers[0].text


@pytest.mark.parametrize("which", ["audit log", "queue folder", "archive folder"])
def test_a_failing_fsync_is_never_answered_202(home, tokens, monkeypatch, which):
    hit = _targets(home)[which]
    real = kiban.durable.fsync_path
    failed: list[Path] = []

    def failing(path):
        if hit(Path(path)):
            failed.append(Path(path))
            raise OSError(5, "Input/output error")
        real(path)

    monkeypatch.setattr(kiban.durable, "fsync_path", failing)
    with _app_client(home) as client:
        r = client.post("/v1/reports", content=json.dumps(damage(), ensure_ascii=False).encode(),
                        headers={"Authorization": f"Bearer {tokens[KUMAMOTO_CITY]}", "Content-Type": "application/json"})
    assert failed, f"the {which} was never fsync'd"
    assert r.status_code == 500
