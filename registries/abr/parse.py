"""Read one published ABR file (``mt_*.csv.zip``) into a text frame, checking zip layout, encoding and header.

Every column is read as text as it appears in the file; unquoted and quoted empty fields both become NULL,
except key columns, which keep ``''`` (``rsdt2_id`` is empty for most 住居). ``_source_row`` is the 1-based
record number. Columns are matched by header name, so column order does not matter; a missing or unknown column
raises :class:`SourceError` (``rule='unexpected_header'``) naming them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from registries.abr.layout import HEADERS, KEYS, OPTIONAL, FileName, parse_file_name
from registries.errors import SourceError
from registries.zipguard import check_zip

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class AbrFile:
    """A parsed ABR file: its name parts and the rows (all text) with ``_source_row``."""

    name: FileName
    frame: pl.DataFrame
    had_bom: bool


def file_name(path: str | Path) -> FileName:
    """Parse the published name or raise ``SourceError(rule='unknown_file')``."""
    name = Path(path).name
    parsed = parse_file_name(name)
    if parsed is None:
        raise SourceError(name, "not an ABR file name (mt_{type}[_pos]_{all|prefNN|cityNNNNNN}.csv.zip)",
                          rule="unknown_file")
    return parsed


def read_csv_bytes(path: str | Path) -> bytes:
    """The CSV inside an ABR zip (exactly one ``*.csv`` member); a plain ``.csv`` is read as is."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() == ".csv":
        return data
    if not data:
        raise SourceError(path.name, "empty file", rule="empty")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [i for i in check_zip(zf, path.name)
                       if i.filename.lower().endswith(".csv") and not i.is_dir()]
            if len(members) != 1:
                raise SourceError(path.name, f"expected one CSV in the zip, found {[i.filename for i in members]}",
                                  rule="zip_layout")
            return zf.read(members[0])
    except zipfile.BadZipFile as exc:
        rule = "truncated_zip" if data[:4] == b"PK\x03\x04" else "not_a_zip"
        raise SourceError(path.name, f"cannot open zip: {exc}", rule=rule) from exc
    except (EOFError, zipfile.LargeZipFile, OSError) as exc:  # member data cut short
        raise SourceError(path.name, f"cannot read zip member: {exc}", rule="truncated_zip") from exc


def check_header(file: str, layout: str, header: list[str]) -> None:
    """Raise ``unexpected_header`` naming missing and extra columns (optional columns may be absent)."""
    expected = set(HEADERS[layout])
    optional = OPTIONAL.get(layout, frozenset())
    got = set(header)
    missing = sorted(expected - got)
    extra = sorted(got - expected - optional)
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if missing or extra or duplicated:
        parts = [f"missing {missing}" if missing else "", f"extra {extra}" if extra else "",
                 f"duplicated {duplicated}" if duplicated else ""]
        raise SourceError(file, f"unexpected header for mt_{layout}: " + "; ".join(p for p in parts if p),
                          rule="unexpected_header", row=1)


def read_abr_file(path: str | Path) -> AbrFile:
    """Read and check one ABR file; returns all columns of its layout (absent optional ones as NULL)."""
    path = Path(path)
    name = file_name(path)
    raw = read_csv_bytes(path)
    had_bom = raw.startswith(BOM)
    if had_bom:
        raw = raw[len(BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path.name, f"not UTF-8: {exc}", rule="encoding") from exc
    if not text.strip():
        raise SourceError(path.name, "the CSV is empty (no header)", rule="empty")
    header = [h.strip() for h in text.splitlines()[0].split(",")]
    check_header(path.name, name.layout, [h.strip('"') for h in header])
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError as exc:
        raise _malformed(path.name, text, len(header)) from exc
    frame = frame.rename({c: c.strip() for c in frame.columns})
    keys = set(KEYS[name.type])
    exprs = []
    for col in HEADERS[name.layout] + tuple(sorted(OPTIONAL.get(name.layout, ()))):
        if col not in frame.columns:
            exprs.append(pl.lit(None, dtype=pl.String).alias(col))
        elif col in keys:
            exprs.append(pl.col(col).fill_null(""))
        else:
            exprs.append(pl.when(pl.col(col) == "").then(None).otherwise(pl.col(col)).alias(col))
    frame = frame.select(exprs).with_row_index("_source_row", offset=1)
    frame = frame.with_columns(pl.col("_source_row").cast(pl.Int64))
    return AbrFile(name=name, frame=frame, had_bom=had_bom)


def _malformed(file: str, text: str, width: int) -> SourceError:
    """One line naming the first row whose field count differs from the header's (polars' own message spans
    several lines and names no row)."""
    import csv

    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if number > 1 and row and len(row) != width:
                return SourceError(file, f"malformed CSV: row {number} has {len(row)} fields, the header {width}",
                                   rule="column_count", row=number)
    except csv.Error as exc:
        return SourceError(file, f"malformed CSV: {exc}", rule="csv_parse")
    return SourceError(file, "malformed CSV: the rows do not match the header", rule="column_count")
