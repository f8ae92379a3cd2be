"""Issue 10's reproduced failures, one regression test each: what broke, attacked or killed, now holds."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kiban.archive import RawArchive
from kiban.intake.queue import IntakeQueue
from kiban.lake import Lake
from kiban.load.files import ingest_file
from kiban.load.ledger import has_relation
from kiban.load.runner import sweep_staging

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
KUMAMOTO_CITY, YATSUSHIRO, KUMAMOTO_PREF = "431001", "432024", "430005"


def damage(lg: str, reporter: str | None = None, dead: int = 1, seq: int = 1) -> dict:
    body = {"report_type": "disaster_damage", "lg_code": lg, "subject_key": "2026-typhoon-21",
            "as_of": "2026-09-14T11:00:00+09:00", "sequence_no": seq, "items": {"dead": dead}}
    if reporter:
        body["reporter_lg_code"] = reporter
    return body


def count(home, table: str, where: str = "true") -> int:
    if not Lake(home).readable():
        return 0
    con = Lake(home).reader(spatial=False)
    try:
        return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0] if has_relation(con, table) else 0
    finally:
        con.close()


def app_client(home):
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    return TestClient(create_app(home))


@pytest.fixture
def tokens(home):
    from kiban.intake.tokens import TokenStore

    store = TokenStore(home)
    return {lg: store.add(lg)[1] for lg in (KUMAMOTO_CITY, YATSUSHIRO, KUMAMOTO_PREF)}


def post(client, token: str, body, wait: bool = True, filename: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    url = "/v1/reports" + ("?wait=true" if wait else "")
    if filename is not None:
        return client.post(url, headers=headers, files={"file": (filename, body)})
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(url, headers={**headers, "Content-Type": "application/json"}, content=data)


# -- 1. authorisation after a crash -----------------------------------------------------------------------------

def test_a_queued_report_for_another_municipality_stays_refused_after_a_restart(home, tokens):
    """The durable queue holds the caller's identity; a restarted service re-checks it (no silent accept)."""
    queue = IntakeQueue(home)
    body = json.dumps(damage(KUMAMOTO_CITY, reporter=KUMAMOTO_CITY), ensure_ascii=False).encode()
    # what the HTTP handler wrote before it was killed: the bytes, and who sent them (Yatsushiro's token)
    queued = queue.put_bytes(body, "r.json", channel="api",
                             submitted_by={"kind": "token", "lg_code": YATSUSHIRO, "subject": "token:x"})
    with app_client(home) as client:  # a new process starts: it recovers the queue at start-up
        client.app.state.intake.flush()
        receipt = client.get(f"/v1/reports/{queued.submission_id}",
                             headers={"Authorization": f"Bearer {tokens[YATSUSHIRO]}"}).json()
    assert receipt["status"] == "quarantined" and receipt["errors"][0]["rule"] == "not_authorised"
    assert count(home, "reports_latest") == 0 and count(home, "report_versions") == 0
    assert queue.pending() == []


def test_a_queued_http_submission_without_identity_is_never_processed(home):
    queue = IntakeQueue(home)
    body = json.dumps(damage(KUMAMOTO_CITY), ensure_ascii=False).encode()
    queued = queue.put_bytes(body, "r.json", channel="api", submitted_by=None)
    with app_client(home) as client:
        client.app.state.intake.flush()
    assert count(home, "loads", f"load_id = '{queued.submission_id}' AND status = 'quarantined'") == 1
    assert count(home, "report_versions") == 0


def test_the_reporter_is_checked_before_it_is_recorded(home, tokens):
    """A claimed reporter other than the caller or the municipality is refused, not overwritten."""
    with app_client(home) as client:
        r = post(client, tokens[KUMAMOTO_PREF], damage(YATSUSHIRO, reporter=KUMAMOTO_CITY))
        assert r.status_code == 403 and r.json()["reasons"][0]["rule"] == "reporter_mismatch"
        ok = post(client, tokens[KUMAMOTO_PREF], damage(YATSUSHIRO, reporter=YATSUSHIRO))
        assert ok.status_code == 202
    con = Lake(home).reader(spatial=False)
    assert con.execute("SELECT lg_code, reporter_lg_code FROM reports_latest").fetchall() == [
        (YATSUSHIRO, KUMAMOTO_PREF)]  # the authenticated 団体 is recorded as the reporter
    con.close()


# -- 2. recovery at start-up, poison submissions ----------------------------------------------------------------

def test_pending_submissions_are_recovered_at_start_up_without_a_new_submission(home):
    queue = IntakeQueue(home)
    for dead in (1, 2, 3):
        queue.put_bytes(json.dumps(damage(KUMAMOTO_CITY, dead=dead, seq=dead)).encode(), f"r{dead}.json",
                        channel="api", submitted_by={"kind": "token", "lg_code": KUMAMOTO_CITY})
    with app_client(home) as client:
        assert client.app.state.intake.flush(60)
    assert count(home, "report_versions") == 3 and queue.pending() == []


@pytest.mark.parametrize("name, body", [
    ("deep.json", b"[" * 200_000 + b"]" * 200_000),
    ("long_line.csv", "報告種別,団体コード\n".encode() + b"x" * (8 * 1024 * 1024)),
    ("big_field.csv", "報告種別,団体コード\n".encode() + b'"' + b"y" * (130 * 1024) + b'",431001\n'),
])
def test_a_poison_submission_is_refused_alone_and_the_next_one_is_stored(home, tokens, name, body):
    with app_client(home) as client:
        bad = post(client, tokens[KUMAMOTO_CITY], body, filename=name)
        assert bad.status_code == 422, bad.text
        good = post(client, tokens[KUMAMOTO_CITY], damage(KUMAMOTO_CITY))
        assert good.status_code == 202, good.text
    assert count(home, "report_versions") == 1
    assert count(home, "loads", "status = 'quarantined'") == 1


def test_a_submission_that_keeps_killing_the_writer_is_quarantined_unprocessed(home):
    from kiban.intake.service import POISON_LIMIT

    queue = IntakeQueue(home)
    q = queue.put_bytes(json.dumps(damage(KUMAMOTO_CITY)).encode(), "r.json", channel="api",
                        submitted_by={"kind": "token", "lg_code": KUMAMOTO_CITY})
    for _ in range(POISON_LIMIT):  # as if the process died processing it, again and again
        queue.attempt([q])
    with app_client(home) as client:
        client.app.state.intake.flush()
    assert count(home, "loads", "status = 'quarantined' AND detail LIKE '%repeatedly_failed%'") == 1
    assert count(home, "report_versions") == 0 and queue.pending() == []


# -- 3. a rejection never blocks a release ------------------------------------------------------------------------

def test_a_rejected_submission_does_not_block_the_next_release(home, tokens):
    from kiban.releases.publish import publish

    with app_client(home) as client:
        assert post(client, tokens[KUMAMOTO_CITY], damage(KUMAMOTO_CITY, dead=-1)).status_code == 422
        assert post(client, tokens[KUMAMOTO_CITY], damage(KUMAMOTO_CITY, seq=2)).status_code == 202
    result = publish(home)
    assert "report_versions" in result.manifest["datasets"]
    assert result.manifest["datasets"]["report_versions"]["rows"] == 1
    # the receipts, a view over the ledger, are published with both submissions, the rejected one included
    assert result.manifest["datasets"]["report_submissions"]["rows"] == 2


# -- 5. bad files quarantine, never a traceback ------------------------------------------------------------------

def test_an_nta_field_over_the_csv_field_limit_is_quarantined(home, tmp_path):
    from registries.corporate.load import corporate_source

    with zipfile.ZipFile(SAMPLES / "corporate" / "diff_20261102.zip") as zf:
        name = zf.namelist()[0]
        lines = zf.read(name).decode("utf-8").splitlines()
    fields = lines[0].split(",")
    fields[6] = '"' + "長" * 200_000 + '"'
    lines[0] = ",".join([*fields, "extra"])  # a record with a 31st column and a field over 128 KiB
    bad = tmp_path / "diff_20261120.zip"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, "\n".join(lines) + "\n")
    result = ingest_file(home, corporate_source(), bad)
    assert result.status == "quarantined" and result.quarantine_report.exists()
    assert result.errors[0]["rule"] in ("column_count", "csv_parse"), result.errors
    assert count(home, "loads", "status = 'quarantined'") == 1


@pytest.mark.parametrize("cut", [0.5, 0.02])
def test_a_truncated_municipality_master_is_quarantined(home, tmp_path, cut):
    from registries.municipalities.load import municipalities_source

    data = (SAMPLES / "municipalities" / "000925835.xls").read_bytes()
    bad = tmp_path / "000925835.xls"
    bad.write_bytes(data[: int(len(data) * cut)])
    result = ingest_file(home, municipalities_source(), bad)
    assert result.status == "quarantined" and result.errors[0]["file"] == "000925835.xls"
    assert count(home, "municipalities") == 0


# -- 6. scope replacement and decompression bombs ----------------------------------------------------------------

def _abr_town_loaded(home):
    from registries.abr.load import abr_source, build_sets, write_set
    from registries.municipalities.load import municipalities_source

    ingest_file(home, municipalities_source(), SAMPLES / "municipalities" / "000925835.xls")
    sets = build_sets(sorted((SAMPLES / "abr").glob("mt_town*.csv.zip")))
    for s in sets:
        ingest_file(home, abr_source(), write_set(s, home.staging / "sets"))
    return count(home, "abr_towns")


def test_a_header_only_abr_file_is_held_for_review_not_applied(home, tmp_path):
    from registries.abr.load import abr_source

    before = _abr_town_loaded(home)
    assert before > 0
    with zipfile.ZipFile(SAMPLES / "abr" / "mt_town_all.csv.zip") as zf:
        header = zf.read("mt_town_all.csv").decode("utf-8").splitlines()[0]
    empty = tmp_path / "mt_town_all.csv.zip"
    with zipfile.ZipFile(empty, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mt_town_all.csv", header + "\n")
    result = ingest_file(home, abr_source(), empty)
    assert result.status == "quarantined" and result.errors[0]["rule"] == "scope_shrink"
    assert count(home, "abr_towns") == before


def test_an_abr_decompression_bomb_is_refused_before_it_is_inflated(home, tmp_path):
    from registries.abr.load import abr_source

    bomb = tmp_path / "mt_town_all.csv.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mt_town_all.csv", b"\n" * (300 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    result = ingest_file(home, abr_source(), bomb)
    assert result.status == "quarantined" and result.errors[0]["rule"] == "zip_bomb"


# -- 8. smaller ones -------------------------------------------------------------------------------------------

def test_the_landing_folder_does_not_follow_symbolic_links(home):
    from kiban.intake.landing import ingest_landing

    home.landing.mkdir(parents=True, exist_ok=True)
    (home.landing / "passwd.csv").symlink_to("/etc/passwd")
    os.utime(home.landing / "passwd.csv", (0, 0), follow_symlinks=False)
    assert ingest_landing(home, settle=0) == []
    assert not any(p.is_file() and p.read_bytes() == Path("/etc/passwd").read_bytes()
                   for p in (home.raw / "sha256").rglob("*") if not p.name.endswith(".json"))


def test_the_same_diff_under_a_new_name_is_a_duplicate(home, tmp_path):
    from registries.corporate.load import corporate_source

    first = ingest_file(home, corporate_source(), SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip")
    assert first.status == "loaded"
    diff = ingest_file(home, corporate_source(), SAMPLES / "corporate" / "diff_20261102.zip")
    events = count(home, "corporate_events")
    with zipfile.ZipFile(SAMPLES / "corporate" / "diff_20261102.zip") as zf:
        name, data = zf.namelist()[0], zf.read(zf.namelist()[0])
    renamed = tmp_path / "diff_20261102_copy.zip"
    with zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:  # other bytes, same CSV
        zf.writestr(name, data)
    again = ingest_file(home, corporate_source(), renamed)
    assert again.status == "duplicate" and again.duplicate_of == diff.load_id
    assert count(home, "corporate_events") == events


def test_a_nul_byte_in_a_corporation_name_is_quarantined(home, tmp_path):
    from registries.corporate.load import corporate_source

    with zipfile.ZipFile(SAMPLES / "corporate" / "diff_20261102.zip") as zf:
        name = zf.namelist()[0]
        lines = zf.read(name).decode("utf-8").splitlines()
    fields = lines[0].split(",")
    fields[6] = '"株式会社\x00テスト"'
    lines[0] = ",".join(fields)
    bad = tmp_path / "diff_20261121.zip"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, "\n".join(lines) + "\n")
    result = ingest_file(home, corporate_source(), bad)
    assert result.status == "quarantined"
    assert count(home, "corporate_events") == 0


def test_a_header_only_report_csv_is_not_accepted(home, tokens):
    from registries.reports.writers import csv_bytes

    with app_client(home) as client:
        r = post(client, tokens[KUMAMOTO_CITY], csv_bytes("disaster_damage", []), filename="empty.csv")
    assert r.status_code == 422 and r.json()["reasons"][0]["rule"] == "empty"


def test_a_duplicate_post_by_another_caller_gets_its_own_receipt(home, tokens):
    body = damage(YATSUSHIRO)
    with app_client(home) as client:
        first = post(client, tokens[YATSUSHIRO], body)
        again = post(client, tokens[KUMAMOTO_PREF], body)
        assert first.status_code == 202 and again.status_code == 200
        assert again.json()["submission_id"] != first.json()["submission_id"]
        own = client.get(again.json()["location"], headers={"Authorization": f"Bearer {tokens[KUMAMOTO_PREF]}"})
        assert own.status_code == 200 and own.json()["submitted_by"] == KUMAMOTO_PREF
        assert own.json()["status"] == "duplicate"


def test_queue_records_and_quarantine_reports_are_readable_by_the_owner_only(home, tokens):
    with app_client(home) as client:
        r = post(client, tokens[KUMAMOTO_CITY], damage(KUMAMOTO_CITY, dead=-1), wait=False)
        sid = r.json()["submission_id"]
        record = home.home / "intake" / "queue" / f"{sid}.json"
        if record.exists():
            assert stat.S_IMODE(record.stat().st_mode) == 0o600
        client.app.state.intake.flush()
    report = home.quarantine / sid / "report.json"
    assert report.exists() and stat.S_IMODE(report.stat().st_mode) == 0o600


_KILL_AFTER_COMMIT = """
import os, signal, sys
from pathlib import Path
from kiban.config import paths
from kiban.lake import Lake
from kiban.load.files import ingest_file
from registries.corporate.load import corporate_source
Lake.refresh_views = lambda self, con, **kw: os.kill(os.getpid(), signal.SIGKILL)
ingest_file(paths(sys.argv[1]), corporate_source(), Path(sys.argv[2]))
"""


def test_a_kill_between_commit_and_views_leaves_sql_seeing_the_commit(home):
    from kiban.query import run

    proc = subprocess.run([sys.executable, "-c", _KILL_AFTER_COMMIT, str(home.home),
                           str(SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip")], cwd=REPO)
    assert proc.returncode == -9
    assert not home.views_db.exists() or "corporations" not in home.views_db.read_bytes().decode("latin-1")
    out = run(home, "select count(*) as n from corporations", fmt="json")
    assert json.loads(out)[0]["n"] > 0  # read from the catalog: the commit is seen
    with Lake(home).writer():  # the next writer rebuilds the views file
        pass
    assert not (home.lake / ".views-stale").exists()
    assert json.loads(run(home, "select count(*) as n from corporations", fmt="json"))[0]["n"] > 0


_KILL_WHILE_STAGING = """
import os, signal, sys
from pathlib import Path
from kiban.config import paths
from kiban.load.files import ingest_file
from registries.corporate import load
real = load.stage
def stage(*a, **k):
    real(*a, **k)
    os.kill(os.getpid(), signal.SIGKILL)
load.stage = stage
ingest_file(paths(sys.argv[1]), load.corporate_source(), Path(sys.argv[2]))
"""


def test_staging_left_by_a_killed_load_is_removed_by_the_next_one(home):
    proc = subprocess.run([sys.executable, "-c", _KILL_WHILE_STAGING, str(home.home),
                           str(SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip")], cwd=REPO)
    assert proc.returncode == -9
    left = [p for p in home.staging.iterdir() if p.is_dir()]
    assert left and any((p / ".owner").exists() for p in left)
    assert sweep_staging(home) == len(left)
    assert not [p for p in home.staging.iterdir() if p.is_dir()]


def test_raw_bytes_of_every_refused_submission_are_kept(home, tokens):
    with app_client(home) as client:
        r = post(client, tokens[YATSUSHIRO], damage(KUMAMOTO_CITY))
    assert r.status_code == 403
    assert RawArchive(home.raw).path_for(r.json()["sha256"]).exists()


def test_a_replacement_dropping_most_of_a_large_scope_is_held_and_a_small_change_is_not(home, monkeypatch):
    from kiban.lake import LAKE
    from kiban.load.guards import check_scope_replacement
    from registries.errors import SourceError

    with Lake(home).writer() as writer:
        writer.con.execute(f"CREATE TABLE {LAKE}.t AS SELECT range AS i, 'x' AS scope FROM range(200)")
    with Lake(home).writer() as writer:
        check_scope_replacement(writer, "t", "scope = 'x'", 150, "f.csv")  # a quarter fewer: applied
        with pytest.raises(SourceError, match="held for review"):
            check_scope_replacement(writer, "t", "scope = 'x'", 50, "f.csv")
        check_scope_replacement(writer, "t", "scope = 'y'", 0, "f.csv")  # an empty scope stays empty
        monkeypatch.setenv("KIBAN_ALLOW_SHRINK", "1")
        check_scope_replacement(writer, "t", "scope = 'x'", 0, "f.csv")  # the operator means it
