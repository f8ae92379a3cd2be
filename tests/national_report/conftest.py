"""A lake with the crafted typhoon reports (熊本県) and a second disaster (福岡県), shared by the module."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def _load(name: str, file: Path):
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kit = sys.modules.get("indicators_reportkit") or _load("indicators_reportkit", _HERE.parent / "indicators" / "reportkit.py")
crafted = sys.modules.get("indicators_crafted") or _load("indicators_crafted", _HERE.parent / "indicators" / "crafted.py")

TYPHOON = crafted.DISASTER
QUAKE = "2026-quake-02"
QUAKE_NAME = "福岡県北部地震"
QUAKE_AT = crafted.T0 + timedelta(hours=2)
QUAKE_OCCURRED = crafted.T0 + timedelta(hours=1, minutes=40)


def quake_reports() -> list[dict]:
    base = {"report_type": "disaster_damage", "subject_key": QUAKE, "as_of": QUAKE_AT, "sequence_no": 1,
            "control": "正規", "update_type": "新規", "form_part": "その2", "disaster_name": QUAKE_NAME,
            "occurred_at": QUAKE_OCCURRED, "missing": 0, "injured_serious": 1, "injured_minor": 2,
            "hq_type": "対策本部", "hq_status": "設置", "zenkai_buildings": 3, "paddy_flooded_ha": 1.5}
    return [{**base, "report_id": "00000000-0000-4000-8000-000000000099", "lg_code": crafted.D, "dead": 4},
            {**base, "report_id": "00000000-0000-4000-8000-000000000098", "lg_code": "401005", "dead": 1,
             "hq_type": "警戒本部", "paddy_flooded_ha": 0.25}]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from kiban.config import paths

    p = paths(tmp_path_factory.mktemp("national") / "home").ensure()
    crafted.land_crafted(p)
    kit.land(p, kit.versions(quake_reports(), QUAKE_AT + timedelta(minutes=10), "quake.json"))
    return p
