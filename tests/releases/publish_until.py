"""Test-only entry: ``python publish_until.py HOME STEP`` publishes and stops at STEP (the kill tests' pause).

The publish reports each step through its ``progress`` callback; this script prints ``publish-step: <name>`` on
stderr and, at STEP, sleeps so the test can SIGKILL the process exactly there. No pause exists in product code.
"""

from __future__ import annotations

import sys
import time

from kiban.config import paths
from kiban.releases.publish import publish


def main(home: str, stop_at: str) -> None:
    def progress(step: str, done: int, total: int) -> None:
        print(f"publish-step: {step}", file=sys.stderr, flush=True)
        if step == stop_at:
            time.sleep(600)

    publish(paths(home), progress=progress)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
