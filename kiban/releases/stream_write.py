"""Partitioned release files from one sorted Arrow stream (公開ファイルの分割書き出し).

DuckDB sorts the dataset once by (partition values as text, ``sort_by``) and hands the rows over as Arrow record
batches in that order (inside its memory cap: the sort spills). Every partition is then one contiguous run of the
stream: the batches are cut at the runs' ends (zero-copy slices) and each run is appended, in order, to its
partition's ``data_0.parquet`` by a writer thread with ``pyarrow.parquet`` -- zstd at DuckDB's default level (3),
row groups of :data:`ROW_GROUP_ROWS` rows, min/max statistics, dictionary pages only for the columns whose values
repeat (as DuckDB's own writer decides; a dictionary of unique values makes sorted keys such as
``corporate_number`` compress worse). At most a few row groups are held in Python memory at any time.

Used for datasets without a GeoParquet geometry (pyarrow writes DuckDB's Arrow types back with the same Parquet
types; tested); a spatial dataset takes DuckDB's own writer (:mod:`kiban.releases.write`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: rows per Parquet row group (DuckDB's default, as the unpartitioned files use)
ROW_GROUP_ROWS = 122880
#: rows per Arrow batch read from DuckDB
BATCH_ROWS = 2 * ROW_GROUP_ROWS
#: zstd level: DuckDB's default, so files compress as DuckDB's own COPY would
ZSTD_LEVEL = 3
#: a column gets a dictionary page when its first batch has at most this share of distinct values
DICTIONARY_SHARE = 0.1
#: write jobs queued ahead of the writer thread (each holds at most one batch's slice)
MAX_PENDING = 4


def dictionary_columns(batch: pa.RecordBatch) -> list[str]:
    """Columns whose values repeat enough for a dictionary page (decided on a sample batch)."""
    limit = max(1, int(batch.num_rows * DICTIONARY_SHARE))
    return [name for name, col in zip(batch.schema.names, batch.columns, strict=True)
            if not pa.types.is_boolean(col.type) and pc.count_distinct(col, mode="all").as_py() <= limit]


def partition_runs(batch: pa.RecordBatch, keys: Sequence[str]) -> Iterator[tuple[tuple[str | None, ...], int, int]]:
    """``(values, offset, length)`` of each run of equal partition values in a batch sorted by them."""
    ends: set[int] = set()
    for k in keys:
        ends.update(pc.run_end_encode(batch.column(k)).run_ends.to_pylist())
    start = 0
    for end in sorted(ends):
        yield tuple(batch.column(k)[start].as_py() for k in keys), start, end - start
        start = end


class _PartitionFile:
    """One partition's ``data_0.parquet``, written row group by row group as its rows arrive (writer thread)."""

    def __init__(self, path: Path, schema: pa.Schema, dictionary: list[str]) -> None:
        self.path, self.schema, self.dictionary = path, schema, dictionary
        self.writer: pq.ParquetWriter | None = None  # opened by the writer thread
        self.pending: list[pa.Table] = []
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd", compression_level=ZSTD_LEVEL,
                                           use_dictionary=self.dictionary, write_statistics=True)
        self.pending.append(table)
        self.rows += table.num_rows
        if self.rows >= ROW_GROUP_ROWS:
            whole = pa.concat_tables(self.pending)
            full = (self.rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
            self.writer.write_table(whole.slice(0, full), row_group_size=ROW_GROUP_ROWS)
            rest = whole.slice(full)
            self.pending, self.rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        if self.writer is None:
            return
        try:
            if self.rows:
                self.writer.write_table(pa.concat_tables(self.pending), row_group_size=ROW_GROUP_ROWS)
        finally:
            self.writer.close()
            self.writer = None


def write_sorted_partitions(reader: pa.RecordBatchReader, keys: Sequence[str], folder_of, target: Path) -> None:
    """Write the stream ``reader`` (sorted by the ``keys`` columns first) as one file per run of equal keys.

    ``folder_of(values)`` names the folder of a partition (relative to ``target``); the key columns are dropped.
    """
    schema = pa.schema([f for f in reader.schema if f.name not in keys])
    dictionary: list[str] | None = None
    current: tuple[tuple[str | None, ...], _PartitionFile] | None = None
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiban-release-writer") as pool:
        def submit(fn, *args) -> None:
            pending.append(pool.submit(fn, *args))
            while len(pending) > MAX_PENDING:
                pending.popleft().result()  # a failed write stops the stream here

        try:
            for batch in reader:
                if batch.num_rows == 0:
                    continue
                rows = batch.drop_columns(list(keys))
                if dictionary is None:
                    dictionary = dictionary_columns(rows)
                for values, offset, length in partition_runs(batch, keys):
                    if current is None or current[0] != values:
                        if current is not None:
                            submit(current[1].close)
                        current = (values, _PartitionFile(target / folder_of(values) / "data_0.parquet", schema,
                                                          dictionary))
                    submit(current[1].add, pa.Table.from_batches([rows.slice(offset, length)]))
            if current is not None:
                submit(current[1].close)
            while pending:
                pending.popleft().result()
        except BaseException:
            for f in pending:
                f.cancel()
            if current is not None:
                pool.submit(current[1].close)  # after the writes already running; the files are removed anyway
            raise


def stream_sorted(con: duckdb.DuckDBPyConnection, sql: str) -> pa.RecordBatchReader:
    """The rows of ``sql`` as Arrow batches, in its ``ORDER BY`` order."""
    return con.execute(sql).to_arrow_reader(BATCH_ROWS)
