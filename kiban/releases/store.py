"""Where releases live and how they become visible (公開版の保管場所).

Layout under ``KIBAN_HOME/releases/``::

    releases/
      2026-11-05.1/          one immutable release (version = publish date in Japan time + sequence number)
        manifest.json        written last: a folder is a release only once its manifest exists
        datapackage.json     Frictionless Data Package
        catalog.jsonld       DCAT of the release
        release.duckdb       read-only views over this release's Parquet (paths relative to this folder)
        <dataset>/part_<column>=<value>/data_0.parquet   (or <dataset>/data_0.parquet when unpartitioned)
        dictionary/<dataset>.html   HTML data dictionary (dataset folders hold Parquet only, for Spark/PyArrow)
      latest -> 2026-11-05.1  symbolic link, replaced atomically (create a new link, then rename over it)
      latest.duckdb          views over the latest release, replaced atomically
      .incoming-<id>/        a publish in progress (ignored by every reader; swept by the next publish)

Visibility: a publish builds in ``.incoming-<id>/``, renames it to its version, adds ``release.duckdb``, writes
``manifest.json`` (temporary name, then rename), and only then moves ``latest``. Every step is a rename, so a
publish killed at any point leaves ``latest`` and every listed release intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiban.config import Paths

JST = ZoneInfo("Asia/Tokyo")
MANIFEST = "manifest.json"
LATEST = "latest"
LATEST_DB = "latest.duckdb"
VERSION_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(\d+)$")


class ReleaseNotFound(LookupError):
    """No such (complete) release."""


def version_key(version: str) -> tuple[str, int]:
    m = VERSION_RE.match(version)
    if not m:
        raise ValueError(f"not a release version: {version!r} (expected YYYY-MM-DD.N)")
    return m.group(1), int(m.group(2))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary sibling, fsync, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class ReleaseStore:
    """The releases folder of one ``KIBAN_HOME``."""

    root: Path

    @classmethod
    def of(cls, paths: Paths) -> ReleaseStore:
        return cls(paths.home / "releases")

    def path(self, version: str) -> Path:
        version_key(version)
        return self.root / version

    def versions(self) -> list[str]:
        """Complete releases, oldest first (dot-folders, symlinks and folders without a manifest are ignored)."""
        if not self.root.exists():
            return []
        out = [p.name for p in self.root.iterdir()
               if not p.name.startswith(".") and not p.is_symlink() and p.is_dir()
               and VERSION_RE.match(p.name) and (p / MANIFEST).is_file()]
        return sorted(out, key=version_key)

    def manifest(self, version: str) -> dict[str, Any]:
        if version == LATEST:
            version = self.latest() or ""
        path = self.root / version / MANIFEST if version else None
        if path is None or not version or not path.is_file():
            raise ReleaseNotFound(f"no release {version or LATEST!r} under {self.root}")
        return json.loads(path.read_text(encoding="utf-8"))

    def latest(self) -> str | None:
        link = self.root / LATEST
        if not link.is_symlink():
            return None
        target = os.readlink(link)
        return target if (self.root / target / MANIFEST).is_file() else None

    def next_version(self, now: datetime | None = None) -> str:
        """``YYYY-MM-DD.N`` for today in Japan time, N one more than any folder of that day (even partial)."""
        day = (now or datetime.now(JST)).astimezone(JST).date().isoformat()
        taken = [version_key(p.name)[1] for p in (self.root.iterdir() if self.root.exists() else [])
                 if VERSION_RE.match(p.name) and version_key(p.name)[0] == day]
        return f"{day}.{max(taken, default=0) + 1}"

    def new_incoming(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f".incoming-{uuid.uuid4().hex[:12]}"
        path.mkdir()
        return path

    def point_latest(self, version: str) -> None:
        """Move ``latest`` atomically: a new symlink under a temporary name renamed over the old one."""
        tmp = self.root / f".latest.{uuid.uuid4().hex[:8]}.tmp"
        os.symlink(version, tmp)
        os.replace(tmp, self.root / LATEST)

    def sweep(self) -> list[str]:
        """Remove leftovers of killed publishes: ``.incoming-*`` folders, temp files, manifest-less versions."""
        removed = []
        if not self.root.exists():
            return removed
        for p in self.root.iterdir():
            partial = VERSION_RE.match(p.name) and p.is_dir() and not p.is_symlink() and not (p / MANIFEST).exists()
            if p.name.startswith((".incoming-", ".deleted-")) or partial:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
            elif p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
                removed.append(p.name)
        return removed

    def remove(self, version: str) -> None:
        """Delete a release: rename it to a dot-folder first so it disappears from ``versions()`` at once."""
        src = self.path(version)
        trash = self.root / f".deleted-{version}-{uuid.uuid4().hex[:6]}"
        os.replace(src, trash)
        shutil.rmtree(trash, ignore_errors=True)
