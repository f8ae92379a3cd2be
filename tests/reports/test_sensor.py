"""The landing sensor batches every ready file into ONE run request; the run stores them all."""

from __future__ import annotations

import json
import os
import time

import dagster as dg
from intake_testkit import KUMAMOTO_CITY, YATSUSHIRO, damage
from pipelines.common import KibanHome

from pipelines.reports.assets import reports_intake, reports_landing_sensor


def _drop(folder, name: str, body: dict, age: float = 60) -> None:
    p = folder / name
    p.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    at = time.time() - age
    os.utime(p, (at, at))


def test_sensor_batches_ready_files_into_one_run(home):
    _drop(home.landing, "a.json", damage(seq=1))
    _drop(home.landing, "b.json", damage(seq=2, dead=4))
    _drop(home.landing, "c.json", damage(lg=YATSUSHIRO))
    _drop(home.landing, ".d.json.tmp", damage(seq=9))  # writer's temporary name, renamed in later
    resources = {"kiban": KibanHome(home=str(home.home))}
    with dg.instance_for_test() as instance:
        _drop(home.landing, "still-writing.json", damage(lg=YATSUSHIRO, seq=2), age=0)  # mtime not settled
        ctx = dg.build_sensor_context(instance=instance, resources=resources)
        request = reports_landing_sensor(ctx)
        assert isinstance(request, dg.RunRequest)
        files = request.run_config["ops"]["reports_intake"]["config"]["files"]
        assert sorted(files) == ["a.json", "b.json", "c.json"]
        again = reports_landing_sensor(dg.build_sensor_context(cursor=ctx.cursor, instance=instance,
                                                                resources=resources))
        assert isinstance(again, dg.SkipReason)  # requested files are not requested twice
        result = dg.materialize([reports_intake], run_config=request.run_config, resources=resources,
                                instance=instance)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
    assert sorted(p.name for p in home.landing.iterdir()) == [".d.json.tmp", "still-writing.json"]
    from kiban.lake import Lake

    con = Lake(home).reader()
    try:
        rows = con.execute("SELECT lg_code, sequence_no FROM reports_latest ORDER BY 1").fetchall()
        batches = con.execute("SELECT count(DISTINCT batch_id), count(*) FROM report_submissions").fetchone()
    finally:
        con.close()
    assert rows == [(KUMAMOTO_CITY, 2), (YATSUSHIRO, 1)]
    assert batches == (1, 3)
