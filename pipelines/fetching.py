"""Fetch assets: what a source resource archived is queued in the source's fetch log for its load asset.

Fetching and loading are separate assets, so each fails and retries on its own: the fetch archives files as
received (``KIBAN_HOME/raw``, sha256) and appends them to ``KIBAN_HOME/raw/fetched/<source>.jsonl``; the load asset
takes every logged file not loaded yet.
"""

from __future__ import annotations

import dagster as dg

from kiban.archive import FetchLog, RawObject
from kiban.config import Paths

FETCH_KINDS = {"python", "file"}


def queue_fetched(paths: Paths, source: str, objs: list[RawObject], **extra: str) -> dg.MaterializeResult:
    """Append the fetched files to the fetch log, unless the same content is queued already (unchanged files)."""
    log = FetchLog(paths.raw, source)
    known = {e["sha256"] for e in log.entries()}
    queued = [o for o in objs if o.sha256 not in known]
    for obj in queued:
        log.record(obj, **extra)
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.json([{"file": o.original_name, "sha256": o.sha256, "bytes": o.bytes,
                                         "queued": o in queued} for o in objs]),
        "count": len(objs), "queued": len(queued),
    })
