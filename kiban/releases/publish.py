"""``kiban publish``: freeze the current lake state into an immutable, verifiable release (公開版の作成).

Reads the views file (one consistent lake snapshot, never blocked by writers), writes each dataset as sorted,
partitioned zstd Parquet into ``releases/.incoming-<id>/``, re-runs the blocking checks on exactly those files,
adds the catalog (data dictionary, datapackage.json, DCAT), renames the folder to its version, adds the views
file, writes ``manifest.json`` last and then moves ``latest``. See :mod:`kiban.releases.store` for visibility.

``progress`` (default none) is called after each durable step with ``(step, done, total)``: ``incoming``,
``dataset <name>`` per dataset, ``catalog``, ``renamed``, ``views``, ``manifest``, ``latest``. The CLI draws a progress
bar from it; the kill tests pause there and SIGKILL the process (``tests/releases/publish_until.py``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from kiban.config import Paths
from kiban.lake import Lake
from kiban.load.runner import owned
from kiban.releases import checks, manifest, objectstore, views
from kiban.releases.retention import RetentionPolicy, expired
from kiban.releases.store import LATEST_DB, MANIFEST, ReleaseStore, write_atomic
from kiban.releases.write import PART_PREFIX, primary_geometry, write_dataset
from quality.rules import Rule
from schemas.contract import Contract

#: contract groups that are platform bookkeeping, not open data (their content goes into the manifest lineage)
PRIVATE_GROUPS = frozenset({"platform"})


@dataclass(frozen=True)
class PublishResult:
    version: str
    path: Path
    manifest: dict[str, Any]
    removed: list[str]

    def summary(self) -> str:
        ds = self.manifest["datasets"]
        rows = ", ".join(f"{k}={v['rows']}" for k, v in ds.items())
        return (f"published release {self.version} (lake snapshot {self.manifest['lake']['snapshot_id']}; "
                f"{len(ds)} datasets: {rows}) at {self.path}")


#: ``progress(step, done, total)``: called after each step of a publish (see the module docstring).
Progress = Callable[[str, int, int], None]
#: steps besides one per dataset: incoming, catalog, renamed, views, manifest, latest
FIXED_STEPS = 6


@contextlib.contextmanager
def _publish_lock(store: ReleaseStore) -> Iterator[None]:
    store.root.mkdir(parents=True, exist_ok=True)
    with open(store.root / ".publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def publishable(con: duckdb.DuckDBPyConnection, contracts: Mapping[str, Contract]) -> list[str]:
    """Lake tables (views) that have a public contract; a dataset that is a view over others (``derived_sql``,
    e.g. ``report_submissions`` over the ledger) only once it has rows."""
    from kiban.duck import quote_ident

    names = [r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
    public = [n for n in names if n in contracts and contracts[n].group not in PRIVATE_GROUPS]
    return [n for n in public if contracts[n].derived_sql is None
            or con.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(n)})").fetchone()[0]]


def _snapshot(con: duckdb.DuckDBPyConnection, lake: Lake) -> dict[str, Any]:
    snapshot_id, refreshed = con.execute("SELECT snapshot_id, refreshed_at FROM _kiban_snapshot").fetchone()
    snapshot_time = None
    with contextlib.suppress(duckdb.Error), lake.catalog_reader() as cat:
        row = cat.execute("SELECT snapshot_time FROM ducklake_snapshots('lake') WHERE snapshot_id = ?",
                          [snapshot_id]).fetchone()
        snapshot_time = row[0].isoformat() if row else None
    return {
        "snapshot_id": snapshot_id,
        "snapshot_time": snapshot_time,
        "views_refreshed_at": refreshed.isoformat() if refreshed else None,
        "time_travel": f"SELECT * FROM lake.<table> AT (VERSION => {snapshot_id})",
    }


def _dataset_entry(contract: Contract, files: list[dict[str, Any]], quality: dict[str, Any],
                   lineage: list[dict[str, Any]], coverage: dict[str, Any]) -> dict[str, Any]:
    geom = primary_geometry(contract)
    return {
        "title_ja": contract.title_ja, "title_en": contract.title_en, "description": contract.description,
        "group": contract.group, "owner": contract.owner,
        "schema_version": contract.version, "schema_hash": contract.schema_hash(),
        "schema": manifest.schema_of(contract),
        "primary_key": list(contract.primary_key), "sort_by": list(contract.sort_by),
        "partition_by": list(contract.partition_by),
        "partition_dirs": [f"{PART_PREFIX}{c}" for c in contract.partition_by],
        "format": "geoparquet" if geom else "parquet",
        **({"geometry_column": geom, "crs": "EPSG:6668 (JGD2011 lon/lat)"} if geom else {}),
        "rows": sum(f["rows"] for f in files), "bytes": sum(f["bytes"] for f in files),
        "files": [f["path"] for f in files],
        "licence": contract.licence, "attribution": contract.attribution, "cadence": contract.cadence,
        **coverage,
        "quality": {k: v for k, v in quality.items() if k != "results"},
        "lineage": lineage,
    }


def publish(paths: Paths, *, contracts: Mapping[str, Contract] | None = None,
            rules: Mapping[str, Sequence[Rule]] | None = None, datasets: Sequence[str] | None = None,
            policy: RetentionPolicy | None = None, now: datetime | None = None,
            echo: Callable[[str], None] = lambda s: None, progress: Progress | None = None) -> PublishResult:
    """Publish the current lake state as a new release; raises :class:`checks.PublishBlocked` on failed checks.

    ``progress(step, done, total)`` is called after each step (default: nothing is reported).
    """
    from kiban.catalog import artefacts
    from kiban.catalog.coverage import coverage
    from quality.datadocs import build_for_release
    from schemas import all_contracts

    contracts = dict(contracts if contracts is not None else all_contracts())
    rules = dict(rules or {})
    policy = policy or RetentionPolicy.from_env()
    store = ReleaseStore.of(paths)
    remote = objectstore.configured()  # KIBAN_RELEASES=s3://...: uploaded after the local release, manifest last
    lake = Lake(paths)
    done = 0

    def _step(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(name, done, total)

    with _publish_lock(store):
        store.sweep()
        lake.repair_views()  # a writer killed after its commit: publish the views of that commit, not the catalog
        con = lake.reader()
        try:
            snapshot = _snapshot(con, lake)
            names = [n for n in publishable(con, contracts) if datasets is None or n in datasets]
        except BaseException:
            con.close()
            raise
        total = len(names) + FIXED_STEPS + (remote is not None)
        incoming = store.new_incoming()
        workdir = owned(paths.staging / f"release-checks-{incoming.name[10:]}")
        try:
            _step("incoming")
            written: dict[str, list[dict[str, Any]]] = {}
            quality: dict[str, dict[str, Any]] = {}
            reports: list[Any] = []
            failures: dict[str, list[str]] = {}
            for name in names:
                contract = contracts[name]
                files = write_dataset(con, contract, name, incoming / name)
                written[name] = [manifest.file_entry(incoming, f.path, f.rows, name) for f in files]
                echo(f"  wrote {name}: {sum(f.rows for f in files):,} rows in {len(files)} file(s)")
                _step(f"dataset {name}")
                report = checks.check_dataset(con, contract, [f.path for f in files], rules.get(name, ()),
                                              workdir)
                quality[name] = checks.summary(report)
                reports.append(report)
                if not report.success:
                    failures[name] = [r.name for r in report.blocking_failures()]
            if failures:
                raise checks.PublishBlocked(failures)
            datasets_meta = {n: _dataset_entry(contracts[n], written[n], quality[n], manifest.lineage(con, n),
                                               coverage(con, contracts[n], n, primary_geometry(contracts[n])))
                             for n in names}
        except BaseException:
            checks.clean(workdir)
            import shutil

            shutil.rmtree(incoming, ignore_errors=True)
            raise
        finally:
            con.close()
        checks.clean(workdir)

        version = store.next_version(now)
        created = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        doc: dict[str, Any] = {
            "format": manifest.MANIFEST_FORMAT, "version": version, "created_at": created,
            "lake": snapshot, "retention": policy.describe(), "datasets": datasets_meta,
            "sql": {"release_db": views.RELEASE_DB, "note": views.NOTE},
            "reading": {
                "partitions": "Partition folders are part_<column>=<value>; the column itself is inside every "
                              "file with its contract type. Read with hive partitioning off, or pin part_* "
                              "to string.",
            },
        }
        doc["files"] = [f for n in names for f in written[n]]
        for name, page in build_for_release(incoming, version, reports).items():
            doc["datasets"][name]["quality"]["data_docs"] = page
        extra = artefacts.write_release_artefacts(incoming, doc, contracts, quality)
        extra += sorted(p for p in (incoming / "quality").rglob("*") if p.is_file())
        doc["files"] += [manifest.file_entry(incoming, p) for p in extra]
        _step("catalog")
        root = store.root / version
        os.rename(incoming, root)
        _step("renamed")
        views.build_views(root, doc)
        _step("views")
        write_atomic(root / MANIFEST, manifest.dumps(doc))
        _step("manifest")
        views.build_views(root, doc, target=store.root / LATEST_DB)
        store.point_latest(version)
        _step("latest")
        if remote is not None:
            echo(f"  uploaded to {remote.upload(root, doc)}")
            _step("uploaded")
        removed = expired(store.versions(), policy, version)
        for v in removed:
            store.remove(v)
            if remote is not None and v in remote.versions():
                remote.remove(v)
        return PublishResult(version, root, doc, removed)
