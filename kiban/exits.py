"""Exit codes of the ``kiban`` command and the one line that explains a failure (documented in README).

:func:`describe` maps an exception that escaped a command to ``(exit code, one line)``: what failed, which file,
URL or statement, and what to do. The click group in :mod:`kiban.cli` calls it for every command, so commands
raise ordinary exceptions and never print tracebacks (``KIBAN_DEBUG=1`` shows them).
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    #: the command ran, but some input was rejected, quarantined or failed a check (its output says which)
    REJECTED = 1
    #: unknown command or option, bad argument (click)
    USAGE = 2
    #: an input could not be read: no such file, download failed (HTTP status, connection refused, timeout)
    INPUT = 3
    #: SQL refused (a statement that would write) or failed (syntax, unknown table or column)
    QUERY = 4
    #: the home, lake or a release is not in a usable state (busy, missing, disk or permission problem)
    STATE = 5
    #: a bug in Kiban: please report the line (KIBAN_DEBUG=1 prints the traceback)
    INTERNAL = 70
    #: interrupted (Ctrl-C)
    INTERRUPTED = 130


def _first_line(text: object) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def describe(exc: BaseException, command: str | None = None) -> tuple[Exit, str]:
    """The exit code and one line for an exception raised by ``kiban COMMAND``."""
    import duckdb
    import httpx

    from kiban.query import ReadOnlyError
    from registries.errors import SourceError
    from registries.http import DownloadError

    if isinstance(exc, KeyboardInterrupt):
        return Exit.INTERRUPTED, "interrupted"
    if isinstance(exc, DownloadError):
        return Exit.INPUT, (f"download failed: {_first_line(exc)}; check the URL and the network, or download "
                            "the file yourself and pass its path")
    if isinstance(exc, httpx.HTTPError):
        url = exc.request.url if _has_request(exc) else "the server"
        return Exit.INPUT, f"cannot reach {url}: {_first_line(exc) or type(exc).__name__}; check the URL and network"
    if isinstance(exc, ReadOnlyError):
        return Exit.QUERY, _first_line(exc)
    if isinstance(exc, SourceError):
        return Exit.INPUT, f"cannot read {exc.file}: {exc.message} [{exc.rule}]"
    if type(exc).__name__ == "NoKibanData":  # kiban.lake: a read-only command found no home
        return Exit.STATE, _first_line(exc)
    if isinstance(exc, FileNotFoundError):
        return Exit.INPUT, f"no such file: {exc.filename or _first_line(exc)}; check the path"
    if isinstance(exc, IsADirectoryError | NotADirectoryError):
        return Exit.INPUT, f"{exc.strerror or 'cannot open'}: {exc.filename}; check the path"
    if isinstance(exc, duckdb.Error):
        if command == "sql":
            return Exit.QUERY, f"SQL failed: {_first_line(exc)} (kiban sql \"SHOW TABLES\" lists the tables)"
        return Exit.STATE, (f"DuckDB failed: {_first_line(exc)}; if another Kiban process is writing, wait for it "
                            "and run the command again")
    if isinstance(exc, PermissionError):
        return Exit.STATE, f"permission denied: {exc.filename}; check the owner and mode of KIBAN_HOME"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return Exit.STATE, f"{exc.strerror or _first_line(exc)}{where}"
    if type(exc).__name__ == "ReleaseNotFound":
        return Exit.STATE, f"{_first_line(exc)}; kiban releases list shows the published releases"
    return Exit.INTERNAL, (f"internal error: {type(exc).__name__}: {_first_line(exc)} (a bug: please report it; "
                           "KIBAN_DEBUG=1 prints the traceback)")


def _has_request(exc: Exception) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when the error has no request
    except RuntimeError:
        return False
    return True
