"""The landing sensor batches every ready file into ONE run request; the run stores them all."""

from __future__ import annotations

import json
import os
import time

import dagster as dg
from intake_testkit import KUMAMOTO_CITY, YATSUSHIRO, damage

from pipelines.lake import LakeResource
from pipelines.reports.assets import reports_intake, reports_landing_sensor
from pipelines.reports.checks import checks as derived_checks


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
    resources = {"lake": LakeResource(home=str(home.home))}
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
        result = dg.materialize([reports_intake, *derived_checks], run_config=request.run_config,
                                resources=resources, instance=instance)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
        # the batch holds disaster_damage reports only: the checks of that type, and those of reports_latest
        assert {c.asset_key.to_user_string() for c in checks} == {"report_disaster_damage", "reports_latest"}
        assert {c.check_name for c in checks if c.asset_key == dg.AssetKey("reports_latest")} == {
            "key_unique", "matches_versions"}
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
