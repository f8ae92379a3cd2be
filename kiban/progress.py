"""Progress bars for long commands (rich, on stderr), and nothing at all when stderr is not a terminal.

Library code never draws: it takes a plain callback (``progress(done, total)`` for downloads,
``progress(step, done, total)`` for a publish) and the command line turns it into a bar with :func:`bar`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)


def console() -> Console:
    return Console(stderr=True)


def interactive(con: Console | None = None) -> bool:
    """True when progress should be drawn: stderr is a terminal (not a pipe, a file or CI's log)."""
    return (con or console()).is_terminal


@contextlib.contextmanager
def bar(description: str, *, transfer: bool = False, enabled: bool | None = None,
        con: Console | None = None) -> Iterator[Callable[..., None]]:
    """A bar on stderr; yields ``update(done, total=None, description=None)``. A no-op when not interactive.

    ``transfer``: the units are bytes (size and speed columns).
    """
    con = con or console()
    if not (interactive(con) if enabled is None else enabled):
        yield lambda *a, **k: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    columns += [DownloadColumn(), TransferSpeedColumn()] if transfer else [MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=con, transient=True) as p:
        task = p.add_task(description, total=None)

        def update(done: float, total: float | None = None, description: str | None = None) -> None:
            kwargs = {"completed": done}
            if total is not None:
                kwargs["total"] = total
            if description is not None:
                kwargs["description"] = description
            p.update(task, **kwargs)

        yield update
