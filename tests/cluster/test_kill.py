"""kill -9 of one writer in the middle of its commit (blocked inside the catalog transaction), while other
writers commit: they finish, the victim's load is wholly absent, and the catalog matches the objects on S3."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from cluster_parts import report_files, results

from kiban.archive import sha256_file

pytestmark = pytest.mark.cluster


def waiting_commits(cluster) -> list[int]:
    """PostgreSQL backends of this lake blocked on a lock while writing the catalog."""
    rows = cluster.catalog(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    return [pid for pid, query in rows if "ducklake_" in (query or "")]


def test_a_writer_killed_mid_commit_leaves_the_catalog_consistent_and_the_others_finish(cluster):
    areas = sorted(report_files(2).items())
    victim_files = [str(f) for f in areas[0][1]]
    other_files = [[str(f) for f in files] for _, files in areas[1:4]]
    # a first load creates the tables, so that the writers below only append and replace
    first = cluster.writer("--reports", str(areas[5][1][0]), home="setup")
    assert first.wait(600) == 0, first.stderr.read()[-3000:]

    # hold the catalog's snapshot table against writes: every commit now blocks inside its PostgreSQL transaction
    holder = cluster.pg.connect(cluster.env["KIBAN_TEST_DATABASE"])
    holder.autocommit = False
    holder.cursor().execute("LOCK TABLE ducklake_snapshot IN EXCLUSIVE MODE")
    try:
        victim = cluster.writer("--batch", "5", "--reports", *victim_files, home="victim")
        end = time.monotonic() + 600
        while not waiting_commits(cluster) and time.monotonic() < end:
            assert victim.poll() is None, victim.stderr.read()[-3000:]
            time.sleep(0.5)
        assert waiting_commits(cluster), "the victim never reached its commit"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
        others = [cluster.writer("--batch", "1", "--reports", *files, home=f"w{i}")
                  for i, files in enumerate(other_files)]
        time.sleep(2)
    finally:
        holder.rollback()
        holder.close()
    outs = [p.communicate(timeout=900) for p in others]
    assert all(p.returncode == 0 for p in others), [e[-3000:] for _, e in outs]
    assert victim.returncode == -signal.SIGKILL

    loads = [r for out, _ in outs for r in results(out) if r["event"] == "load"]
    ledger = dict(cluster.query("SELECT load_id, status FROM loads"))
    assert {r["load_id"] for r in loads} <= set(ledger)
    assert len(ledger) == len(cluster.query("SELECT DISTINCT load_id FROM loads"))
    assert not [r for r in results(victim.stdout.read()) if r.get("event") == "load"]  # killed before its answer
    # its batch is all or nothing: the files whose versions are visible are exactly those the ledger has loaded
    victim_shas = sorted({sha256_file(Path(f)) for f in victim_files})
    in_versions = {s for (s,) in cluster.query("SELECT DISTINCT sha256 FROM report_versions WHERE "
                                               "list_contains(?, sha256)", [victim_shas])}
    in_ledger = {s for (s,) in cluster.query("SELECT sha256 FROM loads WHERE status = 'loaded' AND "
                                             "list_contains(?, sha256)", [victim_shas])}
    assert in_versions == in_ledger
    for r in (r for r in loads if r["status"] == "loaded"):
        assert cluster.query("SELECT count(*) FROM report_versions WHERE sha256 = ?", [r["sha256"]]) == [
            (r["rows"]["report_versions"],)]

    # the catalog lists only existing objects; snapshot ids have no gaps
    tables = [t for (t,) in cluster.query("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")]
    listed = {f for t in tables for (f,) in cluster.query("SELECT data_file FROM ducklake_list_files('lake', ?)", [t])}
    on_s3 = {f"s3://{cluster.bucket}/{k}" for k in cluster.s3.keys(cluster.bucket, "lake/")}
    assert listed <= on_s3
    ids = [i for (i,) in cluster.catalog("SELECT snapshot_id FROM ducklake_snapshot ORDER BY 1")]
    assert ids == list(range(ids[0], ids[0] + len(ids)))

    # the victim's files load when sent again
    again = cluster.writer("--reports", *victim_files, home="victim")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert len([r for r in results(out) if r["event"] == "load"]) == len(victim_files)
    recorded = {s for (s,) in cluster.query("SELECT sha256 FROM loads WHERE list_contains(?, sha256)",
                                            [victim_shas])}
    assert recorded == set(victim_shas)  # nothing of the killed writer's input is lost
