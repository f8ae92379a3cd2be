"""Peer tools for the benchmarks, each installed from PyPI into a virtual environment of its own.

The peers never enter Kiban's ``.venv``: ``peer_python("jpcorpreg==2.0.2")`` creates ``bench/out/peers/<name>``
(or the folder in ``KIBAN_PEERS``) once, with the project's uv when it is there (``.tools/bin/uv``), else with
``python -m venv`` and pip, and returns that environment's interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peers_dir() -> Path:
    return Path(os.environ.get("KIBAN_PEERS", ROOT / "bench" / "out" / "peers"))


def peer_python(requirement: str) -> Path:
    """The interpreter of a virtual environment holding ``requirement`` (e.g. ``mojxml==0.5.4``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", requirement)
    env = peers_dir() / name
    python = env / "bin" / "python"
    marker = env / ".installed"
    if marker.exists():
        return python
    shutil.rmtree(env, ignore_errors=True)
    env.parent.mkdir(parents=True, exist_ok=True)
    uv = ROOT / ".tools" / "bin" / "uv"
    if uv.exists():
        subprocess.run([str(uv), "venv", "-q", "-p", sys.executable, str(env)], check=True)
        subprocess.run([str(uv), "pip", "install", "-q", "-p", str(python), requirement], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True)
    marker.write_text(requirement + "\n")
    return python
