"""Demo step: replay the bundled report scenario through the landing folder, the sensor and the intake run.

Arrivals are dropped into ``KIBAN_HOME/landing/`` in three waves (before the typhoon, the typhoon days, the
monthly reports), each file with its arrival time as mtime (= ``received_at``); duplicate arrivals are dropped
again under a new name. Each wave: the sensor is evaluated and the run it requests is executed in process.
"""

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from kiban.config import Paths
from pipelines.lake import LakeResource
from pipelines.reports.assets import reports_intake, reports_landing_sensor

WAVE_ENDS = ("2026-09-14T00:00:00+09:00", "2026-10-01T00:00:00+09:00")


def drop(paths: Paths, scenario: Path, arrivals: list[dict]) -> int:
    """Copy arrivals into the landing folder with mtime = received_at; returns the number dropped."""
    paths.landing.mkdir(parents=True, exist_ok=True)
    for i, a in enumerate(arrivals):
        name = a["file"] if "duplicate_of" not in a else f"dup{i:04d}-{a['file']}"
        target = paths.landing / name
        tmp = paths.landing / f".{name}.tmp"
        shutil.copyfile(scenario / "files" / a["file"], tmp)
        at = datetime.fromisoformat(a["received_at"]).timestamp()
        os.utime(tmp, (at, at))
        os.replace(tmp, target)
    return len(arrivals)


def ingest_scenario(paths: Paths, scenario: Path, instance: dg.DagsterInstance,
                    echo: Callable[[str], None] = print, run_config: dict | None = None) -> dict[str, int]:
    """Replay ``scenario`` (manifest.jsonl + files/) wave by wave through sensor + run; returns status counts.

    ``run_config`` is merged into each run's (the demo sets Dagster's console log level with it).
    """
    arrivals = [json.loads(line) for line in (scenario / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    ends = [datetime.fromisoformat(e) for e in WAVE_ENDS] + [datetime(9999, 1, 1, tzinfo=UTC)]
    resources = {"lake": LakeResource(home=str(paths.home))}
    cursor, start, statuses = None, None, {}
    for end in ends:
        wave = [a for a in arrivals if (start is None or datetime.fromisoformat(a["received_at"]) >= start)
                and datetime.fromisoformat(a["received_at"]) < end]
        start = end
        if not wave:
            continue
        drop(paths, scenario, wave)
        ctx = dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources)
        request = reports_landing_sensor(ctx)
        cursor = ctx.cursor
        if not isinstance(request, dg.RunRequest):
            continue
        result = dg.materialize([reports_intake], run_config={**request.run_config, **(run_config or {})},
                                resources=resources,
                                instance=instance, tags=request.tags, raise_on_error=False)
        if not result.success:
            raise SystemExit("the reports intake run failed: see `kiban dagster dev` for the run log")
        meta = result.asset_materializations_for_node("reports_intake")[0].metadata
        statuses["submissions"] = statuses.get("submissions", 0) + meta["submissions"].value
        statuses["quarantined"] = statuses.get("quarantined", 0) + meta["quarantined"].value
        echo(f"- reports: sensor batched {len(request.run_config['ops']['reports_intake']['config']['files'])} "
             f"landing files into one run ({meta['submissions'].value} submissions)")
    return statuses
