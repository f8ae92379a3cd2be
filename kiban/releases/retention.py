"""Retention of old releases (保持方針): keep the last N and the first release of each of the last M months.

The policy is stated in every manifest. Defaults come from ``KIBAN_RELEASE_KEEP_LAST`` (10) and
``KIBAN_RELEASE_KEEP_MONTHLY`` (24; 0 keeps no monthly releases, -1 keeps every month's first forever).
The release ``latest`` points at is never removed.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from kiban.releases.store import version_key


@dataclass(frozen=True)
class RetentionPolicy:
    keep_last: int = 10
    keep_monthly: int = 24

    @classmethod
    def from_env(cls) -> RetentionPolicy:
        return cls(int(os.environ.get("KIBAN_RELEASE_KEEP_LAST", "10")),
                   int(os.environ.get("KIBAN_RELEASE_KEEP_MONTHLY", "24")))

    def describe(self) -> dict[str, Any]:
        monthly = ("every month's first release, forever" if self.keep_monthly < 0
                   else f"the first release of each of the last {self.keep_monthly} months")
        return {**asdict(self),
                "statement": f"The last {self.keep_last} releases and {monthly} stay readable; "
                             "older releases are deleted when a new release is published. "
                             "Lake snapshots (time travel, change feed) have their own retention."}


def retained(versions: list[str], policy: RetentionPolicy, latest: str | None = None) -> list[str]:
    """The versions the policy keeps (pure: ``versions`` in any order)."""
    ordered = sorted(versions, key=version_key)
    keep = set(ordered[-policy.keep_last:]) if policy.keep_last > 0 else set()
    firsts: dict[str, str] = {}
    for v in ordered:
        firsts.setdefault(version_key(v)[0][:7], v)
    months = sorted(firsts)
    if policy.keep_monthly < 0:
        keep.update(firsts.values())
    elif policy.keep_monthly > 0:
        keep.update(firsts[m] for m in months[-policy.keep_monthly:])
    if latest:
        keep.add(latest)
    return [v for v in ordered if v in keep]


def expired(versions: list[str], policy: RetentionPolicy, latest: str | None = None) -> list[str]:
    keep = set(retained(versions, policy, latest))
    return [v for v in sorted(versions, key=version_key) if v not in keep]
