"""Constants and builders of the API tests' home (imported as ``api_kit``; loaded by conftest.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 9, 14, 3, 0, tzinfo=UTC)
ARRIVALS = (T0 + timedelta(minutes=10), T0 + timedelta(minutes=40), T0 + timedelta(hours=3))
KUMAMOTO_CITY, YATSUSHIRO = "431001", "432024"
DISASTER = "2026-typhoon-21"
RELEASE = "2026-11-01.1"


def _damage(lg: str, seq: int, dead: int) -> dict:
    return {"report_type": "disaster_damage", "lg_code": lg, "subject_key": DISASTER,
            "as_of": T0.isoformat(), "sequence_no": seq, "update_type": "新規" if seq == 1 else "更新",
            "items": {"form_part": "その2", "dead": dead, "missing": "未確認"}}


def _shelter(lg: str) -> dict:
    return {"report_type": "shelter_status", "lg_code": lg, "as_of": T0.isoformat(),
            "items": {"disaster_id": DISASTER, "shelter_id": "S1", "open_status": "開設", "evacuees": 12,
                      "capacity": 40}}


def land_reports(home) -> None:
    """Three arrivals through the real parser, appended to ``report_versions`` in one commit each."""
    from kiban.lake import Lake
    from registries.reports.parse import parse
    from registries.reports.records import versions_table
    from schemas.reports import REPORT_VERSIONS

    batches = [[_damage(KUMAMOTO_CITY, 1, 1)], [_damage(KUMAMOTO_CITY, 2, 2), _shelter(YATSUSHIRO)],
               [_damage(YATSUSHIRO, 1, 0)]]
    for i, (received, rows) in enumerate(zip(ARRIVALS, batches, strict=True)):
        subs = parse(json.dumps(rows, ensure_ascii=False).encode(), f"r{i}.json", received_at=received)
        table = versions_table(subs, [[] for _ in subs])
        with Lake(home).writer() as w:
            w.con.register("_v", table)
            w.append(REPORT_VERSIONS, "SELECT * FROM _v")


def plant_release(home) -> None:
    """A minimal complete release folder (a manifest and one file) and ``latest`` pointing at it."""
    import os

    root = home.home / "releases" / RELEASE
    (root / "dictionary").mkdir(parents=True)
    (root / "dictionary" / "corporations.html").write_text("<p>法人</p>", encoding="utf-8")
    manifest = {"format": "kiban-release/1", "version": RELEASE, "created_at": T0.isoformat(),
                "lake": {"snapshot_id": 1}, "datasets": {}}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    os.symlink(RELEASE, home.home / "releases" / "latest")
    # a file the old /v1/releases/.. served: it must stay unreachable
    (home.home / "manifest.json").write_text('{"secret": "home manifest"}', encoding="utf-8")


def generous():
    """Limits no test reaches (the fuzz and boundary tests are not about rate limits)."""
    from kiban.serve.ratelimit import Limiter, Limits

    return Limits(Limiter(1e6, 1e6), Limiter(1e6, 1e6))
