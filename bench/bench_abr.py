"""Benchmark: the full ABR 町字マスター (mt_town_all) load: parse, validate, store.

Generates ``mt_town_all.csv.zip`` in the published layout (header row, UTF-8) with ``--rows`` 町字 (default
500,000, about the national count) spread over the real municipality codes of the bundled 総務省 master, then
loads it with the same code as ``kiban ingest abr``. Prints seconds per stage, rows per second and peak RSS.

    .venv/bin/python bench/bench_abr.py --rows 500000
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiban.config import paths as resolve  # noqa: E402
from registries.abr.load import ingest_targets  # noqa: E402
from registries.municipalities.resolve import bundled_master  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "abr" / "mt_town_all.csv.zip"


def generate(path: Path, rows: int) -> None:
    with zipfile.ZipFile(SAMPLE) as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8-sig")
    header, template = list(csv.reader(io.StringIO(text)))[:2]
    col = {name: i for i, name in enumerate(header)}
    master = [m for m in bundled_master() if m.type not in ("prefecture", "designated_city")
              and m.valid_to is None]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(header)
    for i in range(rows):
        m = master[i % len(master)]
        serial = i // len(master) + 1
        row = list(template)
        row[col["lg_code"]] = m.lg_code
        row[col["machiaza_id"]] = f"{serial:04d}001"
        row[col["pref"]] = m.prefecture_name
        row[col["city"]] = m.name
        row[col["oaza_cho"]] = f"大字{serial}"
        out.writerow(row)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mt_town_all.csv", buf.getvalue().encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=500_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiban-bench-abr-"))
    src = work / "mt_town_all.csv.zip"
    t = time.perf_counter()
    generate(src, args.rows)
    print(f"generated {args.rows:,} 町字, zip {src.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
    import quality.runner  # noqa: F401  (GE import is a per-process cost, not a per-file one)

    paths = resolve(work / "home").ensure()
    t = time.perf_counter()
    (result,) = ingest_targets(paths, [str(src)])  # the same entry point as `kiban ingest abr`
    total = time.perf_counter() - t
    assert result.status == "loaded", result.summary()
    secs = result.info.get("seconds", {})
    print(f"parse {secs.get('stage')} s, validate {secs.get('validate')} s, store {secs.get('store')} s")
    print(f"total {total:.1f} s = {args.rows / total:,.0f} 町字/s; rows {result.rows}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
