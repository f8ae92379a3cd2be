"""Spark (pyspark local mode, Java 17) reads a release exactly as DuckDB does. Needs the dev dependency pyspark."""

from __future__ import annotations

import pytest

from kiban.releases.interop import duckdb_reference, key_checksum
from kiban.releases.store import ReleaseStore

KEYS = {"corporations": ["corporate_number", "prefecture_code", "kind", "update_date", "close_date"],
        "parcels": ["lg_code", "oaza_code", "chiban", "geometry"]}


@pytest.mark.slow
def test_spark_reads_release_like_duckdb(shared_release):
    from pyspark.sql import SparkSession

    root = ReleaseStore.of(shared_release).root / "latest"
    spark = (SparkSession.builder.master("local[1]").appName("kiban-interop")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        for name, keys in KEYS.items():
            n, checksum = duckdb_reference(root / name, keys)
            df = spark.read.parquet(str(root / name)).select(*keys)
            rows = [tuple(r) for r in df.collect()]
            assert len(rows) == n and key_checksum(rows) == checksum
        part = spark.read.parquet(str(root / "corporations"))
        assert dict(part.dtypes)["part_prefecture_code"] == "string"
        assert dict(part.dtypes)["prefecture_code"] == "string"
    finally:
        spark.stop()
