"""The Dagster instance under KIBAN_HOME and in-process materialisation, shared by the CLI and the demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kiban.config import Paths

REPO_ROOT = Path(__file__).resolve().parents[1]
_FALLBACK_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


def prepare_dagster_home(paths: Paths) -> Path:
    """``KIBAN_HOME/dagster`` with the repo's dagster.yaml (telemetry off, lake pool of one); sets DAGSTER_HOME."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    source = REPO_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    if source.exists():
        shutil.copyfile(source, target)
    elif not target.exists():
        target.write_text(_FALLBACK_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("KIBAN_HOME", str(paths.home))
    return home


def instance(paths: Paths):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))
