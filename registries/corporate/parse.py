"""Stage a 法人番号 全件/差分 file: zip or CSV in, the staged Parquet of ``corporate_events`` out.

The staged file is written once, already in the *stored* layout, so a valid file can become lake data as it is:

* the 30 official columns under their contract names and types: text as in the file (empty fields NULL);
  一連番号 as BIGINT and the four dates as DATE wherever the text is the canonical rendering of that value;
* ``_text_<column>``: the text as received -- always for the dates, and for 一連番号 where it is not the
  canonical rendering of the number (the typed column is NULL wherever the text is not canonical) -- and
  ``_noncanonical`` (TRUE on such rows, else NULL), so the text of every field is kept exactly;
* ``_source_row`` (1-based record number) and any constant or derived columns the caller adds (lineage);
* ``_text_suspect``: TRUE on rows where a free-text field (商号, 所在地, ...) holds a byte below 0x20 other than
  tab/LF/CR, DEL, or more than 1,000 bytes -- a cheap superset of the rows the text rules can fail on, so
  validation runs their regular expression on those rows only (``quality.rules.Rule.prefilter``).

:func:`text_view_sql` reads the file back as the received text: that is
what the Great Expectations suite validates, so the checks see the file exactly as published.

Speed: a UTF-8 zip member compressed with deflate (what the NTA publishes) is not decompressed by Python at
all: its raw deflate stream is copied behind a gzip header (0.3 s for the whole country) and polars' streaming
CSV reader decompresses (checking the CRC), parses and sinks it to Parquet in one parallel pass. Other members
(CP932, a BOM, stored) are transcoded to a temporary UTF-8 file first. Column counts are checked without a
second pass in the normal case: polars fails on long rows, and a short row leaves the always-filled 検索対象除外
column NULL, which Parquet statistics reveal; only then is the file scanned record by record to name the row.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import struct
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl
import pyarrow.parquet as pq

from quality.rules import CONTROL_CODE_POINTS
from registries.corporate.decode import (
    CP932,
    UTF8,
    detect_encoding,
    find_utf8_error,
    open_source,
    read_sample,
    transcode_member,
)
from registries.errors import SourceError
from schemas.corporate import FREE_TEXT_FIELDS, FREE_TEXT_MAX_CHARS, OFFICIAL_COLUMN_NAMES, OFFICIAL_COLUMNS

Kind = Literal["full", "diff", "api"]
N_COLUMNS = len(OFFICIAL_COLUMN_NAMES)  # 30
ROW_COLUMN = "_source_row"
CSV_SCHEMA: dict[str, pl.DataType] = {name: pl.String() for name in OFFICIAL_COLUMN_NAMES}
TEXT_PREFIX = "_text_"
NONCANONICAL = "_noncanonical"
#: The text rules' staging prefilter (see the module docstring).
SUSPECT_TEXT = "_text_suspect"
ISO_DATE = "%Y-%m-%d"
#: The official columns stored with a type other than text (一連番号 and the four dates).
TYPED_COLUMNS: dict[str, str] = {c.name: c.type for c in OFFICIAL_COLUMNS if c.type != "string"}
#: The canonical text of a typed value: the only text a typed column is stored from as it is.
_CANONICAL = {"date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "int64": r"^(0|-?[1-9][0-9]{0,18})$"}

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
    extra_columns: Sequence[pl.Expr] = (),
) -> StageResult:
    """Stage one 全件/差分 zip (or bare CSV) as Parquet at ``out_parquet`` (written atomically).

    ``encoding`` declares the file's encoding (``utf-8`` / ``Shift_JIS``); None detects it. ``kind``
    overrides the 全件/差分 guess from the file name. ``extra_columns`` (polars expressions over the typed
    columns, e.g. lineage literals) are appended. Raises SourceError for file-level problems
    (``empty``, ``not_a_zip``, ``truncated_zip``, ``encoding``, ``column_count``, ``csv_parse``).
    """
    path = Path(path)
    out_parquet = Path(out_parquet)
    out_parquet.parent.mkdir(parents=True, exist_ok=True)
    kind_hint = kind or kind_from_name(path.name)
    tmp_csv = _tmp_next_to(out_parquet, ".csv")
    tmp_gz = _tmp_next_to(out_parquet, ".csv.gz")
    try:
        with open_source(path) as opened:
            sample = read_sample(opened.stream, opened.label)
            if not sample.strip():
                raise SourceError(opened.label, f"{opened.inner_name} has no data", rule="empty")
            enc = detect_encoding(sample, opened.label, encoding)
            inner = opened.inner_name
            if opened.member is None and enc != CP932:  # a bare UTF-8 CSV is read in place
                source = path
            elif opened.member is not None and enc == UTF8 and _deflate_member_as_gzip(path, opened.member, tmp_gz):
                source = tmp_gz
            else:
                with tmp_csv.open("wb") as dest:
                    transcode_member(opened, dest, enc, sample)
                source = tmp_csv
        rows = stage_utf8_csv(source, out_parquet, path.name, extra_columns)
        return StageResult(rows, enc, inner, kind_hint)
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_gz.unlink(missing_ok=True)


def _deflate_member_as_gzip(zip_path: Path, info: zipfile.ZipInfo, dest: Path) -> bool:
    """Write a deflated zip member as a gzip file without decompressing it; False if it is not plain deflate.

    A zip member's data is a raw deflate stream, and a gzip file is a 10-byte header, that same stream, then the
    CRC-32 and the size mod 2^32 -- both in the zip directory. The reader checks the CRC at the end.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:  # other method, or encrypted
        return False
    with zip_path.open("rb") as src:
        src.seek(info.header_offset)
        header = src.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return False
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        src.seek(info.header_offset + 30 + name_len + extra_len)
        with dest.open("wb") as out:
            out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
            _copy_exactly(src, out, info.compress_size)
            out.write(struct.pack("<II", info.CRC, info.file_size & 0xFFFFFFFF))
    return True


def _copy_exactly(src: BinaryIO, dest: BinaryIO, size: int) -> None:
    left = size
    while left:
        chunk = src.read(min(left, 8 << 20))
        if not chunk:
            break  # a short member: the reader reports the truncated stream
        dest.write(chunk)
        left -= len(chunk)


def _text_frame(csv_path: Path) -> pl.LazyFrame:
    # empty fields, quoted ("") or not, are NULL (null_values="" applies after unquoting)
    lf = pl.scan_csv(
        csv_path, has_header=False, schema=CSV_SCHEMA, quote_char='"', encoding="utf8", null_values="",
        row_index_name=ROW_COLUMN, row_index_offset=1, raise_if_empty=False,
    )
    return lf.select(*OFFICIAL_COLUMN_NAMES, pl.col(ROW_COLUMN).cast(pl.Int64))


def _stored_columns() -> list[pl.Expr]:
    """The official columns typed (canonical text only), the received text of each typed column, and a flag
    for rows where some typed column could not take its text as it is."""
    exprs: list[pl.Expr] = []
    noncanonical: list[pl.Expr] = []
    for name in OFFICIAL_COLUMN_NAMES:
        text = pl.col(name)
        kind = TYPED_COLUMNS.get(name)
        if kind is None:
            exprs.append(text)
            continue
        if kind not in _CANONICAL:  # pragma: no cover - the contract has no other typed official column
            raise ValueError(f"no stored form for {kind}")
        typed = text.str.to_date(ISO_DATE, strict=False) if kind == "date" else text.cast(pl.Int64, strict=False)
        # canonical: the text is exactly how the value is written (polars alone would accept 2024-1-5, +7, ...)
        canonical = (text.str.contains(_CANONICAL[kind]) & typed.is_not_null()).fill_null(False)
        exprs.append(pl.when(canonical).then(typed).alias(name))
        # dates: the text always (a few thousand distinct values: nearly free in Parquet, and validation reads
        # it directly); 一連番号: only where it is not canonical (elsewhere the number renders back exactly)
        keep = text if kind == "date" else pl.when(canonical.not_()).then(text)
        exprs.append(keep.alias(TEXT_PREFIX + name))
        noncanonical.append(text.is_not_null() & canonical.not_())
    exprs.append(pl.when(pl.any_horizontal(noncanonical)).then(pl.lit(True)).alias(NONCANONICAL))
    exprs.append(suspect_text())
    return exprs


def suspect_text() -> pl.Expr:
    """TRUE where some free-text field may break the text rules, else NULL: it holds one of the control characters
    (``quality.rules.CONTROL_CODE_POINTS``, one Aho-Corasick pass per field) or more bytes than the rule allows
    characters (a character is at least one byte). A superset: the rules decide on the rows it marks."""
    controls = [chr(c) for c in CONTROL_CODE_POINTS]
    tests = [pl.col(c).str.contains_any(controls) | (pl.col(c).str.len_bytes() > FREE_TEXT_MAX_CHARS)
             for c in FREE_TEXT_FIELDS]
    return pl.when(pl.any_horizontal(tests)).then(pl.lit(True)).alias(SUSPECT_TEXT)


def text_view_sql(source: str, keep: Sequence[str] = (), *, typed_dates: bool = False,
                  typed_numbers: bool = False) -> str:
    """SELECT over a staged file (``source``: a relation, e.g. ``read_parquet('x.parquet')``) giving the 30
    columns as the received text, then ``_source_row`` and ``_text_suspect`` -- what the validation suite checks
    -- then the staged columns named in ``keep`` (e.g. lineage) as they are.

    ``typed_dates``: the four dates as their DATE column instead of their text. Only for a file without
    non-canonical text (:func:`has_noncanonical_text` False): there every date's text is exactly the
    ``YYYY-MM-DD`` rendering of its DATE value (or both are NULL), so the checks answer the same on either, and on
    DATE they skip parsing the text (``quality.ge_duckdb.typed_iso_date``).

    ``typed_numbers``: likewise 一連番号 as its BIGINT column (same condition: every text of the file is the
    canonical rendering of its number); the castable check then folds away. The checks' verdicts are the same, but
    a failing check's reported value would be the number, not the text: run failing checks again over the text
    view for their samples (``quality.runner.validate(..., detail_view=...)``)."""
    parts = []
    for name in OFFICIAL_COLUMN_NAMES:
        kind = TYPED_COLUMNS.get(name)
        if kind == "date" and typed_dates:
            parts.append(name)
        elif kind == "date":
            parts.append(f"{TEXT_PREFIX}{name} AS {name}")
        elif kind == "int64" and typed_numbers:
            parts.append(name)
        elif kind == "int64":
            parts.append(f"coalesce({TEXT_PREFIX}{name}, CAST({name} AS VARCHAR)) AS {name}")
        else:
            parts.append(name)
    return f"SELECT {', '.join([*parts, ROW_COLUMN, SUSPECT_TEXT, *keep])} FROM {source}"


def has_noncanonical_text(parquet: Path) -> bool:
    """True when some typed field holds text that is not the canonical rendering of its value (一連番号 ``007``,
    or text that is no value at all): the typed columns alone do not reproduce the file, so the loader stores
    it through SQL casts instead of adopting the file as it is."""
    meta = pq.read_metadata(parquet)
    return _null_count(meta, NONCANONICAL) < meta.num_rows


def stage_utf8_csv(csv_path: Path, out_parquet: Path, label: str, extra_columns: Sequence[pl.Expr] = ()) -> int:
    """Parse a headerless 30-column UTF-8 CSV (or a gzip of one) into the staged Parquet; returns the rows."""
    tmp = _tmp_next_to(out_parquet, ".parquet")
    try:
        frame = _text_frame(csv_path).select(*_stored_columns(), pl.col(ROW_COLUMN))
        if extra_columns:
            frame = frame.with_columns(*extra_columns)
        try:
            frame.sink_parquet(tmp, compression="zstd", statistics=True)
        except pl.exceptions.PolarsError as exc:
            raise _explain(exc, csv_path, label) from None
        except OSError as exc:  # the gzip reader: corrupt deflate data, CRC mismatch, unexpected end
            raise SourceError(label, f"zip member is truncated or corrupt ({exc}); re-download it",
                              rule="truncated_zip") from None
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
        return find_utf8_error(csv_path, label, opener=open_csv_bytes) or SourceError(label, f"invalid UTF-8: {msg}", rule="encoding")
    if "more fields" in msg:
        return find_column_count_error(csv_path, label) or SourceError(
            label, f"a record has more than {N_COLUMNS} columns", rule="column_count")
    return SourceError(label, f"CSV cannot be parsed: {msg.splitlines()[0] if msg else type(exc).__name__}",
                       rule="csv_parse")


def open_csv_bytes(csv_path: Path) -> BinaryIO:
    """The CSV's bytes, decompressed when staging reads a gzip (``.gz``)."""
    return gzip.open(csv_path, "rb") if csv_path.suffix == ".gz" else csv_path.open("rb")  # type: ignore[return-value]


def find_column_count_error(csv_path: Path, label: str) -> SourceError | None:
    """Scan the CSV record by record; a SourceError for the first record without exactly 30 fields."""
    row_no = 0
    with io.TextIOWrapper(open_csv_bytes(csv_path), encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, quotechar='"', doublequote=True, strict=False)
        try:
            for row_no, record in enumerate(reader, start=1):
                if len(record) != N_COLUMNS and record:
                    return SourceError(label, f"expected {N_COLUMNS} columns, found {len(record)}",
                                       rule="column_count", row=row_no, value=",".join(record)[:200])
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
            return SourceError(label, f"record {row_no + 1} cannot be read: {exc}", rule="csv_parse", row=row_no + 1)
    return None
