"""Stage 法務省 地図XML inputs: one row per 筆 in the ``parcels`` contract columns plus ``_source_row``.

Entry point: :func:`stage_moj_file` (input as published -> GeoParquet staging file + :class:`StageResult`).
:func:`iter_parcel_batches` yields the same rows as Arrow record batches for callers that write elsewhere.

Row handling:

* ``地番`` containing 地区外 or 別図 marks a non-parcel feature: excluded and counted
  (``excluded_outside`` / ``excluded_betsuzu``).
* 任意座標系 files: rows kept with ``is_arbitrary_crs = true``, ``geometry`` NULL and the plane polygon in
  ``local_geometry``; counted in ``arbitrary``.
* A 筆 whose 形状 / GM_Curve / GM_Point idref points at nothing, or whose ring is degenerate, is left out and
  reported as a :class:`RowIssue` (rule ``dangling_idref`` / ``degenerate_ring``); the rest of the file loads.
* File-level problems raise :class:`~registries.errors.SourceError`: ``xml_illegal_character`` (a character
  not allowed in XML, e.g. U+000B, with the line), ``xml_malformed``, ``unknown_crs`` / ``unknown_datum``
  (see :mod:`registries.moj_map.crs`), ``bad_city_code``, ``bad_coordinate``, ``not_a_zip``,
  ``truncated_zip``, ``empty``. Nothing is written when one is raised.
* ``_source_row`` is the 1-based index of the 筆 in its XML file (all 筆 counted, excluded ones too);
  ``source_file`` names the file (``outer.zip!inner.zip!name.xml``).

Datum: see :mod:`registries.moj_map.crs` and docs/adr/0003-moj-map-datum.md (公共座標 read as JGD2011).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq
from lxml import etree

from registries.errors import SourceError
from registries.moj_map import crs as crs_mod
from registries.moj_map import geometry as geo
from registries.moj_map.geoparquet import geo_metadata
from registries.moj_map.xmlstream import BadCoordinate, Document, FudeRecord, read_document
from registries.moj_map.zipwalk import iter_xml
from registries.municipalities.codes import with_check_digit
from schemas.moj_map import PARCELS

BATCH_ROWS = 4096
OUTSIDE, BETSUZU = "地区外", "別図"
_ATTR_COLUMNS = {
    "oaza_code": "大字コード", "chome_code": "丁目コード", "koaza_code": "小字コード", "yobi_code": "予備コード",
    "oaza_name": "大字名", "chome_name": "丁目名", "koaza_name": "小字名", "yobi_name": "予備名",
    "chiban": "地番", "accuracy_class": "精度区分", "coordinate_type": "座標値種別",
    "hikkai_mitei": "筆界未定構成筆",
}
_ILLEGAL = re.compile(r"invalid char|char 0x|not allowed|out of allowed range|invalid xml char", re.I)


def staged_schema() -> pa.Schema:
    """Contract columns in contract order plus ``_source_row`` (BIGINT)."""
    schema = PARCELS.arrow_schema()
    return schema.append(pa.field("_source_row", pa.int64(), nullable=False))


@dataclass(frozen=True)
class RowIssue:
    """A 筆 left out of the staged rows, with where and why."""

    file: str
    row: int
    rule: str
    message: str
    fude_id: str | None = None
    value: str | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": "geometry", "rule": self.rule,
                "value": self.value, "message": self.message, "fude_id": self.fude_id}


@dataclass
class StageStats:
    rows: int = 0
    excluded_outside: int = 0
    excluded_betsuzu: int = 0
    arbitrary: int = 0
    files: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    retained_peak: int = 0
    bbox: list[float] | None = None


@dataclass(frozen=True)
class StageResult:
    """What :func:`stage_moj_file` did. ``dangling`` counts 筆 left out for a dangling idref."""

    rows: int
    excluded_outside: int
    excluded_betsuzu: int
    arbitrary: int
    dangling: int
    files: tuple[str, ...]
    issues: tuple[RowIssue, ...] = ()
    out_path: str | None = None
    retained_peak: int = 0


def _file_context(doc: Document, source_file: str) -> tuple[crs_mod.FileCrs, dict]:
    header = doc.header
    try:
        file_crs = crs_mod.resolve(header.get("座標系"), header.get("測地系判別"))
    except crs_mod.UnknownCrs as exc:
        column = "座標系" if exc.rule == "unknown_crs" else "測地系判別"
        raise SourceError(source_file, str(exc), rule=exc.rule, column=column,
                          value=header.get(column)) from None
    city = header.get("市区町村コード") or ""
    try:
        lg_code = with_check_digit(city)
    except ValueError:
        raise SourceError(source_file, f"市区町村コード {city!r} is not 5 digits", rule="bad_city_code",
                          column="市区町村コード", value=city) from None
    base = {
        "lg_code": lg_code, "city_code": city, "city_name": header.get("市区町村名"),
        "map_name": header.get("地図名"), "crs_name": header.get("座標系"),
        "datum_kind": header.get("測地系判別"), "datum": file_crs.datum, "source_epsg": file_crs.source_epsg,
        "is_arbitrary_crs": file_crs.is_arbitrary, "source_file": source_file,
    }
    return file_crs, base


def _flush(records: list[FudeRecord], polys: geo.Polygons, file_crs: crs_mod.FileCrs, base: dict,
           schema: pa.Schema, stats: StageStats) -> pa.RecordBatch:
    derived = geo.derive(polys, file_crs.source_epsg)
    n = len(records)
    cols: dict[str, list] = {k: [v] * n for k, v in base.items()}
    cols["fude_id"] = [r.fude_id for r in records]
    attrs = [r.attrs for r in records]
    for column, element in _ATTR_COLUMNS.items():
        cols[column] = [a.get(element) for a in attrs]
    for name in ("geometry", "local_geometry", "is_valid", "bbox_xmin", "bbox_ymin", "bbox_xmax", "bbox_ymax",
                 "rep_lon", "rep_lat"):
        cols[name] = getattr(derived, name)
    cols["_source_row"] = [r.index for r in records]
    stats.rows += n
    if file_crs.is_arbitrary:
        stats.arbitrary += n
    elif n:
        box = [min(derived.bbox_xmin), min(derived.bbox_ymin), max(derived.bbox_xmax), max(derived.bbox_ymax)]
        old = stats.bbox
        stats.bbox = box if old is None else [min(old[0], box[0]), min(old[1], box[1]),
                                              max(old[2], box[2]), max(old[3], box[3])]
    return pa.RecordBatch.from_pydict({f.name: cols[f.name] for f in schema}, schema=schema)


def _classify(record: FudeRecord, stats: StageStats) -> bool:
    """False (and counted) for 地区外 / 別図 features."""
    chiban = record.attrs.get("地番") or ""
    if OUTSIDE in chiban:
        stats.excluded_outside += 1
        return False
    if BETSUZU in chiban:
        stats.excluded_betsuzu += 1
        return False
    return True


def _resolve(records: list[FudeRecord], doc: Document, source_file: str,
             stats: StageStats) -> tuple[list[FudeRecord], geo.Polygons]:
    """The records whose geometry resolves, with their polygons; the others become row issues (in order)."""
    kept, polys, errors = geo.resolve_batch([r.surface_ref for r in records], doc.prims)
    for k in sorted(errors):
        record, exc = records[k], errors[k]
        if isinstance(exc, geo.Dangling):
            stats.issues.append(RowIssue(source_file, record.index, "dangling_idref",
                                         f"筆 {record.fude_id}: {exc}", record.fude_id, exc.idref))
        else:
            stats.issues.append(RowIssue(source_file, record.index, "degenerate_ring",
                                         f"筆 {record.fude_id}: {exc}", record.fude_id, record.surface_ref))
    return [records[k] for k in kept.tolist()], polys


def _document_batches(stream: IO[bytes], source_file: str, schema: pa.Schema,
                      stats: StageStats) -> Iterator[pa.RecordBatch]:
    doc = Document()
    deferred: list[FudeRecord] = []  # 筆 seen before the end of 空間属性 (not the published order)
    pending: list[FudeRecord] = []
    context: tuple[crs_mod.FileCrs, dict] | None = None
    for record in read_document(stream, doc):
        if not _classify(record, stats):
            continue
        if not doc.prims.spatial_done:
            deferred.append(record)
            continue
        if context is None:
            context = _file_context(doc, source_file)
        pending.append(record)
        if len(pending) >= BATCH_ROWS:
            batch = _flush(*_resolve(pending, doc, source_file, stats), *context, schema, stats)
            pending = []
            if batch.num_rows:
                yield batch
    if context is None:
        context = _file_context(doc, source_file)
    tail = [_flush(*_resolve(pending, doc, source_file, stats), *context, schema, stats)]
    if deferred:  # unusual order: resolve them now and put every remaining row back in document order
        for start in range(0, len(deferred), BATCH_ROWS):
            tail.append(_flush(*_resolve(deferred[start:start + BATCH_ROWS], doc, source_file, stats),
                               *context, schema, stats))
        table = pa.Table.from_batches(tail, schema=schema).sort_by("_source_row")
        tail = table.to_batches(max_chunksize=BATCH_ROWS)
    yield from (b for b in tail if b.num_rows)
    stats.retained_peak = max(stats.retained_peak, doc.retained_peak)


def _syntax_error(source_file: str, exc: etree.XMLSyntaxError) -> SourceError:
    line = exc.lineno if exc.lineno else (exc.position[0] if exc.position else None)
    message = str(exc.msg or exc)
    rule = "xml_illegal_character" if _ILLEGAL.search(message) else "xml_malformed"
    return SourceError(source_file, f"line {line}: {message}", rule=rule, row=line)


def iter_parcel_batches(path: str | Path, stats: StageStats | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches (staged schema) for every XML in ``path``; counters accumulate in ``stats``."""
    stats = stats if stats is not None else StageStats()
    schema = staged_schema()
    for source_file, stream in iter_xml(path):
        stats.files.append(source_file)
        try:
            yield from _document_batches(stream, source_file, schema, stats)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(source_file, exc) from exc
        except BadCoordinate as exc:
            raise SourceError(source_file, f"line {exc.line}: {exc}", rule="bad_coordinate",
                              row=exc.line) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise SourceError(source_file, f"damaged zip member: {exc}", rule="truncated_zip") from exc


def stage_moj_file(path: str | Path, out_parquet: str | Path) -> StageResult:
    """Parse a published 地図XML input (``.xml``, zip, or zip of zips) into a GeoParquet staging file.

    The file is written to a temporary name and renamed on success; on :class:`SourceError` nothing is left
    at ``out_parquet``. The ``geo`` metadata (GeoParquet 1.1, EPSG:6668 PROJJSON, bbox) is written here.
    """
    out = Path(out_parquet)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    stats = StageStats()
    schema = staged_schema()
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for batch in iter_parcel_batches(path, stats):
                if batch.num_rows:
                    writer.write_batch(batch)
            writer.add_key_value_metadata({"geo": geo_metadata(tuple(stats.bbox) if stats.bbox else None)})
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    dangling = sum(1 for i in stats.issues if i.rule == "dangling_idref")
    return StageResult(
        rows=stats.rows, excluded_outside=stats.excluded_outside, excluded_betsuzu=stats.excluded_betsuzu,
        arbitrary=stats.arbitrary, dangling=dangling, files=tuple(stats.files), issues=tuple(stats.issues),
        out_path=str(out), retained_peak=stats.retained_peak,
    )
