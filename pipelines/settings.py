"""Deployment settings, read through Dagster (``dg.EnvVar``), never ``os.environ`` in the pipelines.

``KIBAN_DEPLOYMENT`` picks the source implementations: ``official`` (default: the official sites and APIs) or
``samples`` (the bundled sample files; ``kiban demo`` and the tests). ``KIBAN_HOME`` is where the lake lives.
Optional settings (URLs, selections) are passed to resources as ``dg.EnvVar`` when set -- so their values are read
when a run starts, and the UI shows the variable's name, not its value -- and fall back to a default otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import dagster as dg

Deployment = Literal["official", "samples"]
DEPLOYMENTS: tuple[Deployment, ...] = ("official", "samples")
DEPLOYMENT_ENV = "KIBAN_DEPLOYMENT"
#: The bundled sample data (``kiban demo``): one folder per source.
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def deployment() -> Deployment:
    """``KIBAN_DEPLOYMENT`` (default ``official``); any other value is an error."""
    value = dg.EnvVar(DEPLOYMENT_ENV).get_value("official") or "official"
    if value not in DEPLOYMENTS:
        raise ValueError(f"{DEPLOYMENT_ENV}={value!r}: expected one of {', '.join(DEPLOYMENTS)}")
    return value  # type: ignore[return-value]


def setting(name: str, default: str = "") -> str:
    """An optional setting for a resource field: ``dg.EnvVar(name)`` when the variable is set, else ``default``.

    (``dg.EnvVar`` is a ``str``; a resource resolves it when a run starts.)
    """
    return dg.EnvVar(name) if dg.EnvVar(name).get_value() is not None else default
