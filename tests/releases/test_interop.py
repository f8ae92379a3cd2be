"""Polars and PyArrow read a release exactly as DuckDB does (row counts + checksum over key columns)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from kiban.releases.interop import duckdb_reference, key_checksum
from kiban.releases.store import ReleaseStore

KEYS = {"corporations": ["corporate_number", "prefecture_code", "kind", "update_date", "close_date"],
        "parcels": ["lg_code", "oaza_code", "chiban", "geometry"]}


def _root(home):
    store = ReleaseStore.of(home)
    return store.root / "latest"  # through the symlink, as users do


def test_polars_reads_release_like_duckdb(shared_release):
    root = _root(shared_release)
    for name, keys in KEYS.items():
        n, checksum = duckdb_reference(root / name, keys)
        df = pl.read_parquet(str(root / name / "**" / "*.parquet"), hive_partitioning=False).select(keys)
        assert df.height == n and key_checksum(df.iter_rows()) == checksum
    # pinned partition type: the Hive column is text, codes keep their zero
    lf = pl.scan_parquet(str(root / "corporations" / "**" / "*.parquet"), hive_partitioning=True,
                         hive_schema={"part_prefecture_code": pl.String})
    assert lf.filter(pl.col("part_prefecture_code") == "01").select(pl.len()).collect().item() == 20


def test_pyarrow_reads_release_like_duckdb(shared_release):
    root = _root(shared_release)
    for name, keys in KEYS.items():
        n, checksum = duckdb_reference(root / name, keys)
        table = ds.dataset(str(root / name), format="parquet").to_table(columns=keys)
        assert table.num_rows == n
        assert key_checksum(zip(*[table.column(k).to_pylist() for k in keys], strict=True)) == checksum
    part = ds.partitioning(pa.schema([("part_prefecture_code", pa.string())]), flavor="hive")
    table = ds.dataset(str(root / "corporations"), format="parquet", partitioning=part).to_table()
    assert table.schema.field("prefecture_code").type == pa.string()
    assert set(table.column("part_prefecture_code").to_pylist()) == {"01", "13", "47"}
