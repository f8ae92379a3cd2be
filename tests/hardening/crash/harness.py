"""Crash harness (issue 10): SIGKILL ``kiban ingest``, ``kiban publish`` and ``kiban serve`` (with concurrent POSTs)
at random moments and at chosen code points, restart, and check what must survive any crash.

Each trial kills one real ``kiban`` process (forked by ``forkserver.py`` from a warm interpreter, so a trial costs
seconds instead of the ~10 s of imports) either at a named function (it kills itself on entry) or after a seeded
random delay, then checks the invariants that hold at every moment. After all trials a clean recovery (the intake
service restarted until its queue is empty, one more load, one more publish) and the invariants that hold once
everything ran:

- every submission answered 202 (``?wait=false`` and ``true``) is in ``report_versions`` or in the ledger as
  quarantined with reasons (or as a duplicate of one that is); nothing answered 202 is lost;
- no unauthorised version exists: each API version's 団体 may be reported by the caller that submitted it
  (POSTs with municipality A's token for municipality B are among the traffic);
- no partial release is listed, ``latest`` is a listed release and ``kiban releases verify`` passes for each;
- ``kiban sql`` sees every commit: each table's row count through it equals the catalog's latest snapshot;
- the ledger has each load id once and each content loaded at most once per source;
- no staging folder of a dead process remains after the next load; the intake queue is empty; every
  quarantined input has its quarantine report.

``python tests/hardening/crash/harness.py --trials 100 --seed 7`` runs it outside pytest and prints the outcome.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SAMPLES = REPO / "samples"
sys.path.insert(0, str(HERE.parent))
import lakestate  # noqa: E402  (tests/hardening/lakestate.py, the suites' read-only helpers)

A, B, PREF = "431001", "432024", "430005"  # 熊本市, 八代市, 熊本県

#: Code points a process is killed at (``module:Qual.name``), per command.
INGEST_POINTS = (
    "kiban.load.runner:_stage",  # staging folder made, nothing read yet
    "quality.runner:validate",  # inside Great Expectations
    "kiban.lake:LakeWriter.adopt",  # a staged file moved into the lake folder, transaction open
    "kiban.load.ledger:append",  # data written in the open transaction, ledger row next
    "kiban.lake:Lake.refresh_views",  # after COMMIT, before the views file shows it
    "kiban.load.quarantine:write",  # a rejection committed to the ledger, report not yet on disk
)
PUBLISH_POINTS = (
    "kiban.releases.write:write_dataset",
    "kiban.releases.checks:check_dataset",
    "kiban.catalog.artefacts:write_release_artefacts",
    "kiban.releases.views:build_views",  # 1st: the release's own views (renamed, no manifest); 2nd: latest.duckdb
    "kiban.releases.manifest:dumps",  # just before manifest.json is written
    "kiban.releases.store:ReleaseStore.point_latest",
)
SERVE_POINTS = (
    "kiban.intake.queue:IntakeQueue._write",  # a queue record being written (no 202 yet for it)
    "kiban.serve.reports:quick_check",  # queued durably, not yet answered
    "kiban.load.runner:run_batch",  # the writer takes a batch
    "kiban.load.ledger:append",  # inside the batch's transaction
    "kiban.lake:Lake.refresh_views",  # after the batch's COMMIT
    "kiban.intake.queue:IntakeQueue.done",  # committed, not yet dequeued
    "kiban.load.quarantine:write",
    "kiban.intake.receipts:from_result",  # stored, the ?wait=true answer not yet sent
)
#: Phases traced in every child: where a kill at a random moment landed.
TRACE = ("kiban.load.runner:_stage", "quality.runner:validate", "kiban.load.runner:_commit",
         "kiban.lake:Lake.refresh_views", "kiban.releases.write:write_dataset", "kiban.releases.views:build_views",
         "kiban.releases.store:ReleaseStore.point_latest", "kiban.intake.queue:IntakeQueue.done")
INGESTS = (
    ("corporate", "corporate/diff_20261102.zip"), ("corporate", "corporate/diff_20261104.zip"),
    ("corporate", "corporate/diff_20261105.zip"), ("corporate", "corporate/00_zenkoku_all_20261130.zip"),
    ("corporate", "corporate/broken/diff_20261106.zip"), ("abr", "abr_town"), ("moj-map", "moj_map/13101-0001.zip"),
    ("municipalities", "municipalities/000925835.xls"),
)


class ForkServer:
    """The client side of ``forkserver.py``: run ``kiban`` commands as killable child processes."""

    def __init__(self) -> None:
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "DAGSTER_DISABLE_TELEMETRY": "1"}
        self.proc = subprocess.Popen([sys.executable, str(HERE / "forkserver.py")], cwd=REPO, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = self._read()
        self.preload_seconds = ready["preload_seconds"]

    def _read(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the fork server died")
        return json.loads(line)

    def _ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps(payload) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return self._read()

    def start(self, argv: list[str], out: Path, *, kill_at: str | None = None, hit: int = 1) -> int:
        return self._ask({"op": "run", "argv": argv, "out": str(out), "kill_at": kill_at, "hit": hit,
                          "trace": list(TRACE), "cwd": str(REPO)})["pid"]

    def wait(self, pid: int, timeout: float = 0.0) -> int | None:
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout})["status"]

    def run(self, argv: list[str], out: Path, timeout: float = 300) -> int:
        status = self.wait(self.start(argv, out), timeout)
        if status is None:
            raise TimeoutError(f"kiban {' '.join(argv)} did not finish in {timeout} s")
        return status

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")  # type: ignore[union-attr]
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=30)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# -- the prepared home -----------------------------------------------------------------------------------------------

def prepare(fs: ForkServer, root: Path) -> tuple[Path, dict[str, str]]:
    """A home with the municipality master, a 法人番号 全件, reporter tokens and one release; returns (home, tokens)."""
    home = root / "home"
    root.mkdir(parents=True, exist_ok=True)
    log = root / "prepare.log"
    base = ["--home", str(home)]
    for argv in (["ingest", "municipalities", str(SAMPLES / "municipalities" / "000925835.xls")],
                 ["ingest", "corporate", str(SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip")],
                 ["publish"]):
        status = fs.run(base + argv, log)
        assert status == 0, log.read_text()[-3000:]
    tokens = {}
    for lg in (A, B, PREF):
        out = root / f"token-{lg}.txt"
        assert fs.run(base + ["reports", "tokens", "add", lg], out) == 0, out.read_text()
        tokens[lg] = out.read_text().strip().splitlines()[-1]
    (root / "tokens.json").write_text(json.dumps(tokens))
    return home, tokens


def pool(root: Path) -> Path:
    """The files the ingest trials load (an ABR set as a folder of its published files)."""
    folder = root / "pool"
    (folder / "abr_town").mkdir(parents=True, exist_ok=True)
    for name in ("mt_town_all.csv.zip", "mt_town_pos_pref13.csv.zip", "mt_town_pos_pref22.csv.zip"):
        shutil.copyfile(SAMPLES / "abr" / name, folder / "abr_town" / name)
    return folder


# -- traffic for the intake -------------------------------------------------------------------------------------------

@dataclass
class Post:
    kind: str
    wait: bool
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def report(lg: str, n: int, *, reporter: str | None = None, dead: int = 1) -> dict[str, Any]:
    body = {"report_type": "disaster_damage", "lg_code": lg, "subject_key": f"2026-crash-{n}", "sequence_no": 1,
            "as_of": "2026-09-14T11:00:00+09:00", "disaster_name": "令和8年台風第21号", "dead": dead}
    if reporter:
        body["reporter_lg_code"] = reporter
    return body


KINDS = ("own", "own", "proxy", "foreign", "foreign_claim", "invalid", "duplicate", "csv")


def request_for(kind: str, n: int, tokens: dict[str, str], sent: list[bytes]) -> tuple[str, dict[str, Any]]:
    """(token, httpx keyword arguments) for one POST of ``kind``."""
    def body(d: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(d, ensure_ascii=False).encode()
        sent.append(data)
        return {"content": data, "headers": {"Content-Type": "application/json"}}

    if kind == "own":
        return tokens[A], body(report(A, n))
    if kind == "proxy":  # the prefecture for one of its municipalities
        return tokens[PREF], body(report(B, n))
    if kind == "foreign":  # municipality A's token, municipality B's report
        return tokens[A], body(report(B, n))
    if kind == "foreign_claim":  # ... also claiming to be B
        return tokens[A], body(report(B, n, reporter=B))
    if kind == "invalid":
        return tokens[A], body(report(A, n, dead=-5))
    if kind == "duplicate" and sent:
        return tokens[A], {"content": sent[0], "headers": {"Content-Type": "application/json"}}
    from registries.reports.writers import csv_bytes

    return tokens[B], {"files": {"file": (f"crash_{n}.csv", csv_bytes("disaster_damage", [report(B, n)]))}}


# -- one run of trials ----------------------------------------------------------------------------------------------------

@dataclass
class Trial:
    number: int
    command: str
    mode: str  # point | random
    point: str | None = None
    delay: float | None = None
    status: int | None = None
    killed_at: str | None = None  # the kill point reached, or the last phase a random kill landed after
    posts: list[Post] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return self.mode == "point" and (self.killed_at or "").startswith(f"{self.point}#")

    @property
    def outcome(self) -> str:
        if self.status == -signal.SIGKILL:
            where = self.killed_at or "before any traced phase"
            if self.mode == "random":
                return f"killed after {self.delay:.2f} s in {where}"
            if self.reached:
                return f"killed at {where}"
            return f"point not reached; killed after the traffic in {where}"
        return f"finished (exit {self.status}) before the kill"


@dataclass
class Run:
    home: Path
    tokens: dict[str, str]
    pool: Path
    logs: Path
    rng: random.Random
    trials: list[Trial] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)
    counter: int = 0
    problems: list[str] = field(default_factory=list)


def _phase(log: Path) -> str | None:
    text = log.read_text(errors="replace") if log.exists() else ""
    for line in reversed(text.splitlines()):
        if line.startswith("KILLPOINT "):
            return line.split(" ", 1)[1]
        if line.startswith("PHASE "):
            return line.split(" ", 1)[1]
    return None


def _killed(fs: ForkServer, trial: Trial, pid: int, log: Path, budget: float) -> None:
    """Kill ``pid`` (random mode: after the trial's delay; point mode: it kills itself) and reap it."""
    if trial.mode == "random":
        status = fs.wait(pid, trial.delay or 0)
        if status is None:
            kill(pid)
            status = fs.wait(pid, 30)
    else:
        status = fs.wait(pid, budget)
        if status is None:  # the point was not reached in time: kill it wherever it is
            kill(pid)
            status = fs.wait(pid, 30)
    trial.status, trial.killed_at = status, _phase(log)


def ingest_trial(fs: ForkServer, run: Run, trial: Trial) -> None:
    command, rel = run.rng.choice(INGESTS)
    trial.command = f"ingest {command} {Path(rel).name}"
    log = run.logs / f"trial-{trial.number:03d}.log"
    argv = ["--home", str(run.home), "ingest", command, str(run.pool / rel if rel == "abr_town" else SAMPLES / rel)]
    pid = fs.start(argv, log, kill_at=trial.point, hit=1)
    _killed(fs, trial, pid, log, budget=120)


def publish_trial(fs: ForkServer, run: Run, trial: Trial) -> None:
    trial.command = "publish"
    log = run.logs / f"trial-{trial.number:03d}.log"
    hit = run.rng.choice((1, 2)) if trial.point and trial.point.endswith(("build_views", "write_dataset")) else 1
    pid = fs.start(["--home", str(run.home), "publish"], log, kill_at=trial.point, hit=hit)
    _killed(fs, trial, pid, log, budget=180)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(fs: ForkServer, run: Run, log: Path, *, kill_at: str | None = None, hit: int = 1
                 ) -> tuple[int, str]:
    """Start ``kiban serve``; returns (pid, base URL) once /v1/health answers (or the process died)."""
    port = _free_port()
    pid = fs.start(["--home", str(run.home), "serve", "--port", str(port)], log, kill_at=kill_at, hit=hit)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if fs.wait(pid, 0) is not None:
            raise _Died(pid)
        try:
            if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                return pid, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    kill(pid)
    raise TimeoutError("kiban serve did not answer /v1/health in 120 s")


class _Died(Exception):
    """The server died before it answered (a kill point in its start-up recovery)."""


def _post(url: str, token: str, kwargs: dict[str, Any], post: Post) -> None:
    try:
        r = httpx.post(f"{url}/v1/reports" + ("?wait=true" if post.wait else ""), timeout=150,
                       headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)
        post.status = r.status_code
        post.body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    except httpx.HTTPError as e:  # the server died: no answer, no promise
        post.error = type(e).__name__


def serve_trial(fs: ForkServer, run: Run, trial: Trial) -> None:
    trial.command = "serve + POSTs"
    log = run.logs / f"trial-{trial.number:03d}.log"
    hit = run.rng.choice((1, 2, 3)) if trial.point and trial.point.endswith(("_write", "quick_check")) else 1
    try:
        pid, url = start_server(fs, run, log, kill_at=trial.point, hit=hit)
    except _Died as died:
        trial.status, trial.killed_at = fs.wait(died.args[0], 30), _phase(log)
        return
    posts = []
    jobs = []
    for _ in range(run.rng.randint(4, 8)):
        run.counter += 1
        post = Post(run.rng.choice(KINDS), run.rng.random() < 0.5)
        token, kwargs = request_for(post.kind, run.counter, run.tokens, run.sent)
        posts.append(post)
        jobs.append((token, kwargs, post))
    timer = None
    if trial.mode == "random":
        timer = threading.Timer(trial.delay or 0, kill, args=(pid,))
        timer.start()
    with ThreadPoolExecutor(4) as pool_:
        for token, kwargs, post in jobs:
            pool_.submit(_post, url, token, kwargs, post)
    if timer is not None:
        timer.join()
    status = fs.wait(pid, 0 if trial.mode == "random" else 2)
    if status is None:  # still alive: the point was not reached, or the delay outlived the traffic -- kill now
        kill(pid)
        status = fs.wait(pid, 30)
    trial.status, trial.killed_at, trial.posts = status, _phase(log), posts
    run.posts += posts


# -- recovery and invariants ------------------------------------------------------------------------------------------

def recover(fs: ForkServer, run: Run) -> None:
    """Restart everything cleanly: the intake service until its queue is empty, one load, one publish."""
    log = run.logs / "recovery.log"
    pid, url = start_server(fs, run, log)
    queue = run.home / "intake" / "queue"
    end = time.monotonic() + 180
    while time.monotonic() < end and any(queue.glob("sub_*.json")):
        time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    if fs.wait(pid, 60) is None:
        kill(pid)
        fs.wait(pid, 30)
    for argv, ok in ((["ingest", "corporate", str(SAMPLES / "corporate" / "diff_20261102.zip")], (0, 1)),
                     (["publish"], (0,))):
        status = fs.run(["--home", str(run.home), *argv], log)
        if status not in ok:
            run.problems.append(f"recovery `kiban {' '.join(argv)}` exited {status}: {log.read_text()[-2000:]}")
    for path in sorted(run.logs.glob("*.log")):  # no command ever prints a traceback, killed or not
        text = path.read_text(errors="replace")
        if "Traceback" in text or "CHILD-ERROR" in text:
            run.problems.append(f"{path.name}: a traceback was printed: {text[text.find('Traceback'):][:1500]}")


def _cli(args: list[str]) -> tuple[int, str]:
    from click.testing import CliRunner

    from kiban.cli import main

    result = CliRunner().invoke(main, args, catch_exceptions=True)
    return result.exit_code, result.output


def check_always(run: Run, label: str) -> list[str]:
    """Invariants that hold at every moment, whatever was killed where."""
    from kiban.config import paths as make_paths
    from kiban.releases.store import ReleaseStore
    from registries.reports.load import may_submit

    paths = make_paths(run.home)
    problems = []
    rows = lakestate.ledger(paths)
    ids = Counter(r["load_id"] for r in rows)
    problems += [f"{label}: load id {i} is in the ledger {n} times" for i, n in ids.items() if n > 1]
    loaded = Counter((r["source"], r["sha256"]) for r in rows if r["status"] == "loaded")
    problems += [f"{label}: {s} content {h[:12]} loaded {n} times" for (s, h), n in loaded.items() if n > 1]
    store = ReleaseStore.of(paths)
    versions = store.versions()
    if store.latest() is not None and store.latest() not in versions:
        problems.append(f"{label}: latest {store.latest()} is not a listed release")
    partial = [p.name for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")
               and p.name not in versions and p.name != "latest"] if store.root.exists() else []
    # a folder without manifest is not listed (versions() ignores it); it must never be what latest names
    if store.latest() in partial:
        problems.append(f"{label}: latest names the partial release {store.latest()}")
    for v in versions:
        code, out = _cli(["--home", str(run.home), "releases", "verify", v])
        if code != 0:
            problems.append(f"{label}: kiban releases verify {v} failed: {out[-500:]}")
    counts = lakestate.catalog_counts(paths)
    if counts:
        sql = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\"" for t in sorted(counts))
        code, out = _cli(["--home", str(run.home), "sql", sql, "--format", "json"])
        seen = {r["t"]: r["n"] for r in json.loads(out)} if code == 0 else {}
        if seen != counts:
            problems.append(f"{label}: kiban sql sees {seen or out[-300:]} but the catalog holds {counts}")
    by_sha = {r["sha256"]: r for r in rows if r["source"] == "reports" and r["status"] == "loaded"}
    for lg, sha, channel in lakestate.query(paths, "SELECT lg_code, sha256, channel FROM lake.report_versions") \
            if "report_versions" in counts else []:
        who = (by_sha.get(sha) or {}).get("submitted_by") or {}
        if channel == "api" and not may_submit(str(who.get("lg_code")), lg):
            problems.append(f"{label}: unauthorised version for {lg} submitted by {who.get('lg_code')}")
    return problems


def check_recovered(run: Run) -> list[str]:
    """Invariants that hold once every process ran again to completion."""
    from kiban.config import paths as make_paths

    paths = make_paths(run.home)
    problems = check_always(run, "after recovery")
    rows = {r["load_id"]: r for r in lakestate.ledger(paths)}
    stored = {rid for (rid,) in lakestate.query(paths, "SELECT report_id FROM lake.report_versions")} \
        if "report_versions" in lakestate.catalog_counts(paths) else set()
    for post in run.posts:
        sid = post.body.get("submission_id")
        if post.status == 202:
            row = rows.get(sid)
            if row is None:
                problems.append(f"202 answered for {sid} ({post.kind}, wait={post.wait}) but it is not in the ledger")
            elif row["status"] == "loaded":
                missing = set((row["detail"].get("info") or {}).get("report_ids") or []) - stored
                if missing or post.kind in ("foreign", "foreign_claim"):
                    problems.append(f"{sid} ({post.kind}) loaded but versions missing {missing}")
            elif row["status"] == "quarantined" and not row["detail"].get("errors"):
                problems.append(f"{sid} quarantined without reasons")
            elif row["status"] == "duplicate" and not row.get("duplicate_of"):
                problems.append(f"{sid} duplicate of nothing")
        # a refused submission is never stored itself. Its report ids may still be stored: ids derive from the
        # content, and the same bytes may have been sent by a caller allowed to (the "duplicate" kind re-sends
        # the first body with A's token); every stored version's submitter is checked in check_always
        if post.status == 403 and (rows.get(sid) or {}).get("status") == "loaded":
            problems.append(f"{sid} answered 403 but it was loaded")
    for row in rows.values():
        if row["status"] == "quarantined" and lakestate.quarantine_report(paths, row["load_id"]) is None:
            problems.append(f"quarantined {row['load_id']} ({row['source_file']}) has no quarantine report")
    left = sorted(p.name for p in paths.staging.iterdir()) if paths.staging.exists() else []
    if left:
        problems.append(f"staging folders left by dead processes after the next load: {left}")
    queued = sorted((run.home / "intake" / "queue").glob("sub_*.json"))
    if queued:
        problems.append(f"{len(queued)} submissions still queued after recovery")
    return problems


def run_trials(fs: ForkServer, home: Path, tokens: dict[str, str], root: Path, trials: int, seed: int,
               first: int = 1) -> Run:
    """``trials`` kills on ``home``: commands and kill points drawn with ``seed``, every kill point and command
    met in turn before any repeats."""
    rng = random.Random(seed)
    run = Run(home, tokens, pool(root), root / "logs", rng)
    run.logs.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, str | None]] = []
    points = {"ingest": list(INGEST_POINTS), "publish": list(PUBLISH_POINTS), "serve": list(SERVE_POINTS)}
    for i in range(trials):
        command = ("ingest", "serve", "publish", "serve")[i % 4]
        if i % 3 == 2:
            plan.append((command, None))  # a random moment
        else:
            left = points[command]
            plan.append((command, left.pop(rng.randrange(len(left)))))
            if not left:
                points[command] = list({"ingest": INGEST_POINTS, "publish": PUBLISH_POINTS,
                                        "serve": SERVE_POINTS}[command])
    for i, (command, point) in enumerate(plan):
        trial = Trial(first + i, command, "point" if point else "random", point,
                      None if point else round(rng.uniform(0.3, {"ingest": 3.0, "publish": 5.0, "serve": 3.0}[command]), 2))
        {"ingest": ingest_trial, "publish": publish_trial, "serve": serve_trial}[command](fs, run, trial)
        run.trials.append(trial)
        if trial.status not in (-signal.SIGKILL, 0, 1) or (trial.command == "publish" and trial.status == 1):
            run.problems.append(f"trial {trial.number} ({trial.command}) finished with exit {trial.status}")
        run.problems += check_always(run, f"trial {trial.number} ({trial.command}, {trial.outcome})")
    recover(fs, run)
    run.problems += check_recovered(run)
    return run


def summary(runs: list[Run], seconds: float) -> str:
    trials = [t for r in runs for t in r.trials]
    posts = [p for r in runs for p in r.posts]
    killed = sum(t.status == -signal.SIGKILL for t in trials)
    lines = [f"crash harness: {len(trials)} trials in {len(runs)} home(s), {killed} processes killed by SIGKILL, "
             f"{sum(len(r.problems) for r in runs)} invariant violations, {seconds:.0f} s"]
    by_command = Counter(t.command.split()[0] + (" " + t.command.split()[1] if t.command.startswith("ingest") else "")
                         for t in trials)
    lines.append("  commands: " + ", ".join(f"{k} {v}" for k, v in sorted(by_command.items())))
    hit = Counter(t.point for t in trials if t.reached and t.status == -signal.SIGKILL)
    lines.append(f"  kill points reached ({sum(hit.values())} of {sum(t.mode == 'point' for t in trials)} "
                 "point trials): " + ", ".join(f"{k} x{v}" for k, v in sorted(hit.items())))
    missed = Counter(t.point for t in trials if t.mode == "point" and not t.reached)
    if missed:
        lines.append("  points not reached (killed where they stood): " + ", ".join(
            f"{k} x{v}" for k, v in sorted(missed.items())))
    landed = Counter((t.killed_at or "start-up").split("#")[0] for t in trials if t.mode == "random"
                     and t.status == -signal.SIGKILL)
    lines.append(f"  random kills ({sum(t.mode == 'random' for t in trials)}): last phase " + ", ".join(
        f"{k} x{v}" for k, v in sorted(landed.items())) + f"; finished before the kill: "
        f"{sum(t.mode == 'random' and t.status != -signal.SIGKILL for t in trials)}")
    answered = Counter(str(p.status or p.error) for p in posts)
    lines.append(f"  POSTs: {len(posts)} ({sum(p.wait for p in posts)} with ?wait=true); answers " + ", ".join(
        f"{k} x{v}" for k, v in sorted(answered.items())))
    for t in trials:
        lines.append(f"  #{t.number:03d} {t.command:45s} {t.mode:6s} {t.outcome}")
    for r in runs:
        lines += [f"  VIOLATION {p}" for p in r.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--per-home", type=int, default=10, help="trials per fresh copy of the prepared home")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    import tempfile

    root = args.root or Path(tempfile.mkdtemp(prefix="kiban-crash-"))
    t0 = time.perf_counter()
    fs = ForkServer()
    try:
        runs = run_many(fs, root, args.trials, args.per_home, args.seed)
    finally:
        fs.close()
    print(summary(runs, time.perf_counter() - t0))
    return 1 if any(r.problems for r in runs) else 0


def run_many(fs: ForkServer, root: Path, trials: int, per_home: int, seed: int) -> list[Run]:
    """Prepare a home once, then run ``trials`` in rounds of ``per_home``, each on a fresh copy of it."""
    base, tokens = prepare(fs, root / "prepared")
    runs = []
    for n, start in enumerate(range(0, trials, per_home)):
        work = root / f"round-{n:02d}"
        shutil.copytree(base, work / "home", symlinks=True)
        runs.append(run_trials(fs, work / "home", tokens, work, min(per_home, trials - start), seed + n, start + 1))
    return runs


if __name__ == "__main__":
    sys.exit(main())
