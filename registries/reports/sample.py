"""Regenerate the committed sample: ``python -m registries.reports.sample`` -> ``samples/reports/``.

The typhoon scenario in full plus monthly reports for 8 municipalities of 鹿児島県 (46), to stay well under 2 MB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from registries.reports.scenario import generate

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "samples" / "reports"
SEED = 21


def main() -> None:
    if SAMPLE_DIR.exists():
        shutil.rmtree(SAMPLE_DIR)
    s = generate(SAMPLE_DIR, SEED, monthly_prefectures={"46"}, monthly_limit=8)
    print(f"wrote {s['arrivals']} arrivals to {SAMPLE_DIR}")


if __name__ == "__main__":
    main()
