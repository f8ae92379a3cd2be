"""Stage many files of one source in worker processes (one file per worker), ahead of the one load path.

:func:`kiban.load.files.ingest_pending` with ``workers > 1`` submits every pending file's ``Source.stage`` to a
pool of that many processes (a source opts in with ``Source.stage_in_workers``: a CPU-bound parser whose
``stage`` is a module-level function). The files are still validated and stored one at a time, in order,
through :func:`kiban.load.runner.run_batch`; only the staging has moved, so the main process validates and
stores file *k* while the workers parse files *k + 1*, *k + 2*, ...

The guarantees of the load path hold: staging each file is a separate task, and whatever it raises -- a
:class:`~registries.errors.SourceError` or any other exception -- is raised again by that file's ``stage`` in
the main process, so the runner quarantines that file alone. A worker that dies (killed, out of memory,
crashed) breaks the pool; the file it was staging is then staged once more alone in a fresh process (a file
that kills that one too is quarantined as ``worker_died``) and the files still pending go to a new pool.

Workers start with the ``forkserver`` method (no copy of the parent's threads, locks or open lake
connections) and cannot import pandas: pyarrow imports it on its first array build whenever it is installed
(about 0.8 s and 40 MB per process here) although staging never uses it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import shutil
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from kiban.load.model import Arrival, Source, Staged
from registries.errors import SourceError


class _NoPandas:
    """A meta path finder refusing pandas (pyarrow then takes its no-pandas path)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used by staging workers", name=name)
        return None


def init_worker() -> None:
    """What every staging worker runs first (the benchmark's parser child too)."""
    sys.meta_path.insert(0, _NoPandas())


def _stage_task(stage: Callable[[Arrival, Path, str], Staged], arrival: Arrival, workdir: Path,
                load_id: str) -> tuple[str, Any]:
    """Run in a worker: ``("ok", Staged)``, ``("source_error", fields)`` or ``("error", (type, text))``."""
    try:
        shutil.rmtree(workdir, ignore_errors=True)  # what an attempt in a pool that broke left
        workdir.mkdir(parents=True)
        return "ok", stage(arrival, workdir, load_id)
    except SourceError as exc:
        return "source_error", {"file": exc.file, "message": exc.message, "rule": exc.rule, "row": exc.row,
                                "column": exc.column, "value": exc.value}
    except Exception as exc:  # noqa: BLE001 - raised again in the main process, where it quarantines the file
        return "error", (type(exc).__name__, "".join(traceback.format_exception(exc)))


class StagingError(RuntimeError):
    """An exception raised while staging in a worker, carried back by type name and traceback text."""


def _unwrap(outcome: tuple[str, Any]) -> Staged:
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "source_error":
        raise SourceError(value.pop("file"), value.pop("message"), **value)
    name, text = value
    raise StagingError(f"{name} in a staging worker:\n{text}")


class StagingPool:
    """Staging tasks for files loaded in order; :meth:`source_for` gives the ``Source`` that loads file *i*."""

    def __init__(self, workers: int, root: Path) -> None:
        self.workers = workers
        self.root = root
        self._context = multiprocessing.get_context("forkserver")
        self._pool = self._new_pool(workers)
        self._tasks: list[tuple[Callable, Arrival, Path, str]] = []
        self._futures: list[Future] = []

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self._context, initializer=init_worker)

    def submit(self, source: Source, arrival: Arrival) -> int:
        """Queue the staging of one arrival (``arrival.load_id`` set); returns its task number."""
        assert arrival.load_id, "the load id is fixed before staging in a worker"
        task = (source.stage, arrival, self.root / arrival.load_id, arrival.load_id)
        self._tasks.append(task)
        self._futures.append(self._pool.submit(_stage_task, *task))
        return len(self._tasks) - 1

    def result(self, i: int) -> Staged:
        """The staged result of task ``i``; raises what staging raised (the runner quarantines the file)."""
        try:
            outcome = self._futures[i].result()
        except BrokenProcessPool:
            outcome = self._after_crash(i)
        return _unwrap(outcome)

    def _after_crash(self, i: int) -> tuple[str, Any]:
        self._pool.shutdown(wait=False, cancel_futures=True)
        alone = self._new_pool(1)
        try:
            outcome = alone.submit(_stage_task, *self._tasks[i]).result()
        except BrokenProcessPool:
            outcome = ("source_error", {"file": self._tasks[i][1].raw.original_name, "rule": "worker_died",
                                        "message": "the staging process died on this file (twice)",
                                        "row": None, "column": None, "value": None})
        finally:
            alone.shutdown(wait=False)
        self._pool = self._new_pool(self.workers)
        for j in range(i + 1, len(self._tasks)):
            done = self._futures[j]
            if not done.done() or done.cancelled() or done.exception() is not None:
                self._futures[j] = self._pool.submit(_stage_task, *self._tasks[j])
        return outcome

    def source_for(self, source: Source, i: int) -> Source:
        """``source`` whose ``stage`` hands back task ``i``'s result instead of parsing again."""
        return dataclasses.replace(source, stage=lambda arrival, workdir, load_id: self.result(i))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
