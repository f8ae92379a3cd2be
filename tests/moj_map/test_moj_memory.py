"""Peak RSS of staging grows far slower than the file: elements are cleared, only idref tables remain."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_CHILD = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, sys.argv[3])
    from registries.moj_map.parse import stage_moj_file
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = stage_moj_file(sys.argv[1], sys.argv[2])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": r.rows, "rss_kb": after, "growth_kb": after - before}))
""")


def _stage_in_child(xml: Path, tmp: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(xml), str(tmp / f"{xml.stem}.parquet"), str(ROOT)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_peak_rss_5mb_vs_40mb(tmp_path):
    from registries.moj_map import synth

    results = {}
    for mb, rows in ((5, 5), (40, 36)):
        xml = tmp_path / f"g{mb}.xml"
        with xml.open("w", encoding="utf-8") as fp:
            synth.write_grid(fp, rows, 500)
        assert abs(xml.stat().st_size / 1e6 - mb) < mb * 0.25
        results[mb] = _stage_in_child(xml, tmp_path)
    small, large = results[5], results[40]
    assert large["rows"] == 36 * 500
    # A full lxml tree of 40 MB of XML needs several hundred MB; the idref tables need a few tens.
    extra_mb = (large["rss_kb"] - small["rss_kb"]) / 1024
    assert extra_mb < 120, results
