"""公開版 (release): freeze the lake into an immutable, versioned release (``kiban.releases.publish``).

The asset depends on every lake dataset that has a public contract. It is materialised after any registry dataset
updates (a 差分, ABR, 地図XML or master load), once nothing upstream is running -- not on a clock that guesses when
the 差分 is done. Updates of the continuously written datasets (reports, indicators) do not publish by themselves:
they are served live and go into the next release. It re-runs the blocking checks on the files it is about to
release and fails -- publishing nothing, leaving ``latest`` where it was -- when any fails; the check
``manifest_verifies`` then recomputes every checksum of the release it wrote.

No ``from __future__ import annotations``: Dagster reads the resource annotations at runtime.
"""

import dagster as dg

from kiban.releases.checks import PublishBlocked
from kiban.releases.manifest import verify
from kiban.releases.publish import PRIVATE_GROUPS, publish
from pipelines.automation import after_registry_loads
from pipelines.lake import LakeResource
from schemas import all_contracts

GROUP = "releases"


def public_datasets() -> list[str]:
    return [n for n, c in all_contracts().items() if c.group not in PRIVATE_GROUPS]


def live_datasets() -> list[str]:
    """Public datasets written continuously (reports, indicators): they do not trigger a release."""
    return [n for n in public_datasets() if all_contracts()[n].cadence == "continuous"]


@dg.asset(
    name="release", group_name=GROUP, owners=["team:kiban"], kinds={"parquet", "duckdb"}, deps=public_datasets(),
    automation_condition=after_registry_loads(dg.AssetSelection.assets(*live_datasets())),
    check_specs=[dg.AssetCheckSpec("manifest_verifies", asset="release",
                                   description="Every file the manifest lists has its size and sha256; no data "
                                               "file is unlisted.")],
    description="Immutable versioned release under KIBAN_HOME/releases/<YYYY-MM-DD.N>/ with manifest, catalog and "
                "SQL views; moves `latest` atomically. Fails when blocking checks fail.",
)
def release(context: dg.AssetExecutionContext, lake: LakeResource):
    try:
        result = publish(lake.paths(), echo=context.log.info)
    except PublishBlocked as e:
        raise dg.Failure(description=str(e), metadata={"failures": dg.MetadataValue.json(e.failures)}) from e
    m = result.manifest
    yield dg.MaterializeResult(metadata={
        "version": m["version"],
        "lake_snapshot_id": m["lake"]["snapshot_id"],
        "path": dg.MetadataValue.path(str(result.path)),
        "summary": result.summary(),
        "datasets": dg.MetadataValue.int(len(m["datasets"])),
        "rows": dg.MetadataValue.json({n: d["rows"] for n, d in m["datasets"].items()}),
        "removed_by_retention": dg.MetadataValue.json(result.removed),
    })
    problems = verify(result.path, m)
    yield dg.AssetCheckResult(check_name="manifest_verifies", passed=not problems, metadata={
        "files": len(m["files"]), "mismatches": dg.MetadataValue.json([str(p) for p in problems[:50]]),
    })
