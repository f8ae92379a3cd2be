"""ABR sets: the load unit of the ABR (one master file with the 位置参照拡張 ``_pos`` files that overlap it).

The parser joins the representative point onto the master, so a master travels with its ``_pos`` files as a
deterministic zip of the files exactly as published (``mt_town_all.set.zip``: members stored, sorted, fixed
timestamps): the same files always give the same sha256, and a set whose files did not change is recognised as a
duplicate before parsing. Used by fetching (:mod:`registries.abr.fetch`) and staging (:mod:`registries.abr.load`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from registries.abr.layout import DATASETS, FileName, parse_file_name
from registries.abr.stage import sibling_pos_files

SET_SUFFIX = ".set.zip"
#: wider scopes first: a narrower slice loaded later wins
SCOPE_ORDER = {"all": 0, "pref": 1, "city": 2}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class AbrSet:
    """One master file and its overlapping ``_pos`` files (all in one folder)."""

    master: Path
    pos: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.master.name.removesuffix(".zip").removesuffix(".csv") + SET_SUFFIX


def abr_name(path: Path) -> FileName | None:
    """The parsed ABR file name (``mt_town_pos_pref13.csv.zip``), None for any other name."""
    return parse_file_name(path.name)


def load_order(name: str) -> tuple:
    """Sort key for loading: by dataset, wider scope first (a set, a master file or any other name)."""
    parsed = parse_file_name(name.removesuffix(SET_SUFFIX) + ".csv.zip") or parse_file_name(name)
    if parsed is None:
        return ("~", 0, name)
    return (DATASETS[parsed.type], SCOPE_ORDER[parsed.scope], name)


def build_sets(files: Iterable[Path]) -> list[AbrSet]:
    """Group ABR files into sets: each master with the ``_pos`` files next to it that overlap its scope.

    A ``_pos`` file given without its master pulls in the masters beside it that it overlaps. Files whose
    names are not ABR names are ignored.
    """
    masters: set[Path] = set()
    for f in files:
        name = abr_name(f)
        if name is None:
            continue
        if not name.pos:
            masters.add(f.absolute())  # not resolve(): a link keeps its published name
            continue
        for other in f.parent.glob(f"mt_{name.type}_*.csv.zip"):
            o = abr_name(other)
            if o is not None and not o.pos and o.overlaps(name):
                masters.add(other.absolute())
    out = [AbrSet(m, tuple(sibling_pos_files(m, abr_name(m)))) for m in masters]  # type: ignore[arg-type]
    return sorted(out, key=lambda s: load_order(s.master.name))


def write_set(abr_set: AbrSet, dest_dir: Path) -> Path:
    """The set as a deterministic zip (stored members, sorted, fixed timestamps) in ``dest_dir``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / abr_set.name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for member in sorted((abr_set.master, *abr_set.pos), key=lambda p: p.name):
            info = zipfile.ZipInfo(member.name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.read_bytes())
    return target
