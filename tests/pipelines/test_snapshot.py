"""The Dagster graph as a committed snapshot: a change to assets, dependencies, groups, owners, kinds, checks,
automation conditions, freshness policies, sensors, jobs or resources shows up as a diff in review.

After an intended change, regenerate the snapshot and commit it with the change::

    KIBAN_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/pipelines/test_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.definitions import build_defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _condition(condition: dg.AutomationCondition | None) -> str | None:
    if condition is None:
        return None
    if condition.get_label():
        return condition.get_label()
    children = ", ".join(_condition(c) or "" for c in condition.children)
    return f"{type(condition).__name__}({children})"


def _freshness(policy: Any) -> dict[str, Any] | None:
    if policy is None:
        return None
    hours = {k: getattr(policy, k).to_timedelta().total_seconds() / 3600 if getattr(policy, k) is not None
             else None for k in ("warn_window", "fail_window")}
    return {"type": type(policy).__name__, **{f"{k}_hours": v for k, v in hours.items()}}


def snapshot(defs: dg.Definitions) -> dict[str, Any]:
    """A sorted, JSON-able description of the code location."""
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[dict[str, Any]]] = {}
    for key in graph.asset_check_keys:
        node = graph.get(key)
        checks.setdefault(key.asset_key.to_user_string(), []).append(
            {"name": key.name, "blocking": node.blocking, "automation": _condition(node.automation_condition)})
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        name = spec.key.to_user_string()
        assets[name] = {
            "group": spec.group_name,
            "owners": list(spec.owners),
            "kinds": sorted(spec.kinds),
            "deps": sorted(d.asset_key.to_user_string() for d in spec.deps),
            "partitions": type(spec.partitions_def).__name__ if spec.partitions_def else None,
            "automation": _condition(spec.automation_condition),
            "freshness": _freshness(spec.freshness_policy),
            "pools": sorted(graph.get(spec.key).pools or []),
            "column_schema": [c.name for c in spec.metadata["dagster/column_schema"].columns]
            if "dagster/column_schema" in spec.metadata else None,
            "checks": sorted(checks.get(name, []), key=lambda c: c["name"]),
        }
    repo = defs.get_repository_def()
    return {
        "assets": assets,
        "sensors": {s.name: {"type": type(s).__name__, "default_status": s.default_status.value,
                             "minimum_interval_seconds": s.minimum_interval_seconds}
                    for s in sorted(repo.sensor_defs, key=lambda s: s.name)},
        "schedules": sorted(s.name for s in repo.schedule_defs),
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "resources": {deployment: {k: type(v).__name__ for k, v in sorted(build_defs(deployment).resources.items())}
                      for deployment in ("official", "samples")},
    }


def test_the_definitions_match_the_committed_snapshot():
    current = json.loads(json.dumps(snapshot(build_defs("official")), ensure_ascii=False))
    if os.environ.get("KIBAN_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current["assets"].keys() == committed["assets"].keys()
    for name in current["assets"]:
        assert current["assets"][name] == committed["assets"][name], name
    assert current == committed
