"""公開版 (release): freeze the lake into an immutable, versioned release on a schedule (kiban.releases.publish).

The asset depends on every lake dataset that has a public contract, by asset key. It re-runs the blocking checks on
the files it is about to release and fails -- publishing nothing, leaving ``latest`` where it was -- when any fails.
"""

from pathlib import Path

import dagster as dg

from kiban.releases.checks import PublishBlocked
from kiban.releases.publish import PRIVATE_GROUPS, publish
from pipelines.common import OWNER, KibanHome


def lake_dataset_keys() -> list[dg.AssetKey]:
    from schemas import all_contracts

    return [dg.AssetKey(n) for n, c in all_contracts().items() if c.group not in PRIVATE_GROUPS]


def build_release_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(name="release", group_name="publish", owners=[OWNER], kinds={"parquet", "duckdb"}, deps=upstream,
              description="Immutable versioned release under KIBAN_HOME/releases/<YYYY-MM-DD.N>/ with manifest, "
                          "catalog and SQL views; moves `latest` atomically. Fails when blocking checks fail.")
    def release(context: dg.AssetExecutionContext, kiban: KibanHome) -> dg.MaterializeResult:
        try:
            result = publish(kiban.paths(), echo=context.log.info)
        except PublishBlocked as e:
            raise dg.Failure(description=str(e), metadata={"failures": dg.MetadataValue.json(e.failures)}) from e
        m = result.manifest
        return dg.MaterializeResult(metadata={
            "version": m["version"],
            "lake_snapshot_id": m["lake"]["snapshot_id"],
            "path": dg.MetadataValue.path(str(result.path)),
            "rows": dg.MetadataValue.json({n: d["rows"] for n, d in m["datasets"].items()}),
            "removed_by_retention": dg.MetadataValue.json(result.removed),
        })

    return release


release = build_release_asset(lake_dataset_keys())
release_job = dg.define_asset_job("publish_release", selection=[release])
# daily after the 差分 load (07:00 JST) has had time to finish
release_schedule = dg.ScheduleDefinition(job=release_job, cron_schedule="0 9 * * *", execution_timezone="Asia/Tokyo",
                                         name="publish_release_daily")

assets = [release]
jobs = [release_job]
schedules = [release_schedule]
sensors: list = []


def resources(samples_dir: Path | None) -> dict[str, object]:
    return {}


def sample_partitions(samples_dir: Path) -> dict[str, list[str]]:
    return {}
