"""Nobody presses a button: with `kiban serve` and `kiban daemon` running, a report dropped into the landing folder
is stored by the intake service within seconds, the write is recorded in Dagster (a runless materialisation of
``report_versions``), and the automation conditions then bring ``indicator_values`` up to date in a run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from kiban import query
from registries.reports.writers import json_bytes

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sql(home, sql: str) -> list[dict]:
    if not home.views_db.exists():
        return []
    try:
        return json.loads(query.run(home, sql, fmt="json"))
    except Exception:  # the table appears with its first write
        return []


def _start(args: list[str], home, name: str) -> tuple[subprocess.Popen, object]:
    env = {**os.environ, "KIBAN_HOME": str(home.home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    log = open(home.home / f"{name}.log", "w")  # noqa: SIM115 (closed by _stop)
    return subprocess.Popen([str(BIN / "kiban"), "--home", str(home.home), *args], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True), log


def _stop(proc: subprocess.Popen, log) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _wait(predicate, seconds: float, procs) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        for proc, log in procs:
            assert proc.poll() is None, Path(log.name).read_text()[-3000:]
        time.sleep(0.5)
    return predicate()


def test_a_landed_report_is_stored_recorded_in_dagster_and_followed_by_the_indicators(home):
    server = _start(["serve", "--port", str(_free_port())], home, "serve")
    daemon = _start(["daemon"], home, "daemon")
    try:
        # the automation sensor compares each tick with the last: what it should react to comes after its first
        assert _wait(lambda: "Finished auto-materialization tick" in (home.home / "daemon.log").read_text(), 120,
                     [server, daemon])
        report = {"report_type": "disaster_damage", "lg_code": "402036", "subject_key": "daemon-test",
                  "as_of": datetime.now(UTC).replace(microsecond=0), "sequence_no": 1, "form_part": "その2",
                  "dead": 3, "missing": 0, "injured_serious": 0, "injured_minor": 0}
        home.landing.mkdir(parents=True, exist_ok=True)
        tmp = home.landing / ".report.json.tmp"
        tmp.write_bytes(json_bytes([report]))
        landed = time.monotonic()
        tmp.rename(home.landing / "report.json")  # writers rename into place
        stored = _wait(lambda: _sql(home, "SELECT lg_code, dead FROM report_disaster_damage"), 60, [server, daemon])
        took = time.monotonic() - landed
        assert stored and _sql(home, "SELECT lg_code, dead FROM report_disaster_damage") == [
            {"lg_code": "402036", "dead": 3}]
        assert took < 30, took  # the service, not a Dagster run: seconds (bench_latency.py measures it)
        assert not (home.landing / "report.json").exists()  # taken from the landing folder once archived
        assert _wait(lambda: _sql(home, "SELECT count(*) AS n FROM indicator_values WHERE area_code = '40'"),
                     150, [server, daemon]), (home.home / "daemon.log").read_text()[-3000:]
    finally:
        _stop(*server)
        _stop(*daemon)
    from kiban.orchestration import instance

    inst = instance(home)
    try:
        event = inst.get_latest_materialization_event(__import__("dagster").AssetKey("report_versions"))
        assert event is not None and event.run_id == ""  # runless: recorded by the intake service
    finally:
        inst.dispose()
