"""ABR file names (``mt_{type}[_pos]_{all|prefNN|cityNNNNNN}.csv.zip``) and, from the contract module
``schemas.abr``, the published header of each file type, its dataset and keys.

Each zip holds one UTF-8 CSV named like the zip without ``.zip``, with a header row of snake_case column names
(see docs/formats/base-registries.md §3.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# the published layouts belong to the contract module; parsing and staging read them from here
from schemas.abr import ABR_CONTRACTS, DATASETS, HEADERS, OPTIONAL, POS_COMMON, POS_EXTRA

__all__ = ["DATASETS", "HEADERS", "KEYS", "OPTIONAL", "POS_COMMON", "POS_EXTRA", "FileName", "parse_file_name"]

_NAME = re.compile(
    r"^mt_(?P<type>pref|city|town|rsdtdsp_blk|rsdtdsp_rsdt|parcel)(?P<pos>_pos)?"
    r"_(?P<scope>all|pref(?P<pref>\d{2})|city(?P<city>\d{6}))\.csv(?:\.zip)?$"
)

#: file type -> the key columns of its dataset (the contract's primary key)
KEYS: dict[str, tuple[str, ...]] = {t: ABR_CONTRACTS[d].primary_key for t, d in DATASETS.items()}


@dataclass(frozen=True)
class FileName:
    """A parsed ABR file name: ``mt_parcel_pos_city131016.csv.zip`` -> type parcel, pos, scope city/131016."""

    name: str
    type: str
    pos: bool
    scope: str  # all | pref | city
    code: str | None  # 2-digit 都道府県コード or 6-digit 団体コード

    @property
    def layout(self) -> str:
        return f"{self.type}_pos" if self.pos else self.type

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".zip")

    def covers(self, lg_code: str) -> bool:
        """Whether a row of ``lg_code`` can appear in this file's scope."""
        if self.scope == "all":
            return True
        if self.scope == "pref":
            return lg_code[:2] == self.code
        return lg_code == self.code

    def overlaps(self, other: FileName) -> bool:
        """Whether two scopes can hold rows of the same 団体 (used to pair a base file with its _pos files)."""
        if "all" in (self.scope, other.scope):
            return True
        return (self.code or "")[:2] == (other.code or "")[:2] and (
            self.scope == "pref" or other.scope == "pref" or self.code == other.code
        )


def parse_file_name(name: str) -> FileName | None:
    """Parse a published ABR file name; None when it does not follow the pattern."""
    m = _NAME.match(name)
    if m is None:
        return None
    scope = m.group("scope")
    kind = "all" if scope == "all" else ("pref" if m.group("pref") else "city")
    return FileName(name=name, type=m.group("type"), pos=bool(m.group("pos")), scope=kind,
                    code=m.group("pref") or m.group("city"))
