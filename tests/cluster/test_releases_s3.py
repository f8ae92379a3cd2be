"""Releases on S3: files first, manifest last (written once), the ``latest`` pointer moved by a conditional put;
readers during a publish see the old or the new release, never a mix; ``kiban releases verify`` reads S3."""

from __future__ import annotations

import threading
import time

import pytest

from kiban.duck import connect
from kiban.lakeconfig import S3Settings
from kiban.releases.objectstore import ObjectReleaseStore, ReleaseExists

pytestmark = pytest.mark.cluster


def read_latest(store: ObjectReleaseStore, settings: S3Settings) -> tuple[str, dict[str, tuple[int, int]]]:
    """Resolve the pointer once, then count every dataset's rows from that version's objects."""
    version = store.latest()
    manifest = store.manifest(version)
    con = connect(extensions=("httpfs",))
    try:
        con.execute(settings.secret_sql())
        counts = {}
        for name, d in manifest["datasets"].items():
            files = [f"{store.url}{version}/{f}" for f in d["files"]]
            got = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0] if files else 0
            counts[name] = (got, d["rows"])
        return version, counts
    finally:
        con.close()


def test_a_publish_to_s3_while_readers_query_shows_old_or_new_never_a_mix(cluster, samples):
    assert cluster.kiban("ingest", "municipalities", str(samples / "municipalities" / "000925835.xls")).returncode == 0
    first = cluster.kiban("publish")
    assert first.returncode == 0, first.stderr[-3000:]
    store = ObjectReleaseStore.from_url(cluster.env["KIBAN_RELEASES"], S3Settings.from_env(cluster.env))
    v1 = store.latest()
    assert v1 is not None and store.versions() == [v1]
    keys = cluster.s3.keys(cluster.bucket, "releases/")
    assert f"releases/{v1}/manifest.json" in keys and "releases/latest.json" in keys

    settings = S3Settings.from_env(cluster.env)
    seen: list[tuple[str, dict]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(read_latest(store, settings))
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        assert cluster.kiban("ingest", "abr", str(samples / "abr")).returncode == 0
        second = cluster.kiban("publish")
        assert second.returncode == 0, second.stderr[-3000:]
        v2 = store.latest()
        end = time.monotonic() + 120
        while not any(v == v2 for v, _ in seen) and time.monotonic() < end and not errors:
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    assert not errors, errors
    assert v2 != v1 and store.versions() == [v1, v2]
    versions_seen = {v for v, _ in seen}
    assert versions_seen == {v1, v2}
    for version, counts in seen:  # every dataset of one read came from that one version, whole
        assert all(got == want for got, want in counts.values()), (version, counts)
    assert any("abr_towns" in c for v, c in seen if v == v2) and not any("abr_towns" in c for v, c in seen
                                                                           if v == v1)

    verified = cluster.kiban("releases", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"{store.url}{v2}/" in verified.stdout and "files verified" in verified.stdout
    assert cluster.kiban("releases", "verify", v1).returncode == 0


def test_verify_on_s3_finds_a_changed_object(cluster, samples):
    assert cluster.kiban("ingest", "municipalities", str(samples / "municipalities" / "000925835.xls")).returncode == 0
    assert cluster.kiban("publish").returncode == 0
    store = ObjectReleaseStore.from_url(cluster.env["KIBAN_RELEASES"], S3Settings.from_env(cluster.env))
    manifest = store.manifest("latest")
    target = next(f["path"] for f in manifest["files"] if f["path"].endswith(".parquet"))
    store.client.put_object(Bucket=store.bucket, Key=store.key(manifest["version"], target), Body=b"not parquet")
    store.client.put_object(Bucket=store.bucket, Key=store.key(manifest["version"], "extra/data_9.parquet"),
                            Body=b"x")
    verified = cluster.kiban("releases", "verify")
    assert verified.returncode == 1
    assert f"MISMATCH {target}: bytes" in verified.stderr
    assert "MISMATCH extra/data_9.parquet: unlisted" in verified.stderr


def test_the_pointer_moves_only_forward_and_only_on_its_etag(cluster, tmp_path):
    store = ObjectReleaseStore.from_url(cluster.env["KIBAN_RELEASES"], S3Settings.from_env(cluster.env))
    assert store.point_latest("2026-11-05.2")
    _, etag = store.pointer()
    assert store.point_latest("2026-11-06.1")
    # a writer holding the old ETag loses: the store answers 412 (a conditional put, not a blind overwrite)
    with pytest.raises(Exception) as lost:
        store.client.put_object(Bucket=store.bucket, Key=store.key("latest.json"), Body=b"{}", IfMatch=etag)
    assert lost.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # an older version never moves it back
    assert store.point_latest("2026-11-05.3") is False
    assert store.latest() == "2026-11-06.1"
    # racing publishers: each retries on 412 until the newest wins
    versions = [f"2026-11-07.{i}" for i in range(1, 9)]
    threads = [threading.Thread(target=store.point_latest, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert store.latest() == "2026-11-07.8"

    # a manifest is written once: publishing the same version again is refused
    root = tmp_path / "2026-11-07.8"
    root.mkdir()
    (root / "manifest.json").write_text('{"version": "2026-11-07.8", "files": []}')
    store.upload(root, {"version": "2026-11-07.8", "files": []})
    with pytest.raises(ReleaseExists):
        store.upload(root, {"version": "2026-11-07.8", "files": []})
