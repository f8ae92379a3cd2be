"""Stage one ABR master file joined with its 位置参照拡張 (``_pos``) files -> Parquet (contract columns).

``stage_abr_file('mt_town_all.csv.zip', out)`` reads the master, joins the representative point from
``mt_town_pos_*.csv.zip`` files next to it whose scope overlaps (or from ``pos_paths``), normalises the points to
JGD2011 (EPSG:6668), fixes swapped lat/lon, and writes the contract's columns + ``_source_row``. Text columns are
staged as they appear; ``rep_lon``/``rep_lat`` are the normalised DOUBLEs and ``rep_lonlat_swapped`` a BOOLEAN.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from registries.abr.coords import normalise_points
from registries.abr.layout import DATASETS, KEYS, POS_COMMON, POS_EXTRA, FileName, parse_file_name
from registries.abr.parse import AbrFile, file_name, read_abr_file
from schemas.abr import ABR_CONTRACTS

_SCOPE_ORDER = {"city": 0, "pref": 1, "all": 2}


@dataclass(frozen=True)
class StageResult:
    """What staging one file produced: dataset, row count, swapped pairs fixed, rows per published rep_srid."""

    dataset: str
    rows: int
    swapped_fixed: int
    srid_counts: dict[str, int]
    pos_files: tuple[str, ...] = ()
    unknown_srid: dict[str, int] = field(default_factory=dict)


def sibling_pos_files(base: Path, name: FileName) -> list[Path]:
    """``_pos`` files of the same type in ``base``'s folder whose scope overlaps the master's."""
    found = []
    for p in sorted(base.parent.glob(f"mt_{name.type}_pos_*.csv.zip")):
        other = parse_file_name(p.name)
        if other is not None and other.pos and other.type == name.type and other.overlaps(name):
            found.append(p)
    return sorted(found, key=lambda p: _SCOPE_ORDER[file_name(p).scope])


def _pos_frame(files: list[AbrFile], type_: str) -> pl.DataFrame | None:
    if not files:
        return None
    keys = list(KEYS[type_])
    cols = keys + [c for c in (*POS_COMMON, *POS_EXTRA[type_]) if c not in keys]
    frames = [f.frame.select(cols) for f in files]
    # the same point published in two overlapping scopes (pref and all): keep the narrowest scope's row
    return pl.concat(frames).unique(subset=keys, keep="first", maintain_order=True)


def build_dataset(base: AbrFile, pos: Iterable[AbrFile] = ()) -> tuple[pl.DataFrame, int, dict[str, int],
                                                                      dict[str, int]]:
    """Join master + pos, normalise the points; returns (frame in contract order, swapped, srids, unknown)."""
    type_ = base.name.type
    contract = ABR_CONTRACTS[DATASETS[type_]]
    pos_frame = _pos_frame(list(pos), type_)
    frame = base.frame
    pos_cols = [*POS_COMMON, *POS_EXTRA[type_]]
    if pos_frame is None:
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in pos_cols])
    else:
        frame = frame.join(pos_frame, on=list(KEYS[type_]), how="left", maintain_order="left")

    lon = frame["rep_lon"].cast(pl.Float64, strict=False).to_numpy()
    lat = frame["rep_lat"].cast(pl.Float64, strict=False).to_numpy()
    points = normalise_points(lon, lat, frame["rep_srid"].to_list())
    frame = frame.with_columns(
        pl.Series("rep_lon", points.lon, dtype=pl.Float64).fill_nan(None),
        pl.Series("rep_lat", points.lat, dtype=pl.Float64).fill_nan(None),
        pl.Series("rep_lonlat_swapped", points.swapped, dtype=pl.Boolean),
    )
    out = frame.select([*contract.column_names, "_source_row"])
    return out, int(points.swapped.sum()), points.srid_counts, points.unknown_srid


def _write_atomic(frame: pl.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, out)


def stage_abr_file(path: str | Path, out_parquet: str | Path, *,
                   pos_paths: Iterable[str | Path] | None = None) -> StageResult:
    """Stage the ABR master file ``path`` (not a ``_pos`` file) to ``out_parquet``.

    ``pos_paths`` defaults to the overlapping ``_pos`` files found next to ``path``.
    """
    path = Path(path)
    name = file_name(path)
    if name.pos:
        raise ValueError(f"{path.name} is a 位置参照拡張 file: stage its master file; pos files are joined to it")
    base = read_abr_file(path)
    pos_list = [Path(p) for p in pos_paths] if pos_paths is not None else sibling_pos_files(path, name)
    pos_files = [read_abr_file(p) for p in pos_list]
    for p in pos_files:
        if not p.name.pos or p.name.type != name.type:
            raise ValueError(f"{p.name.name} is not a mt_{name.type}_pos file")
    frame, swapped, srids, unknown = build_dataset(base, pos_files)
    _write_atomic(frame, Path(out_parquet))
    dataset = DATASETS[name.type]
    return StageResult(dataset=dataset, rows=frame.height, swapped_fixed=swapped, srid_counts=srids,
                       pos_files=tuple(p.name for p in pos_list), unknown_srid=unknown)
