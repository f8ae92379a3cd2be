"""Spark (pyspark 4.3 local mode, Java 17) reads a release exactly as DuckDB does.

Spark runs in its own interpreter (``.venv-spark``, ``make spark-env``; ``make test-slow`` creates it).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from kiban.releases.interop import duckdb_reference
from kiban.releases.store import ReleaseStore

REPO = Path(__file__).resolve().parents[2]
SPARK_PYTHON = Path(os.environ.get("KIBAN_SPARK_PYTHON", REPO / ".venv-spark" / "bin" / "python"))
KEYS = {"corporations": ["corporate_number", "prefecture_code", "kind", "update_date", "close_date"],
        "parcels": ["lg_code", "oaza_code", "chiban", "geometry"]}


@pytest.mark.slow
def test_spark_reads_release_like_duckdb(shared_release):
    assert SPARK_PYTHON.exists(), f"{SPARK_PYTHON} missing: run `make spark-env` (make test-slow does)"
    root = ReleaseStore.of(shared_release).root / "latest"
    proc = subprocess.run([str(SPARK_PYTHON), str(Path(__file__).with_name("spark_reader.py")), str(root),
                           json.dumps(KEYS)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    spark = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, keys in KEYS.items():
        n, checksum = duckdb_reference(root / name, keys)
        assert spark[name] == {"rows": n, "checksum": checksum}
        assert n > 0
    dtypes = spark["corporations_dtypes"]
    assert dtypes["part_prefecture_code"] == "string" and dtypes["prefecture_code"] == "string"
