"""Read a release with Spark and print row counts and key checksums as JSON (run by the Spark interpreter).

Spark lives in its own environment (``.venv-spark``, made by ``make spark-env``): pyspark imported next to Great
Expectations makes GE's optional-Spark import exit the process, and a ministry's Spark is a separate install too.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pyspark.sql import SparkSession  # noqa: E402

from kiban.releases.interop import key_checksum  # noqa: E402


def main() -> None:
    root = Path(sys.argv[1])
    keys = json.loads(sys.argv[2])
    spark = (SparkSession.builder.master("local[1]").appName("kiban-interop")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    out: dict = {}
    try:
        for name, cols in keys.items():
            rows = [tuple(r) for r in spark.read.parquet(str(root / name)).select(*cols).collect()]
            out[name] = {"rows": len(rows), "checksum": key_checksum(rows)}
        part = spark.read.parquet(str(root / "corporations"))
        out["corporations_dtypes"] = dict(part.dtypes)
    finally:
        spark.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
