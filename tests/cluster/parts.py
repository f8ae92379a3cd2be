"""Real distributed parts on 127.0.0.1 for the cluster tests and benchmarks: PostgreSQL and an S3 server.

- :class:`LocalPostgres`: Debian's server binaries (``initdb``, ``pg_ctl``; ``tools/postgres-deps.sh`` installs
  them), a cluster in a temporary folder on a free port, trust authentication on 127.0.0.1 only. Run as the
  ``postgres`` user when the tests run as root (PostgreSQL refuses root). ``fsync=off``: the tests kill
  processes, never the machine, so durability of the test database's files is not what they examine.
- :class:`LocalS3`: moto's server mode (``python -m moto.server``), which speaks the S3 protocol (signatures,
  conditional puts with ``If-Match`` / ``If-None-Match``, ETags).

Both are context managers that stop what they started; ``env()`` gives the settings Kiban reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run tools/postgres-deps.sh (Debian postgresql)")
    return found


def _wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class LocalPostgres:
    """A throw-away PostgreSQL cluster; :meth:`create_database` gives each test its own database."""

    user = "kiban"

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="kiban-pg-"))
        self.port = free_port()
        self.data = self.root / "data"
        self._run_as = "postgres" if os.geteuid() == 0 else None

    def _cmd(self, *args: str) -> list[str]:
        return (["runuser", "-u", self._run_as, "--"] if self._run_as else []) + list(args)

    def start(self) -> LocalPostgres:
        if self._run_as:
            os.chmod(self.root, 0o777)
            shutil.chown(self.root, user=pwd.getpwnam(self._run_as).pw_uid)
        subprocess.run(self._cmd(pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                                 "-E", "UTF8", "--no-sync", "--locale=C"),
                       check=True, capture_output=True)
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=64MB")
        subprocess.run(self._cmd(pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                                 str(self.root / "server.log"), "-w", "-t", "120", "start"),
                       check=True, capture_output=True)
        return self

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(self._cmd(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                           capture_output=True)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        """``postgresql://`` (SQLAlchemy, and so Dagster, refuse the ``postgres://`` spelling; Kiban takes both)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        con = psycopg2.connect(self.dsn(database))
        con.autocommit = True
        return con

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        con = self.connect()
        try:
            con.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()
        return name


class LocalS3:
    """moto's S3 server on a free port of 127.0.0.1; :meth:`create_bucket` per test."""

    key_id = "kiban-test-key"
    secret = "kiban-test-secret"
    region = "ap-northeast-1"

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalS3:
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env)
        _wait_port(self.port, 60, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()

    def __enter__(self) -> LocalS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_REGION": self.region,
                "KIBAN_S3_ENDPOINT": self.endpoint}

    def client(self):
        from kiban.lakeconfig import S3Settings

        return S3Settings.from_env(self.env()).client()

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"kiban-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        out, token = [], None
        client = self.client()
        while True:
            kwargs = {"Bucket": bucket, "Prefix": prefix, **({"ContinuationToken": token} if token else {})}
            page = client.list_objects_v2(**kwargs)
            out += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return out
            token = page["NextContinuationToken"]


def cluster_env(pg: LocalPostgres, s3: LocalS3, *, database: str | None = None, bucket: str | None = None
                ) -> dict[str, str]:
    """The cluster profile's settings for one fresh lake: a database and a bucket of its own."""
    database = database or pg.create_database()
    bucket = bucket or s3.create_bucket()
    return {**s3.env(), "KIBAN_LAKE_CATALOG": pg.url(database), "KIBAN_LAKE_DATA": f"s3://{bucket}/lake/",
            "KIBAN_RELEASES": f"s3://{bucket}/releases/", "KIBAN_TEST_BUCKET": bucket,
            "KIBAN_TEST_DATABASE": database}


def results(out: str) -> list[dict]:
    """The JSON lines a writer printed."""
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def report_files(limit_per_area: int | None = None) -> dict[str, list[Path]]:
    """Sample report files by reporting municipality, in arrival order (one writer per municipality keeps the
    order of its versions, as one municipality's staff submit them)."""
    by_area: dict[str, list[Path]] = {}
    for line in (SAMPLES / "reports" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        by_area.setdefault(entry["reporter_lg_code"], []).append(SAMPLES / "reports" / "files" / entry["file"])
    if limit_per_area is not None:
        by_area = {k: v[:limit_per_area] for k, v in by_area.items()}
    return by_area


def abr_sets(folder: Path) -> list[Path]:
    """The sample ABR files as set zips (one per master, with its 位置参照拡張 files)."""
    from registries.abr.sets import build_sets, write_set

    files = sorted((SAMPLES / "abr").glob("mt_*.csv.zip"))
    return [write_set(s, folder) for s in build_sets(files)]
