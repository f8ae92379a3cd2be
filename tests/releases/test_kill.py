"""A publish killed with SIGKILL at any point leaves ``latest`` and every listed release intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiban.releases.manifest import verify
from kiban.releases.publish import publish
from kiban.releases.store import ReleaseStore

from .conftest import contracts

REPO = Path(__file__).resolve().parents[2]
#: publishes with a progress callback that pauses at a named step (test-only; the product never sleeps)
UNTIL = Path(__file__).with_name("publish_until.py")


def _kill_at(home: Path, step: str) -> None:
    proc = subprocess.Popen([sys.executable, str(UNTIL), str(home), step], cwd=REPO,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        seen = []
        for line in proc.stderr:  # type: ignore[union-attr]
            if line.startswith("publish-step: "):
                seen.append(line.strip())
                if line.strip() == f"publish-step: {step}":
                    break
        assert f"publish-step: {step}" in seen, seen
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _assert_intact(home, before: list[str], latest: str, step: str) -> None:
    store = ReleaseStore.of(home)
    now = store.versions()
    # killed after the manifest was written: that release is complete (and verifiable), latest not yet moved
    assert now == before or (step == "manifest" and now[:-1] == before)
    assert store.latest() == latest and os.readlink(store.root / "latest") == latest
    for v in now:
        assert verify(store.root / v, store.manifest(v)) == []


def _kill_and_check(published, step: str) -> None:
    store = ReleaseStore.of(published)
    before, latest = store.versions(), store.latest()
    _kill_at(published.home, step)
    _assert_intact(published, before, latest, step)
    # the next publish sweeps the leftovers and succeeds
    listed = store.versions()
    result = publish(published, contracts=contracts(), datasets=["corporations"])
    assert store.versions() == [*listed, result.version] and store.latest() == result.version
    assert not [p for p in store.root.iterdir() if p.name.startswith(".incoming-")]


def test_publish_killed_after_rename_before_manifest_leaves_no_listed_partial_release(published_home):
    _kill_and_check(published_home, "renamed")


@pytest.mark.slow
@pytest.mark.parametrize("step", ["incoming", "dataset corporations", "catalog", "views", "manifest"])
def test_publish_killed_at_each_step_leaves_releases_intact(published_home, step):
    _kill_and_check(published_home, step)


def test_publish_reports_every_step_through_its_progress_callback_in_order(published_home):
    seen: list[tuple[str, int, int]] = []
    result = publish(published_home, contracts=contracts(), datasets=["corporations"],
                     progress=lambda step, done, total: seen.append((step, done, total)))
    assert [s for s, _, _ in seen] == ["incoming", "dataset corporations", "catalog", "renamed", "views",
                                       "manifest", "latest"]
    assert [d for _, d, _ in seen] == list(range(1, 8)) and {t for _, _, t in seen} == {7}
    assert ReleaseStore.of(published_home).latest() == result.version
