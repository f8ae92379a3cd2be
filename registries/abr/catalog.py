"""The ABR DCAT-US 1.1 catalog feed -> the list of downloadable ``.csv.zip`` resources.

Feed: ``https://dataset.address-br.digital.go.jp/api/feed/dcat-us/1.1.json``. Each ``dataset[]`` has
``distribution[]`` entries whose ``accessURL`` (or ``downloadURL``) ends in ``.csv.zip``; the dataset's last update
is only written inside ``description`` as ``最終更新日: 2025-09-30T15:41:43.000Z``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urlparse

from registries.abr.layout import FileName, parse_file_name

FEED_URL = "https://dataset.address-br.digital.go.jp/api/feed/dcat-us/1.1.json"
_UPDATED = re.compile(r"最終更新日\s*[:：]\s*(\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?)")


@dataclass(frozen=True)
class Resource:
    """One downloadable ABR file listed by the catalog."""

    url: str
    file_name: str
    name: FileName | None  # None when the file name does not follow the ABR pattern
    dataset_id: str | None
    dataset_title: str | None
    last_modified: datetime | None


def parse_updated(description: str | None) -> datetime | None:
    """``最終更新日: 2025-09-30T15:41:43.000Z`` inside a description -> aware datetime (UTC if no zone)."""
    if not description:
        return None
    m = _UPDATED.search(description)
    if m is None:
        return None
    value = datetime.fromisoformat(m.group(1).replace(" ", "T"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_catalog(data: bytes | str | dict) -> list[Resource]:
    """All ``.csv.zip`` distributions of the feed, in feed order, without duplicates (by URL)."""
    feed = data if isinstance(data, dict) else json.loads(data)
    if not isinstance(feed, dict) or not isinstance(feed.get("dataset"), list):
        raise ValueError("not a DCAT-US catalog: no dataset list")
    out: list[Resource] = []
    seen: set[str] = set()
    for ds in feed["dataset"]:
        updated = parse_updated(ds.get("description"))
        for dist in ds.get("distribution") or []:
            url = dist.get("accessURL") or dist.get("downloadURL") or ""
            if not urlparse(url).path.endswith(".csv.zip") or url in seen:
                continue
            seen.add(url)
            fname = PurePosixPath(urlparse(url).path).name
            out.append(Resource(
                url=url, file_name=fname, name=parse_file_name(fname), dataset_id=ds.get("identifier"),
                dataset_title=ds.get("title"), last_modified=updated,
            ))
    return out


def select(resources: list[Resource], *, types: set[str] | None = None, lg_codes: set[str] | None = None,
           ) -> list[Resource]:
    """Resources of the given file types (``town``, ``parcel``…) covering any of ``lg_codes`` (6 digits)."""
    out = []
    for r in resources:
        if r.name is None or (types is not None and r.name.type not in types):
            continue
        if lg_codes is not None and not any(r.name.covers(c) for c in lg_codes):
            continue
        out.append(r)
    return out
