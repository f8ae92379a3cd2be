"""Dagster runs of the server and cluster profiles started at the same moment, as a national backfill starts
them: every run succeeds (their instance storage is PostgreSQL, where a failed statement aborts its whole
transaction, so two runs racing to create the ``lake`` pool's row broke the second one)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.cluster

RUNS = 6

RUN = """
import pathlib, sys, time
import dagster as dg
from kiban.config import paths
from kiban.orchestration import instance
from pipelines.lake import LAKE_POOL

@dg.asset(pool=LAKE_POOL)
def pooled_write() -> int:
    return 1

go = pathlib.Path(sys.argv[1])
with instance(paths()) as inst:
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    result = dg.materialize([pooled_write], instance=inst, raise_on_error=False)
print("succeeded" if result.success else "failed", flush=True)
"""


@pytest.mark.parametrize("profile", ["server", "cluster"])
def test_runs_started_together_on_a_postgresql_instance_all_succeed(cluster, profile):
    env = cluster.process_env(KIBAN_PROFILE=profile, KIBAN_DAGSTER_PG_URL=cluster.pg.url(cluster.pg.create_database()))
    # the instance's tables exist before any run, as after `dagster instance migrate` at deploy
    subprocess.run([sys.executable, "-c", "from kiban.config import paths\nfrom kiban.orchestration import instance\n"
                    "instance(paths()).dispose()"], env=env, check=True, timeout=300)
    go = cluster.root / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RUN, str(go)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(RUNS)]
    cluster.procs += procs
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()
    go.touch()
    outs = [p.communicate(timeout=600) for p in procs]
    failures = [err[-2500:] for p, (out, err) in zip(procs, outs, strict=True)
                if p.returncode or out.split()[-1:] != ["succeeded"]]
    assert not failures, failures[0]
