"""Test-only fork server for the crash harness: real ``kiban`` processes, killed where the test says.

``python forkserver.py`` imports Kiban and its heavy dependencies once (Great Expectations alone costs ~9 s of
CPU), then serves requests read as JSON lines on stdin, one answer line each on stdout:

``{"op": "run", "argv": [...], "out": FILE, "env": {...}, "kill_at": "module:Qual.name", "hit": N,
"trace": ["module:name", ...]}``
    forks a child that runs ``kiban ARGV`` (``kiban.cli.main``, exactly what the installed command runs) with
    stdout and stderr in FILE. With ``kill_at``, the child sends itself SIGKILL the N-th time that function is
    entered (after writing ``KILLPOINT <name>`` to FILE). Each ``trace`` function writes ``PHASE <name>`` to
    FILE when entered, so the test can tell where a kill at a random moment landed. Answers ``{"pid": PID}``.
``{"op": "wait", "pid": PID, "timeout": S}``
    waits up to S seconds; answers ``{"status": CODE}`` (negative: killed by that signal) or ``{"status": null}``.

The product has no hook, pause or environment switch for this: the named function is replaced in the child only,
in its defining module or class and wherever another module imported it by name. The test kills children by
pid with SIGKILL at random moments; this server only forks, reports and reaps them.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

PRELOAD = (
    "duckdb", "polars", "pyarrow.parquet", "great_expectations", "uvicorn", "starlette.applications", "httpx",
    "kiban.cli", "kiban.load.runner", "kiban.load.files", "kiban.intake.service", "kiban.intake.cli",
    "kiban.serve.app", "kiban.releases.cli", "kiban.releases.publish", "kiban.query", "quality.runner",
    "quality.datadocs", "registries.corporate.load", "registries.municipalities.load", "registries.abr.load",
    "registries.abr.fetch", "registries.moj_map.load", "registries.moj_map.parcel_registry",
    "registries.reports.load", "kiban.catalog.artefacts", "kiban.catalog.coverage",
)


def resolve(spec: str) -> tuple[Any, str, Callable]:
    """``module:Qual.name`` -> (owner object, attribute name, the function)."""
    module_name, _, qual = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, attr = qual.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attr, getattr(owner, attr)


def replace_everywhere(spec: str, make: Callable[[Callable], Callable]) -> None:
    """Replace the function named by ``spec`` in its owner and in every module that imported it by name."""
    owner, attr, original = resolve(spec)
    wrapper = make(original)
    setattr(owner, attr, wrapper)
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for name, value in list(namespace.items()):
            if value is original:
                setattr(module, name, wrapper)


def note(line: str) -> None:
    os.write(2, (line + "\n").encode())


def install(kill_at: str | None, hit: int, trace: list[str]) -> None:
    for spec in trace:
        def traced(original: Callable, spec: str = spec) -> Callable:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                note(f"PHASE {spec}")
                return original(*args, **kwargs)
            return wrapper
        replace_everywhere(spec, traced)
    if kill_at:
        calls = [0]

        def killing(original: Callable) -> Callable:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                if calls[0] >= hit:
                    note(f"KILLPOINT {kill_at}#{calls[0]}")
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(*args, **kwargs)
            return wrapper
        replace_everywhere(kill_at, killing)


def child(request: dict[str, Any]) -> None:
    """In the forked child: redirect output, install the kill point, run the command, never return."""
    code = 1
    try:
        fd = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        os.environ.update(request.get("env") or {})
        if request.get("cwd"):
            os.chdir(request["cwd"])
        install(request.get("kill_at"), int(request.get("hit") or 1), list(request.get("trace") or []))
        from kiban.cli import main

        try:
            main(request["argv"], prog_name="kiban")
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # noqa: BLE001 - report, then exit like a crashed command
        import traceback

        traceback.print_exc()
        note(f"CHILD-ERROR {type(e).__name__}: {e}")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


#: exit statuses of the children reaped so far: a second ``wait`` for one answers again instead of failing
_REAPED: dict[int, int] = {}


def wait(pid: int, timeout: float) -> int | None:
    end = time.monotonic() + timeout
    while True:
        if pid in _REAPED:
            return _REAPED[pid]
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _REAPED[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            return _REAPED[pid]
        if time.monotonic() >= end:
            return None
        time.sleep(0.02)


def serve() -> None:
    t0 = time.perf_counter()
    for name in PRELOAD:
        importlib.import_module(name)
    answer({"ready": True, "preload_seconds": round(time.perf_counter() - t0, 1)})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "run":
            pid = os.fork()
            if pid == 0:
                child(request)
            _REAPED.pop(pid, None)  # pids are reused (pid_max 32768): this pid names a new, live child now
            answer({"pid": pid})
        elif op == "wait":
            answer({"status": wait(int(request["pid"]), float(request.get("timeout", 0)))})
        elif op == "quit":
            break
        else:
            answer({"error": f"unknown op {op!r}"})


def answer(payload: dict[str, Any]) -> None:
    sys.__stdout__.write(json.dumps(payload) + "\n")
    sys.__stdout__.flush()


if __name__ == "__main__":
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    serve()
