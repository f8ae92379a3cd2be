"""One writer process of the cluster tests and benchmarks: loads municipal reports and ABR sets into the shared
lake configured by the environment (``KIBAN_LAKE_CATALOG``, ``KIBAN_LAKE_DATA``), printing one JSON line per
load result (load id, source, status, rows per table) and one per commit (seconds), flushed as it goes.

``python tests/cluster/writer.py --reports F1 F2 ... --batch 3 --abr SET1.zip ...``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False, default=str), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", nargs="*", default=[])
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--abr", nargs="*", default=[])
    args = parser.parse_args(argv)

    from kiban.archive import RawArchive
    from kiban.config import paths as resolve
    from kiban.load import Arrival
    from kiban.load.runner import run_batch
    from registries.abr.load import ingest_targets
    from registries.reports.load import reports_source

    paths = resolve().ensure()
    archive = RawArchive(paths.raw)
    source = reports_source()
    emit(event="ready")
    files = [Path(f) for f in args.reports]
    for start in range(0, len(files), args.batch):
        chunk = files[start:start + args.batch]
        arrivals = [Arrival(archive.put_file(f), channel="file") for f in chunk]
        t0 = time.perf_counter()
        results = run_batch(paths, source, arrivals)
        emit(event="commit", source="reports", seconds=round(time.perf_counter() - t0, 4), files=len(chunk))
        for r in results:
            emit(event="load", load_id=r.load_id, source=r.source, file=r.source_file, sha256=r.sha256,
                 status=r.status, rows=r.rows)
    for target in args.abr:
        t0 = time.perf_counter()
        results = ingest_targets(paths, [target])
        emit(event="commit", source="abr", seconds=round(time.perf_counter() - t0, 4), files=1)
        for r in results:
            emit(event="load", load_id=r.load_id, source=r.source, file=r.source_file, sha256=r.sha256,
                 status=r.status, rows=r.rows)
    emit(event="done")


if __name__ == "__main__":
    main()
