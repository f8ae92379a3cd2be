"""With `kiban daemon` running, a report file dropped into the landing folder reaches the lake by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from kiban import query
from registries.reports.writers import json_bytes

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def _latest_dead(home) -> list[dict]:
    if not home.views_db.exists():
        return []
    try:
        return json.loads(query.run(home, "SELECT lg_code, dead FROM report_disaster_damage", fmt="json"))
    except Exception:  # the table appears with the first batch
        return []


def test_a_landed_report_is_stored_without_anyone_pressing_a_button(home):
    env = {**os.environ, "KIBAN_HOME": str(home.home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    log = open(home.home / "daemon.log", "w")  # noqa: SIM115 (closed in finally, outlives the Popen call)
    daemon = subprocess.Popen([str(BIN / "kiban"), "--home", str(home.home), "daemon"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        report = {"report_type": "disaster_damage", "lg_code": "402036", "subject_key": "daemon-test",
                  "as_of": datetime.now(UTC).replace(microsecond=0), "sequence_no": 1, "form_part": "その2",
                  "dead": 3, "missing": 0, "injured_serious": 0, "injured_minor": 0}
        tmp = home.landing / ".report.json.tmp"
        tmp.write_bytes(json_bytes([report]))
        tmp.rename(home.landing / "report.json")  # writers rename into place
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not _latest_dead(home):
            assert daemon.poll() is None, (home.home / "daemon.log").read_text()[-3000:]
            time.sleep(1)
        assert _latest_dead(home) == [{"lg_code": "402036", "dead": 3}]
        assert not (home.landing / "report.json").exists()  # taken from the landing folder once archived
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
