"""Partitioned release files: split the rows by partition first, then sort each partition (公開ファイルの分割書き出し).

A sort of the whole dataset in DuckDB costs more than a plain copy of it (the wide rows are materialised and
moved; ``docs/benchmarks.md``, Publish), so a partitioned dataset is written in two steps instead:

1. **Split.** DuckDB streams the rows as Arrow record batches in scan order; a second thread groups each batch
   by partition (a stable grouping: rows keep their order) and appends each group to that partition's
   uncompressed Arrow IPC spill file next to the dataset. Batches are small (:data:`SPLIT_ROWS`) so the grouping
   works in the CPU cache; at most a few batches are held in memory.
2. **Sort and write.** Two threads take one partition at a time: its spill file is memory-mapped, sorted by
   ``sort_by`` (ascending, NULLs last, as DuckDB's ``ORDER BY``; skipped when the rows already are in order, as
   they are when the source is) and written by ``pyarrow.parquet`` as ``data_0.parquet``: zstd at DuckDB's
   default level (3), row groups of :data:`ROW_GROUP_ROWS` rows (no small last one), one data page per column
   chunk (as DuckDB writes; smaller pages slow DuckDB's full scans), min/max statistics, dictionary pages only for
   the columns whose values repeat (as DuckDB's own writer decides: a dictionary of unique values makes sorted keys such as
   ``corporate_number`` compress worse).

Memory: a few split batches plus two partitions. Used for datasets without a GeoParquet geometry (pyarrow writes
DuckDB's Arrow types back as the same Parquet types; tested); a spatial dataset takes DuckDB's own writer
(:mod:`kiban.releases.write`).
"""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: rows per Parquet row group (DuckDB's default, as the unpartitioned files use)
ROW_GROUP_ROWS = 122880
#: a last row group below this share of :data:`ROW_GROUP_ROWS` is folded into the full ones
SMALL_TAIL = 0.1
#: rows per Arrow batch read from DuckDB and grouped at once (small enough to group within the CPU cache)
SPLIT_ROWS = 131072
#: data page limits: one data page per column chunk, as DuckDB writes (it cuts a page only past 100 MB). pyarrow's
#: defaults (1 MiB, 20,000 rows) cut pages off DuckDB's 2,048-row vectors; DuckDB's reader then copies the vector
#: across each page break flat instead of handing on the dictionary, and full scans grouping on dictionary
#: columns ran 20-30 % slower (``docs/benchmarks.md``, Publish, issue 13).
DATA_PAGE_BYTES = 100_000_000
#: zstd level: DuckDB's default, so files compress as DuckDB's own COPY would
ZSTD_LEVEL = 3
#: a column gets a dictionary page when its first batch has at most this share of distinct values
DICTIONARY_SHARE = 0.1
#: batches queued ahead of the splitting thread
MAX_PENDING = 4
#: partitions sorted and written at once
PARALLEL_PARTITIONS = 2

Values = tuple[str | None, ...]


def dictionary_columns(batch: pa.RecordBatch) -> list[str]:
    """Columns whose values repeat enough for a dictionary page (decided on a sample batch)."""
    limit = max(1, int(batch.num_rows * DICTIONARY_SHARE))
    return [name for name, col in zip(batch.schema.names, batch.columns, strict=True)
            if not pa.types.is_boolean(col.type) and pc.count_distinct(col, mode="all").as_py() <= limit]


def row_group_rows(rows: int) -> int:
    """Rows per row group for a file of ``rows`` rows: :data:`ROW_GROUP_ROWS`, except that a last group smaller
    than :data:`SMALL_TAIL` of it is shared out among the full groups (DuckDB writes a 123,714-row partition as one
    row group; a trailing group of a few hundred rows costs every full scan a dictionary page and a short read
    per column)."""
    full, tail = divmod(rows, ROW_GROUP_ROWS)
    if full and tail and tail < ROW_GROUP_ROWS * SMALL_TAIL:
        return -(-rows // full)
    return ROW_GROUP_ROWS


def group_rows(batch: pa.RecordBatch, keys: Sequence[str]) -> list[tuple[Values, pa.RecordBatch]]:
    """The rows of ``batch`` grouped by the values of the ``keys`` columns (dropped), each group in batch order."""
    code = np.zeros(batch.num_rows, dtype=np.int64)
    for k in keys:
        enc = pc.dictionary_encode(batch.column(k), null_encoding="encode")
        code = code * len(enc.dictionary) + enc.indices.to_numpy(zero_copy_only=False)
    groups, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    rows = batch.drop_columns(list(keys))
    grouped = rows if len(groups) == 1 else rows.take(pa.array(np.argsort(inverse, kind="stable")))
    counts = np.bincount(inverse, minlength=len(groups))
    out, start = [], 0
    for g, n in enumerate(counts.tolist()):
        values = tuple(batch.column(k)[int(first[g])].as_py() for k in keys)
        out.append((values, grouped.slice(start, n)))
        start += n
    return out


class _Spill:
    """Uncompressed Arrow IPC files, one per partition, filled by the splitting thread."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        self.folder, self.schema = folder, schema
        self.files: dict[Values, tuple[Path, pa.ipc.RecordBatchStreamWriter]] = {}

    def add(self, parts: list[tuple[Values, pa.RecordBatch]]) -> None:
        for values, rows in parts:
            entry = self.files.get(values)
            if entry is None:
                path = self.folder / f"{len(self.files)}.arrow"
                entry = self.files[values] = (path, pa.ipc.new_stream(str(path), self.schema))
            entry[1].write_batch(rows)

    def close(self) -> None:
        for _, writer in self.files.values():
            writer.close()


def _sort_and_write(spill: Path, out: Path, sort_by: Sequence[str], dictionary: list[str]) -> None:
    with pa.memory_map(str(spill)) as source:
        table = pa.ipc.open_stream(source).read_all()
        if sort_by and table.num_rows > 1:
            order = pc.sort_indices(table, sort_keys=[(c, "ascending", "at_end") for c in sort_by])
            if not np.array_equal(order.to_numpy(), np.arange(table.num_rows)):
                table = table.take(order)
        out.parent.mkdir(parents=True, exist_ok=True)
        group = row_group_rows(table.num_rows)
        pq.write_table(table, out, row_group_size=group, compression="zstd",
                       compression_level=ZSTD_LEVEL, use_dictionary=dictionary, write_statistics=True,
                       data_page_size=DATA_PAGE_BYTES, max_rows_per_page=group)
        del table


def write_partitions(reader: pa.RecordBatchReader, keys: Sequence[str], sort_by: Sequence[str],
                     folder_of: Callable[[Values], str], target: Path) -> None:
    """Write the rows of ``reader`` as ``target/<folder_of(values)>/data_0.parquet`` per partition, sorted by
    ``sort_by``; ``keys`` are the reader's partition-value columns (not written)."""
    spill_dir = target.parent / f".spill-{target.name}"
    shutil.rmtree(spill_dir, ignore_errors=True)
    spill_dir.mkdir(parents=True)
    try:
        spill = _Spill(spill_dir, pa.schema([f for f in reader.schema if f.name not in keys]))
        dictionary: list[str] | None = None
        pending: deque[Future] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiban-release-split") as splitter:
            try:
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    if dictionary is None:
                        dictionary = dictionary_columns(batch.drop_columns(list(keys)))
                    pending.append(splitter.submit(lambda b=batch: spill.add(group_rows(b, keys))))
                    while len(pending) > MAX_PENDING:
                        pending.popleft().result()  # a failed split stops the stream here
                while pending:
                    pending.popleft().result()
            finally:
                for f in pending:
                    f.cancel()
                splitter.submit(spill.close).result()
        with ThreadPoolExecutor(max_workers=PARALLEL_PARTITIONS, thread_name_prefix="kiban-release-write") as pool:
            jobs = [pool.submit(_sort_and_write, path, target / folder_of(values) / "data_0.parquet", sort_by,
                                dictionary or []) for values, (path, _) in spill.files.items()]
            for job in jobs:
                job.result()
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
