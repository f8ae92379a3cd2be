"""Quarantine reports (隔離レポート): one format for every source and channel.

``KIBAN_HOME/quarantine/<load_id>/report.json`` (mode 0600: it may quote submitted values) names the input
(file, sha256, where the raw bytes are kept, who sent it) and every blocking finding as
``{file, row, column, rule, value, message}``, with the whole Great Expectations result where validation ran.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiban.config import Paths
from kiban.load.model import Arrival, LoadResult

_LOAD_ID = re.compile(r"[A-Za-z0-9_.-]{1,80}")


def internal_error(arrival: Arrival, stage: str, exc: BaseException) -> dict[str, Any]:
    """A finding for an unexpected exception while handling one input: it quarantines that input alone."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return {"file": arrival.raw.original_name, "row": None, "column": None, "rule": f"{stage}_failed",
            "value": None, "message": f"unexpected error while {stage.replace('_', ' ')}: "
                                      f"{type(exc).__name__}: {str(exc)[:300]}{at}"}


def report_path(paths: Paths, load_id: str) -> Path:
    if not _LOAD_ID.fullmatch(load_id) or load_id in (".", ".."):
        raise ValueError(f"not a load id: {load_id!r}")
    return paths.quarantine / load_id / "report.json"


def write(paths: Paths, result: LoadResult, arrival: Arrival) -> Path:
    path = report_path(paths, result.load_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    report = {
        "load_id": result.load_id, "source": result.source, "file": result.source_file,
        "sha256": result.sha256, "raw_path": str(arrival.raw.path), "received_from": arrival.raw.source,
        "channel": result.channel, "submitted_by": dict(result.submitted_by) if result.submitted_by else None,
        "received_at": result.received_at, "batch_id": result.batch_id,
        "errors": result.errors, "warnings": result.warnings, "validation": result.validation,
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    tmp = path.with_name(f".report.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1, default=str)
    os.replace(tmp, path)
    return path


def read(paths: Paths, load_id: str) -> dict[str, Any] | None:
    try:
        path = report_path(paths, load_id)
    except ValueError:
        return None
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
