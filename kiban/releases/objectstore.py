"""Releases on S3-compatible object storage (the cluster profile; ``KIBAN_RELEASES=s3://bucket/prefix/``).

Layout under the prefix, the same as the local folder::

    <prefix><version>/...           one immutable release: every file of the local release folder
    <prefix><version>/manifest.json written last, with ``If-None-Match: *``: a version is published once
    <prefix>latest.json             the pointer {"version": ...}, replaced only with ``If-Match: <its ETag>``

Visibility: a publish uploads the release's files, then its manifest (a prefix without a manifest is not a
release, as locally), then moves the pointer with a conditional put. Two publishers racing for the pointer
cannot both win: the loser re-reads it and moves it only if its own version is newer. A reader resolves the
pointer once and reads that version's immutable objects, so it sees the old or the new release, never a mix.
Spark, Trino or any S3 client read ``<prefix><version>/<dataset>/`` (Parquet, Hive-style ``part_*`` folders).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiban.lakeconfig import S3Settings, split_s3
from kiban.releases.manifest import Mismatch
from kiban.releases.store import MANIFEST, VERSION_RE, ReleaseNotFound, version_key

RELEASES_ENV = "KIBAN_RELEASES"
POINTER = "latest.json"
_CHUNK = 1 << 20


class ReleaseExists(RuntimeError):
    """The version is already published in the object store (manifests are written once)."""


def _status(exc: Exception) -> int | None:
    return getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")


@dataclass
class ObjectReleaseStore:
    """The releases under ``s3://bucket/prefix/``."""

    bucket: str
    prefix: str
    client: Any

    @classmethod
    def from_url(cls, url: str, settings: S3Settings | None = None) -> ObjectReleaseStore:
        bucket, prefix = split_s3(url)
        return cls(bucket, prefix, (settings or S3Settings.from_env()).client())

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    # -- reading -----------------------------------------------------------------------------------------------
    def _get(self, key: str) -> tuple[bytes, str] | None:
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        return got["Body"].read(), got["ETag"]

    def pointer(self) -> tuple[str | None, str | None]:
        """``(version, etag)`` of the ``latest`` pointer (``(None, None)`` before the first publish)."""
        got = self._get(self.key(POINTER))
        if got is None:
            return None, None
        return json.loads(got[0])["version"], got[1]

    def latest(self) -> str | None:
        return self.pointer()[0]

    def manifest(self, version: str) -> dict[str, Any]:
        if version == "latest":
            version = self.latest() or ""
        if not VERSION_RE.match(version):
            raise ReleaseNotFound(f"no release {version or 'latest'!r} under {self.url}")
        got = self._get(self.key(version, MANIFEST))
        if got is None:
            raise ReleaseNotFound(f"no release {version!r} under {self.url}")
        return json.loads(got[0])

    def _list(self, prefix: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            out += page.get("Contents", [])
        return out

    def versions(self) -> list[str]:
        """Complete releases (with a manifest), oldest first."""
        found = set()
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix,
                                                                      Delimiter="/")
        for page in pages:
            for p in page.get("CommonPrefixes", []):
                name = p["Prefix"][len(self.prefix):].rstrip("/")
                if VERSION_RE.match(name):
                    found.add(name)
        complete = [v for v in found if self._exists(self.key(v, MANIFEST))]
        return sorted(complete, key=version_key)

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except Exception as e:  # noqa: BLE001 - botocore's ClientError: 404 means absent
            if _status(e) == 404:
                return False
            raise

    # -- writing -----------------------------------------------------------------------------------------------
    def upload(self, root: Path, manifest: dict[str, Any], *,
               progress: Callable[[str], None] = lambda s: None) -> str:
        """Upload the local release folder ``root`` (files first, manifest last), then move the pointer."""
        version = manifest["version"]
        if self._exists(self.key(version, MANIFEST)):
            raise ReleaseExists(f"release {version} is already published under {self.url}")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)
        for path in files:
            self.client.upload_file(str(path), self.bucket, self.key(version, path.relative_to(root).as_posix()))
        progress(f"uploaded {len(files)} files")
        body = (root / MANIFEST).read_bytes()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key(version, MANIFEST), Body=body,
                                   IfNoneMatch="*", ContentType="application/json")
        except Exception as e:  # noqa: BLE001 - 412: another publisher wrote this version's manifest first
            if _status(e) == 412:
                raise ReleaseExists(f"release {version} was published under {self.url} meanwhile") from e
            raise
        progress("manifest")
        self.point_latest(version)
        progress("latest")
        return self.url + version + "/"

    def point_latest(self, version: str, attempts: int = 20) -> bool:
        """Move the pointer to ``version`` unless it already names a newer one; a conditional put on its ETag
        (``If-None-Match: *`` when there is none yet), re-read and retried when another writer moved it."""
        body = json.dumps({"version": version, "manifest": f"{version}/{MANIFEST}"}).encode()
        for _ in range(attempts):
            current, etag = self.pointer()
            if current is not None and version_key(current) >= version_key(version):
                return current == version
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self.client.put_object(Bucket=self.bucket, Key=self.key(POINTER), Body=body,
                                       ContentType="application/json", **condition)
                return True
            except Exception as e:  # noqa: BLE001 - 412 (or 409): the pointer moved under us; look again
                if _status(e) not in (409, 412):
                    raise
        raise RuntimeError(f"could not move {self.url}{POINTER} after {attempts} attempts")

    def remove(self, version: str) -> None:
        """Delete a release: its manifest first (it stops being a release at once), then its other objects."""
        version_key(version)
        if self.latest() == version:
            raise ValueError(f"release {version} is the latest; it is never removed")
        self.client.delete_object(Bucket=self.bucket, Key=self.key(version, MANIFEST))
        keys = [o["Key"] for o in self._list(self.key(version) + "/")]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})

    # -- verifying ---------------------------------------------------------------------------------------------
    def _digest(self, key: str) -> tuple[str, int] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        h, size = hashlib.sha256(), 0
        for chunk in body.iter_chunks(_CHUNK):
            h.update(chunk)
            size += len(chunk)
        return h.hexdigest(), size

    def verify(self, manifest: dict[str, Any]) -> list[Mismatch]:
        """Recompute sha256 and size of every object the manifest lists; report Parquet objects it does not."""
        version = manifest["version"]
        out: list[Mismatch] = []
        listed = set()
        for entry in manifest["files"]:
            listed.add(entry["path"])
            got = self._digest(self.key(version, entry["path"]))
            if got is None:
                out.append(Mismatch(entry["path"], "missing"))
            elif got[1] != entry["bytes"]:
                out.append(Mismatch(entry["path"], "bytes"))
            elif got[0] != entry["sha256"]:
                out.append(Mismatch(entry["path"], "sha256"))
        base = self.key(version) + "/"
        for obj in self._list(base):
            rel = obj["Key"][len(base):]
            if rel.endswith(".parquet") and rel not in listed:
                out.append(Mismatch(rel, "unlisted"))
        return out


def configured(env: dict[str, str] | None = None) -> ObjectReleaseStore | None:
    """The object store of ``KIBAN_RELEASES`` (``s3://bucket/prefix/``), or None (releases stay local only)."""
    url = ((os.environ if env is None else env).get(RELEASES_ENV) or "").strip()
    if not url:
        return None
    if not url.startswith("s3://"):
        raise ValueError(f"{RELEASES_ENV} must be an s3:// URL (unset: releases stay under KIBAN_HOME/releases)")
    return ObjectReleaseStore.from_url(url, S3Settings.from_env(env))
