"""Stage a 法人番号 全件/差分 file: zip or CSV in, the staged Parquet of ``corporate_events`` out.

The staged table has the 30 official columns under their contract names, text exactly as in the file (empty
fields as NULL), plus ``_source_row`` (1-based record number). Lineage columns are added by the loader.

Speed: the CSV is streamed as UTF-8 to one temporary file (CP932 is transcoded on the way) and polars'
streaming CSV reader sinks it straight to Parquet, so the decoded text is never held in memory. Column counts
are checked without a second pass in the normal case: polars fails on long rows, and a short row leaves the
always-filled 検索対象除外 column NULL, which Parquet statistics reveal; only then is the file scanned record by
record to name the offending row.
"""

from __future__ import annotations

import csv
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow.parquet as pq

from registries.errors import SourceError
from registries.nta.decode import (
    CP932,
    copy_stream,
    detect_encoding,
    find_utf8_error,
    open_source,
    read_sample,
)
from schemas.corporate import OFFICIAL_COLUMN_NAMES

Kind = Literal["full", "diff", "api"]
N_COLUMNS = len(OFFICIAL_COLUMN_NAMES)  # 30
ROW_COLUMN = "_source_row"
CSV_SCHEMA: dict[str, pl.DataType] = {name: pl.String() for name in OFFICIAL_COLUMN_NAMES}

# 全件: {都道府県コード}_{ローマ字}_all_{YYYYMMDD}[_{一連番号}].zip (confirmed). 差分: the official name is
# UNCONFIRMED; Kiban's convention is diff_{YYYYMMDD}[_{n}].zip (also accepted: names containing "sabun" or
# "_diff_"). Anything else needs an explicit ``kind``.
_FULL_NAME = re.compile(r"^\d{2}_[a-z]+_all_\d{8}(_\d+)?\.(zip|csv)$", re.IGNORECASE)
_DIFF_NAME = re.compile(r"^(diff_\d{8}(_\d+)?|.*sabun.*|.*_diff_.*)\.(zip|csv)$", re.IGNORECASE)


@dataclass(frozen=True)
class StageResult:
    """What staging found: row count, detected encoding, CSV name inside the zip, and 全件/差分 from the name
    (``api`` for Web-API results; None when the name matches neither convention and no ``kind`` was given)."""

    rows: int
    encoding: str
    inner_name: str
    kind_hint: Kind | None


def kind_from_name(name: str) -> Kind | None:
    """``full`` for 全件 names (``00_zenkoku_all_20260130.zip``), ``diff`` for 差分 names, else None."""
    if _FULL_NAME.match(name):
        return "full"
    if _DIFF_NAME.match(name):
        return "diff"
    return None


def diff_file_name(day: str) -> str:
    """Kiban's name for the 差分 zip of one day (``YYYYMMDD``): ``diff_YYYYMMDD.zip`` (official name unconfirmed)."""
    if not re.fullmatch(r"\d{8}", day):
        raise ValueError(f"day must be YYYYMMDD, got {day!r}")
    return f"diff_{day}.zip"


def _tmp_next_to(target: Path, suffix: str) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}{suffix}")


def stage_corporate_file(
    path: Path, out_parquet: Path, *, kind: Kind | None = None, encoding: str | None = None,
) -> StageResult:
    """Stage one 全件/差分 zip (or bare CSV) as Parquet at ``out_parquet`` (written atomically).

    ``encoding`` declares the file's encoding (``utf-8`` / ``Shift_JIS``); None detects it. ``kind``
    overrides the 全件/差分 guess from the file name. Raises SourceError for file-level problems
    (``empty``, ``not_a_zip``, ``truncated_zip``, ``encoding``, ``column_count``, ``csv_parse``).
    """
    path = Path(path)
    out_parquet = Path(out_parquet)
    out_parquet.parent.mkdir(parents=True, exist_ok=True)
    kind_hint = kind or kind_from_name(path.name)
    tmp_csv = _tmp_next_to(out_parquet, ".csv")
    try:
        with open_source(path) as opened:
            if opened.inner_name == path.name and path.suffix.lower() != ".zip":
                sample = read_sample(opened.stream, opened.label)
                if not sample.strip():
                    raise SourceError(opened.label, "file has no data", rule="empty")
                enc = detect_encoding(sample, opened.label, encoding)
                if enc != CP932:  # a bare UTF-8 CSV is read in place
                    rows = stage_utf8_csv(path, out_parquet, opened.label)
                    return StageResult(rows, enc, opened.inner_name, kind_hint)
                opened.stream.seek(0)
            with tmp_csv.open("wb") as dest:
                enc, _ = copy_stream(opened, dest, encoding)
            inner = opened.inner_name
        rows = stage_utf8_csv(tmp_csv, out_parquet, path.name)
        return StageResult(rows, enc, inner, kind_hint)
    finally:
        tmp_csv.unlink(missing_ok=True)


def _staged_frame(csv_path: Path) -> pl.LazyFrame:
    lf = pl.scan_csv(
        csv_path, has_header=False, schema=CSV_SCHEMA, quote_char='"', encoding="utf8",
        row_index_name=ROW_COLUMN, row_index_offset=1, raise_if_empty=False,
    )
    text = [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in OFFICIAL_COLUMN_NAMES]
    return lf.select(*text, pl.col(ROW_COLUMN).cast(pl.Int64))


def stage_utf8_csv(csv_path: Path, out_parquet: Path, label: str) -> int:
    """Parse a headerless 30-column UTF-8 CSV into the staged Parquet; returns the row count."""
    tmp = _tmp_next_to(out_parquet, ".parquet")
    try:
        try:
            _staged_frame(csv_path).sink_parquet(tmp, compression="zstd", statistics=True)
        except pl.exceptions.PolarsError as exc:
            raise _explain(exc, csv_path, label) from None
        meta = pq.read_metadata(tmp)
        if meta.num_rows == 0:
            raise SourceError(label, "file has no records", rule="empty")
        if _null_count(meta, "hihyoji") > 0 and (err := find_column_count_error(csv_path, label)) is not None:
            raise err
        os.replace(tmp, out_parquet)
        return meta.num_rows
    finally:
        tmp.unlink(missing_ok=True)


def _null_count(meta: pq.FileMetaData, column: str) -> int:
    idx = meta.schema.names.index(column)
    total = 0
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(idx).statistics
        if stats is None or not stats.has_null_count:
            return meta.num_rows  # unknown: assume the worst, the caller scans
        total += stats.null_count
    return total


def _explain(exc: Exception, csv_path: Path, label: str) -> SourceError:
    msg = str(exc)
    if "utf-8" in msg.lower() or "utf8" in msg.lower():
        return find_utf8_error(csv_path, label) or SourceError(label, f"invalid UTF-8: {msg}", rule="encoding")
    if "more fields" in msg:
        return find_column_count_error(csv_path, label) or SourceError(
            label, f"a record has more than {N_COLUMNS} columns", rule="column_count")
    return SourceError(label, f"CSV cannot be parsed: {msg.splitlines()[0] if msg else type(exc).__name__}",
                       rule="csv_parse")


def find_column_count_error(csv_path: Path, label: str) -> SourceError | None:
    """Scan the CSV record by record; a SourceError for the first record without exactly 30 fields."""
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        for row_no, record in enumerate(csv.reader(fh, quotechar='"', doublequote=True, strict=False), start=1):
            if len(record) != N_COLUMNS and record:
                return SourceError(label, f"expected {N_COLUMNS} columns, found {len(record)}",
                                   rule="column_count", row=row_no, value=",".join(record)[:200])
    return None
