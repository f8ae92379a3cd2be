"""Shared fixtures: a fresh KIBAN_HOME per test; the repo's sample folder; two guards of the working tree.

Guards (issue 11, "tests that guard the structure"):

- every test runs in its own empty working directory (and the session itself in one more, for module and
  session fixtures), so a relative path can never write into the repository -- the way a stray
  ``Paths(home=...)`` directory once got committed. Tests reach repository files through ``REPO`` /
  ``Path(__file__)``, never through the working directory;
- the working tree is the same after the suite as before it: ``git status --porcelain --untracked-files=all``
  (git-ignored paths such as ``data/``, ``test-artifacts/``, ``.venv`` are not listed) and the content of every
  listed file are recorded at session start and compared at session finish, on the xdist controller only. A
  change is printed and fails the run. Outside a git checkout the comparison is skipped and the report header
  says why.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


@pytest.fixture
def home(tmp_path, monkeypatch):
    from kiban.config import paths

    monkeypatch.setenv("KIBAN_HOME", str(tmp_path / "home"))
    return paths(tmp_path / "home").ensure()


@pytest.fixture
def samples() -> Path:
    return SAMPLES


# ---------------------------------------------------------------- a working directory of its own


@pytest.fixture(scope="session", autouse=True)
def _session_cwd(tmp_path_factory):
    """Session and module fixtures run in an empty directory too (restored at the end of the session)."""
    before = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("session-cwd"))
    yield
    os.chdir(before)


@pytest.fixture(autouse=True)
def _test_cwd(tmp_path_factory, monkeypatch):
    """Each test in its own empty working directory (not ``tmp_path``, which tests list and compare)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


# ---------------------------------------------------------------- the working tree is unchanged by the suite

_TREE_STATE = pytest.StashKey[dict]()
_TREE_SKIP = pytest.StashKey[str]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")  # set by xdist on its workers


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def _why_no_git() -> str | None:
    """None when ``REPO`` is the top of a git work tree, else the reason the tree check cannot run."""
    if shutil.which("git") is None:
        return "git is not installed"
    try:
        top = _git("rev-parse", "--show-toplevel").strip()
    except subprocess.CalledProcessError as exc:
        return f"{REPO} is not a git checkout ({exc.stderr.strip() or exc.returncode})"
    if Path(top).resolve() != REPO:
        return f"{REPO} is not the top of its git work tree ({top})"
    return None


def tree_state() -> dict[str, str]:
    """``git status`` line -> sha256 of the file's bytes (``-`` when absent), for every listed path."""
    out = _git("status", "--porcelain=v1", "-z", "--untracked-files=all")
    state: dict[str, str] = {}
    entries = iter(out.split("\0"))
    for entry in entries:
        if not entry:
            continue
        if entry[0] in "RC":  # a rename or copy: the original path follows as its own field
            entry = f"{entry} <- {next(entries, '')}"
        file = REPO / entry[3:].split(" <- ")[0]
        state[entry] = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
    return state


def tree_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two :func:`tree_state` results."""
    lines = [f"new:     {k}" for k in sorted(after.keys() - before.keys())]
    lines += [f"gone:    {k}" for k in sorted(before.keys() - after.keys())]
    lines += [f"changed: {k}" for k in sorted(before.keys() & after.keys()) if before[k] != after[k]]
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    if _is_worker(session.config):
        return
    why = _why_no_git()
    if why is None:
        session.config.stash[_TREE_STATE] = tree_state()
    else:
        session.config.stash[_TREE_SKIP] = why


def pytest_report_header(config: pytest.Config) -> str:
    why = config.stash.get(_TREE_SKIP, None)
    if why is not None:
        return f"working-tree check: skipped: {why}"
    return f"working-tree check: on ({REPO} must be unchanged by the suite)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def write(line: str, **markup: bool) -> None:
        if reporter is not None:
            reporter.write_line(line, **markup)
        else:
            print(line)

    why = config.stash.get(_TREE_SKIP, None)
    if why is not None:
        write(f"working-tree check skipped: {why}")
        return
    before = config.stash.get(_TREE_STATE, None)
    if before is None:
        return
    changes = tree_changes(before, tree_state())
    if changes:
        write(f"working-tree check FAILED: the test suite changed {REPO} (git status):", red=True, bold=True)
        for line in changes:
            write(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
