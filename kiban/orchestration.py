"""The Dagster instance under KIBAN_HOME, shared by the CLI, the demo and the intake service.

- :func:`prepare_dagster_home` / :func:`instance`: ``KIBAN_HOME/dagster`` with the repo's ``dagster.yaml``;
- :func:`record_lake_write` / :class:`LakeWriteRecorder`: record a lake write made outside a run (the long-lived
  intake service) as a runless materialisation, so the UI and the automation conditions (``indicator_values`` is
  eager on ``report_versions``) see it like any run's (ADR 0006).

Importing this module imports no Dagster: the intake service's hot path pays for Dagster once, when it opens
the instance.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiban.config import Paths

if TYPE_CHECKING:
    import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[1]
_FALLBACK_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


PROFILES = ("laptop", "server", "cluster")


def instance_yaml() -> Path:
    """The dagster.yaml of ``KIBAN_PROFILE``: ``laptop`` (default; the repo's dagster.yaml: SQLite under
    KIBAN_HOME, lake pool of one), ``server`` or ``cluster`` (``deploy/<profile>/dagster.yaml``: PostgreSQL,
    queued runs with tag limits); ``KIBAN_DAGSTER_YAML`` names another file."""
    explicit = os.environ.get("KIBAN_DAGSTER_YAML")
    if explicit:
        return Path(explicit)
    profile = os.environ.get("KIBAN_PROFILE") or "laptop"
    if profile not in PROFILES:
        raise ValueError(f"KIBAN_PROFILE={profile!r}: expected one of {', '.join(PROFILES)}")
    return REPO_ROOT / "dagster.yaml" if profile == "laptop" else REPO_ROOT / "deploy" / profile / "dagster.yaml"


def prepare_dagster_home(paths: Paths) -> Path:
    """``KIBAN_HOME/dagster`` with the profile's dagster.yaml (:func:`instance_yaml`); sets DAGSTER_HOME
    (and KIBAN_HOME, which the code location's lake resource reads)."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    source = instance_yaml()
    target = home / "dagster.yaml"
    if source.exists():
        shutil.copyfile(source, target)
    elif not target.exists():
        target.write_text(_FALLBACK_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("KIBAN_HOME", str(paths.home))
    return home


def instance(paths: Paths) -> dg.DagsterInstance:
    """The persistent Dagster instance under ``KIBAN_HOME/dagster``."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))


AssetKeyLike = str | Sequence[str]


def _event(asset_key: AssetKeyLike, metadata: Mapping[str, Any] | None, description: str | None):
    import dagster as dg

    from schemas import all_contracts

    key = dg.AssetKey(asset_key) if isinstance(asset_key, str) else dg.AssetKey(list(asset_key))
    meta: dict[str, Any] = dict(metadata or {})
    contract = all_contracts().get(key.to_user_string())
    if contract is not None and "dagster/column_schema" not in meta:
        from pipelines.lake import column_schema

        meta["dagster/column_schema"] = column_schema(contract)
    if isinstance(meta.get("dagster/row_count"), int):
        meta["dagster/row_count"] = dg.MetadataValue.int(meta["dagster/row_count"])
    return dg.AssetMaterialization(asset_key=key, metadata=meta, description=description)


def record_lake_write(instance_or_home: dg.DagsterInstance | Paths, asset_key: AssetKeyLike,
                      metadata: Mapping[str, Any] | None = None, *, description: str | None = None) -> None:
    """Record that ``asset_key`` was written outside a run (a runless materialisation in the instance).

    ``metadata`` as plain values (``{"dagster/row_count": 1234, "batch_id": "..."}``); a lake dataset gets its
    contract's ``dagster/column_schema``. Given a ``Paths``, the instance under it is opened for this one call:
    a service that records many writes keeps a :class:`LakeWriteRecorder` (one instance) instead.
    """
    if isinstance(instance_or_home, Paths):
        with instance(instance_or_home) as inst:
            inst.report_runless_asset_event(_event(asset_key, metadata, description))
        return
    instance_or_home.report_runless_asset_event(_event(asset_key, metadata, description))


class LakeWriteRecorder:
    """Records lake writes of a long-lived process in the Dagster instance under ``paths``, opened once (on the
    first write) and closed with :meth:`close` (or the ``with`` block)."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._instance: dg.DagsterInstance | None = None

    def record(self, asset_key: AssetKeyLike, metadata: Mapping[str, Any] | None = None, *,
               description: str | None = None) -> None:
        if self._instance is None:
            self._instance = instance(self.paths)
        record_lake_write(self._instance, asset_key, metadata, description=description)

    def close(self) -> None:
        if self._instance is not None:
            self._instance.dispose()
            self._instance = None

    def __enter__(self) -> LakeWriteRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
