"""The crash harness (``crash/harness.py``): real ``kiban`` processes killed with SIGKILL at code points and at
random moments, restarted, and every invariant of issue 10 checked after each kill and after recovery.

The default suite runs 10 trials on one copy of a prepared home; ``make test-slow`` runs 100 in rounds of 10,
each round on a fresh copy. The outcome (commands, kill points reached, where random kills landed, the POST
answers, every violation) is printed and written to ``test-artifacts/hardening/crash*.txt``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

harness = sys.modules["hardening_crash"]
REPORT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "hardening"


@pytest.fixture(scope="module")
def fork_server():
    fs = harness.ForkServer()
    yield fs
    fs.close()


def _run(fork_server, tmp_path, trials: int, seed: int, name: str) -> None:
    t0 = time.perf_counter()
    runs = harness.run_many(fork_server, tmp_path, trials, 10, seed)
    text = harness.summary(runs, time.perf_counter() - t0)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / name).write_text(text + "\n", encoding="utf-8")
    print("\n" + text)
    trials_run = [t for r in runs for t in r.trials]
    assert len(trials_run) == trials
    assert sum(t.status == -9 for t in trials_run) >= trials * 0.8, text  # nearly every trial really killed
    assert any(p.status == 202 for r in runs for p in r.posts), text  # the intake answered under fire
    assert [p for r in runs for p in r.problems] == [], text


def test_killed_ingests_publishes_and_intakes_lose_nothing_and_leave_nothing_half_done(fork_server, tmp_path):
    _run(fork_server, tmp_path, trials=10, seed=20261130, name="crash.txt")


@pytest.mark.slow
def test_a_hundred_kills_lose_nothing_and_leave_nothing_half_done(fork_server, tmp_path):
    _run(fork_server, tmp_path, trials=100, seed=7, name="crash-slow.txt")
