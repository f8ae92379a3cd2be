"""The audit log: append-only JSONL, mode 0600, one hash chain across days, writers and restarts; any edit,
removal or reordering is reported by ``verify`` and by ``kiban reports audit verify``."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta

from authkit import KUMAMOTO_CITY, YATSUSHIRO
from click.testing import CliRunner

from kiban.intake.audit import GENESIS, AuditLog, audit_dir, record_hash, verify
from kiban.intake.identity import Identity

WHO = Identity("token", KUMAMOTO_CITY, "ab12cd34", token_id="ab12cd34")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _fill(log: AuditLog, n: int) -> list[dict]:
    return [log.record("submit", 202 if i % 2 else 401, identity=WHO if i % 2 else None,
                       reason="accepted" if i % 2 else "unknown_token", credential="kbn",
                       lg_codes=[KUMAMOTO_CITY], submission_id=f"sub_{i:032d}", sha256="ab" * 32)
            for i in range(n)]


def _lines(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_records_are_chained_durable_and_private(home):
    log = AuditLog.for_home(home)
    recs = _fill(log, 5)
    assert [r["seq"] for r in recs] == [1, 2, 3, 4, 5]
    assert recs[0]["prev"] == GENESIS and all(b["prev"] == a["hash"] for a, b in zip(recs, recs[1:], strict=False))
    assert all(r["hash"] == record_hash(r) for r in recs)
    files = sorted(audit_dir(home).glob("*.jsonl"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(audit_dir(home).stat().st_mode) == 0o700
    stored = [json.loads(x) for x in _lines(files[0])]
    assert stored == recs
    assert stored[0]["who"] == {"kind": "anonymous", "credential": "kbn"}
    assert stored[1]["who"] == WHO.to_dict() and stored[1]["outcome"] == "ok"
    v = verify(audit_dir(home))
    assert v.ok and v.records == 5 and v.head == recs[-1]["hash"]


def test_the_chain_continues_across_days_and_restarts(home):
    clock = Clock(datetime(2026, 9, 14, 23, 59, 59, tzinfo=UTC))
    first = _fill(AuditLog(audit_dir(home), clock), 2)
    clock.now += timedelta(seconds=2)
    second = _fill(AuditLog(audit_dir(home), clock), 2)  # a new process: reads the head from the file
    assert second[0]["prev"] == first[-1]["hash"] and second[0]["seq"] == 3
    assert sorted(p.name for p in audit_dir(home).glob("*.jsonl")) == ["2026-09-14.jsonl", "2026-09-15.jsonl"]
    v = verify(audit_dir(home))
    assert v.ok and v.records == 4 and v.files == 2


def test_a_clock_set_back_never_writes_behind_the_newest_file(home):
    clock = Clock(datetime(2026, 9, 15, 0, 0, 1, tzinfo=UTC))
    log = AuditLog(audit_dir(home), clock)
    _fill(log, 1)
    clock.now -= timedelta(seconds=5)
    _fill(log, 1)
    assert [p.name for p in audit_dir(home).glob("*.jsonl")] == ["2026-09-15.jsonl"]
    assert verify(audit_dir(home)).ok


def test_concurrent_writers_in_threads_and_instances_keep_one_chain(home):
    logs = [AuditLog.for_home(home), AuditLog.for_home(home)]  # two instances: like two processes

    def work(log: AuditLog) -> None:
        for _ in range(40):
            _fill(log, 1)

    threads = [threading.Thread(target=work, args=(logs[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    v = verify(audit_dir(home))
    assert v.ok, v.problems
    assert v.records == 160


def test_an_edited_record_is_detected(home):
    _fill(AuditLog.for_home(home), 4)
    path = next(audit_dir(home).glob("*.jsonl"))
    lines = _lines(path)
    rec = json.loads(lines[2])
    assert rec["status"] == 401
    rec["status"] = 202  # turn a refusal into a success
    lines[2] = json.dumps(rec).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    v = verify(audit_dir(home))
    assert v.problems == [f"{path.name} line 3: hash does not match the record (edited)"]


def test_an_edit_that_recomputes_the_hash_still_breaks_the_link(home):
    _fill(AuditLog.for_home(home), 4)
    path = next(audit_dir(home).glob("*.jsonl"))
    lines = _lines(path)
    rec = json.loads(lines[1])
    rec["who"] = {"kind": "anonymous", "credential": "none"}
    rec["hash"] = record_hash(rec)
    lines[1] = json.dumps(rec).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    v = verify(audit_dir(home))
    assert not v.ok and any("line 3: prev does not link" in p for p in v.problems)


def test_a_removed_or_reordered_record_is_detected(home):
    _fill(AuditLog.for_home(home), 4)
    path = next(audit_dir(home).glob("*.jsonl"))
    lines = _lines(path)
    path.write_bytes(b"".join([lines[0], lines[2], lines[3]]))
    assert any("line 2: prev does not link" in p for p in verify(audit_dir(home)).problems)
    path.write_bytes(b"".join([lines[0], lines[2], lines[1], lines[3]]))
    assert any("seq 3 after 1" in p for p in verify(audit_dir(home)).problems)


def test_a_removed_day_file_is_detected(home):
    clock = Clock(datetime(2026, 9, 13, 12, tzinfo=UTC))
    log = AuditLog(audit_dir(home), clock)
    for _ in range(3):
        _fill(log, 2)
        clock.now += timedelta(days=1)
    (audit_dir(home) / "2026-09-14.jsonl").unlink()
    v = verify(audit_dir(home))
    assert not v.ok and any(p.startswith("2026-09-15.jsonl line 1: prev does not link") for p in v.problems)


def test_a_torn_last_line_is_reported_and_the_next_record_chains_past_it(home):
    log = AuditLog.for_home(home)
    recs = _fill(log, 2)
    path = next(audit_dir(home).glob("*.jsonl"))
    with open(path, "ab") as f:
        f.write(b'{"v":1,"seq":3,"at":"2026')  # a crash in the middle of a write
    after = _fill(AuditLog.for_home(home), 1)[0]
    assert after["prev"] == recs[-1]["hash"] and after["seq"] == 3
    v = verify(audit_dir(home))
    assert v.problems == [f"{path.name} line 3: not JSON"]


def test_a_loosened_file_mode_is_reported(home):
    _fill(AuditLog.for_home(home), 1)
    path = next(audit_dir(home).glob("*.jsonl"))
    os.chmod(path, 0o644)
    assert any("mode 0o644" in p for p in verify(audit_dir(home)).problems)


def test_long_and_odd_values_are_bounded(home):
    rec = AuditLog.for_home(home).record("submit", 403, identity=WHO, reason="x" * 5000,
                                         lg_codes=[KUMAMOTO_CITY, None, 431001, YATSUSHIRO] + [str(i) for i in range(500)])
    assert len(rec["reason"]) == 300 and rec["lg_code_count"] == 502 and len(rec["lg_codes"]) == 100
    assert verify(audit_dir(home)).ok


def test_the_cli_verifies_the_log_and_fails_on_tampering(home):
    from kiban.cli import main

    _fill(AuditLog.for_home(home), 3)
    ok = CliRunner().invoke(main, ["reports", "audit", "verify"], env={"KIBAN_HOME": str(home.home)})
    assert ok.exit_code == 0, ok.output
    assert "audit log ok: 3 records in 1 files" in ok.output
    path = next(audit_dir(home).glob("*.jsonl"))
    path.write_bytes(b"".join(_lines(path)[1:]))
    bad = CliRunner().invoke(main, ["reports", "audit", "verify"], env={"KIBAN_HOME": str(home.home)})
    assert bad.exit_code == 1
    assert "line 1: prev does not link" in bad.output and "audit log broken" in bad.output
