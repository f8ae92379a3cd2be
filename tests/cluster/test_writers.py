"""Four writer processes on one shared lake (DuckLake on PostgreSQL, data on S3) at once: nothing lost, nothing
twice, every load in the ledger once, and the catalog consistent with the objects on S3."""

from __future__ import annotations

import pytest
from cluster_parts import abr_sets, report_files, results

pytestmark = pytest.mark.cluster

WRITERS = 4


def shares(cluster, tmp_path, reports_per_area: int = 3, areas: int = 12) -> list[list[str]]:
    """Writer arguments: the municipalities' report files dealt round-robin (each municipality's versions stay in
    one writer, in order), and one ABR set each (then the rest round-robin)."""
    by_area = sorted(report_files(reports_per_area).items())[:areas]
    sets = abr_sets(tmp_path / "abr_sets")
    args: list[list[str]] = [[] for _ in range(WRITERS)]
    reports: list[list[str]] = [[] for _ in range(WRITERS)]
    for i, (_, files) in enumerate(by_area):
        reports[i % WRITERS] += [str(f) for f in files]
    for i in range(WRITERS):
        args[i] = ["--batch", "2", "--reports", *reports[i], "--abr", *[str(s) for s in sets[i::WRITERS]]]
    return args


def test_four_writer_processes_commit_at_once_and_lose_nothing(cluster, tmp_path):
    procs = [cluster.writer(*a, home=f"home{i}") for i, a in enumerate(shares(cluster, tmp_path))]
    outs = [p.communicate(timeout=1200) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert results(out)[-1]["event"] == "done"
    loads = [r for out, _ in outs for r in results(out) if r["event"] == "load"]
    assert len({r["load_id"] for r in loads}) == len(loads)
    assert {r["status"] for r in loads} >= {"loaded"}

    # every load the writers were told about is in the ledger exactly once, with the same status
    ledger = cluster.query("SELECT load_id, status, count(*) OVER (PARTITION BY load_id) FROM loads")
    assert all(n == 1 for _, _, n in ledger)
    assert {lid: st for lid, st, _ in ledger} == {r["load_id"]: r["status"] for r in loads}

    # report versions: exactly the rows the loads reported, none twice
    by_file = dict(cluster.query("SELECT sha256, count(*) FROM report_versions GROUP BY 1"))
    told: dict[str, int] = {}  # the same content sent twice is one load and one duplicate
    for r in loads:
        if r["source"] == "reports" and r["rows"].get("report_versions"):
            told[r["sha256"]] = told.get(r["sha256"], 0) + r["rows"]["report_versions"]
    assert by_file == told
    assert cluster.query("SELECT count(*) - count(DISTINCT report_id) FROM report_versions") == [(0,)]
    # reports_latest was rebuilt by concurrent loads (each a whole-table replacement): it matches the versions
    latest = cluster.query("SELECT count(*) FROM reports_latest")[0][0]
    keys = cluster.query("SELECT count(*) FROM (SELECT DISTINCT report_type, lg_code, subject_key, as_of "
                         "FROM report_versions)")[0][0]
    assert latest == keys

    # ABR sets, one table each, loaded by different writers: every table holds what its load stored
    for r in (r for r in loads if r["source"] == "abr" and r["status"] == "loaded"):
        for table, n in r["rows"].items():
            assert cluster.query(f'SELECT count(*) FROM "{table}"') == [(n,)], table

    # the catalog lists only files that exist on S3
    listed = {f for (table,) in cluster.query("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")
              for (f,) in cluster.query("SELECT data_file FROM ducklake_list_files('lake', ?)", [table])}
    on_s3 = {f"s3://{cluster.bucket}/{k}" for k in cluster.s3.keys(cluster.bucket, "lake/")}
    assert listed and listed <= on_s3


def test_commit_latencies_are_reported_per_writer(cluster, tmp_path):
    """Each writer reports its commits; with four at once every one of them finished (none starved)."""
    args = shares(cluster, tmp_path, reports_per_area=1, areas=8)
    procs = [cluster.writer(*[a for a in arg if not a.endswith(".set.zip") and a != "--abr"], home=f"h{i}")
             for i, arg in enumerate(args)]
    outs = [p.communicate(timeout=900) for p in procs]
    commits = [[r for r in results(out) if r["event"] == "commit"] for out, _ in outs]
    assert all(p.returncode == 0 for p in procs), [e[-2000:] for _, e in outs]
    assert all(len(c) >= 1 for c in commits)
    versions = cluster.query("SELECT count(*) FROM report_versions")[0][0]
    assert versions == sum(r["rows"].get("report_versions", 0) for out, _ in outs for r in results(out)
                           if r["event"] == "load")
