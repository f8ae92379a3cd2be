"""Where the lake lives, chosen by configuration (ADR 0008): the DuckLake catalog and the data path.

=========================  ==========================================  ============================================
setting                    laptop / one server (default)               cluster profile
=========================  ==========================================  ============================================
``KIBAN_LAKE_CATALOG``     unset: ``KIBAN_HOME/lake/catalog.ducklake``  ``postgres://user:pass@host:5432/db``
                           (a DuckDB file, one writer at a time)        (or a DuckLake string ``ducklake:postgres:…``)
``KIBAN_LAKE_DATA``        unset: ``KIBAN_HOME/lake/data/``             ``s3://bucket/prefix/`` (or a shared folder)
=========================  ==========================================  ============================================

With a PostgreSQL catalog the lake is **shared**: several processes (Dagster runs, intake replicas) write at
once. There is no process-wide file lock and no views file; DuckLake settles commit races itself (a transaction
that lost the race is retried against the new snapshot when its changes do not conflict) and the load retries a
real conflict (:data:`CONFLICT_RETRIES`). Readers attach the catalog read-only, pinned to one snapshot.

S3-compatible storage (AWS S3, an on-premises store, moto in the tests) is configured from the environment:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (optional ``AWS_SESSION_TOKEN``), ``AWS_REGION`` (default
``ap-northeast-1``) and ``KIBAN_S3_ENDPOINT`` (``http://host:port`` for a store other than AWS; path-style URLs).
DuckDB reads and writes through its httpfs extension (a connection-scoped secret); releases use boto3 with the
same settings (:func:`S3Settings.client`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb

from kiban.config import Paths
from kiban.duck import quote_literal

CATALOG_ENV = "KIBAN_LAKE_CATALOG"
DATA_ENV = "KIBAN_LAKE_DATA"

#: DuckLake's own retries of a commit that lost a race without a logical conflict (DuckDB settings, per
#: connection). DuckLake's defaults (10 tries, 100 ms, x1.5) give up under a burst of many writers; these keep
#: trying for ~15 s in total with short first waits, since a lost race is settled in one catalog round trip.
COMMIT_RETRY = {
    "ducklake_max_retry_count": int(os.environ.get("KIBAN_LAKE_COMMIT_RETRIES", "20")),
    "ducklake_retry_wait_ms": int(os.environ.get("KIBAN_LAKE_COMMIT_RETRY_WAIT_MS", "25")),
    "ducklake_retry_backoff": float(os.environ.get("KIBAN_LAKE_COMMIT_RETRY_BACKOFF", "1.3")),
}
#: A real conflict (two writers replaced rows of one table, or created it at once) aborts one transaction; the
#: load runs its store again on the new snapshot this many times before it gives up and reports the conflict.
CONFLICT_RETRIES = int(os.environ.get("KIBAN_LAKE_CONFLICT_RETRIES", "30"))


class LakeConflict(RuntimeError):
    """A commit lost to a concurrent, conflicting commit (shared catalog): nothing of it is visible; retry."""


def is_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error is a DuckLake commit conflict (retryable on a new snapshot)."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc)
    return "Transaction conflict" in text or "Failed to commit DuckLake transaction" in text


@dataclass(frozen=True)
class S3Settings:
    """S3-compatible storage settings from the environment (never logged: the secret stays in memory)."""

    region: str
    endpoint: str | None = None  # http(s)://host:port of a store other than AWS
    key_id: str | None = None
    secret: str | None = None
    session_token: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> S3Settings:
        e = os.environ if env is None else env
        return cls(region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "ap-northeast-1",
                   endpoint=e.get("KIBAN_S3_ENDPOINT") or None, key_id=e.get("AWS_ACCESS_KEY_ID") or None,
                   secret=e.get("AWS_SECRET_ACCESS_KEY") or None, session_token=e.get("AWS_SESSION_TOKEN") or None)

    def secret_sql(self, name: str = "kiban_s3") -> str:
        """``CREATE SECRET`` for DuckDB's httpfs (values quoted as literals; they come from the environment)."""
        options = ["TYPE s3", f"REGION {quote_literal(self.region)}"]
        if self.key_id and self.secret:
            options += [f"KEY_ID {quote_literal(self.key_id)}", f"SECRET {quote_literal(self.secret)}"]
            if self.session_token:
                options.append(f"SESSION_TOKEN {quote_literal(self.session_token)}")
        if self.endpoint:
            parts = urlsplit(self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}")
            options += [f"ENDPOINT {quote_literal(parts.netloc)}", "URL_STYLE 'path'",
                        f"USE_SSL {'true' if parts.scheme == 'https' else 'false'}"]
        return f"CREATE OR REPLACE TEMPORARY SECRET {name} ({', '.join(options)})"

    def client(self) -> Any:
        """A boto3 S3 client with these settings."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", region_name=self.region, endpoint_url=self.endpoint, aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret, aws_session_token=self.session_token,
            config=Config(s3={"addressing_style": "path" if self.endpoint else "auto"},
                          retries={"max_attempts": 5, "mode": "standard"}))


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix/`` -> ``("bucket", "prefix/")`` (the prefix ends with ``/`` unless empty)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    prefix = parts.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return parts.netloc, prefix


def postgres_dsn(url: str) -> tuple[str, str | None]:
    """``postgres://user:pass@host:port/db?sslmode=require&schema=kiban`` -> (libpq key=value DSN, schema).

    ``schema`` (optional) is the PostgreSQL schema that holds the DuckLake metadata tables (DuckLake's
    ``METADATA_SCHEMA``), so one database can hold several lakes; other query parameters go to libpq.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a postgres:// URL: {url!r}")
    fields: dict[str, str] = {}
    if parts.path.strip("/"):
        fields["dbname"] = unquote(parts.path.strip("/"))
    if parts.hostname:
        fields["host"] = parts.hostname
    if parts.port:
        fields["port"] = str(parts.port)
    if parts.username:
        fields["user"] = unquote(parts.username)
    if parts.password:
        fields["password"] = unquote(parts.password)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    schema = query.pop("schema", None)
    fields.update(query)
    for key, value in fields.items():
        if any(c in value for c in " '\\"):
            fields[key] = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return " ".join(f"{k}={v}" for k, v in fields.items()), schema


@dataclass(frozen=True)
class LakeBackend:
    """The catalog and data path of one lake, and how to reach them."""

    catalog: str  # what follows ``ducklake:`` in ATTACH: a file path, or ``postgres:<libpq DSN>``
    data_path: str  # ends with "/": a local folder or s3://bucket/prefix/
    shared: bool  # several writer processes at once (PostgreSQL catalog): no file lock, no views file
    postgres: str | None = None  # libpq DSN of a PostgreSQL catalog (direct queries: the head snapshot)
    metadata_schema: str | None = None
    s3: S3Settings | None = None

    @property
    def remote_data(self) -> bool:
        return self.data_path.startswith("s3://")

    @property
    def extensions(self) -> tuple[str, ...]:
        """DuckDB extensions a connection to this lake loads (besides what the caller needs)."""
        return ("ducklake",) + (("postgres",) if self.postgres else ()) + (("httpfs",) if self.remote_data else ())

    def describe(self) -> str:
        where = "PostgreSQL" if self.postgres else self.catalog
        return f"DuckLake catalog {where}, data {self.data_path}"

    def prepare(self, con: duckdb.DuckDBPyConnection, *, writer: bool = False) -> None:
        """Credentials for the data path, and the commit retry settings of a shared catalog's writer."""
        if self.s3 is not None:
            con.execute(self.s3.secret_sql())
        if writer and self.shared:
            for name, value in COMMIT_RETRY.items():
                con.execute(f"SET {name} = {value}")

    def attach_sql(self, alias: str, *, read_only: bool, options: list[str]) -> str:
        """ATTACH of the catalog as ``alias`` with ``options`` (DATA_PATH and METADATA_SCHEMA added here)."""
        opts = [f"DATA_PATH {quote_literal(self.data_path)}", *options]
        if self.metadata_schema:
            opts.append(f"METADATA_SCHEMA {quote_literal(self.metadata_schema)}")
        if read_only:
            opts.append("READ_ONLY")
        return f"ATTACH {quote_literal('ducklake:' + self.catalog)} AS {alias} ({', '.join(opts)})"

    # -- direct catalog queries (PostgreSQL) -------------------------------------------------------------------
    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        import psycopg2

        pg = psycopg2.connect(self.postgres, connect_timeout=10)
        try:
            pg.autocommit = True
            with pg.cursor() as cur:
                yield cur
        finally:
            pg.close()

    def _meta(self, table: str) -> str:
        schema = self.metadata_schema or "public"
        return f'"{schema.replace(chr(34), "")}"."{table}"'

    def catalog_exists(self) -> bool:
        """Whether the PostgreSQL catalog holds DuckLake's metadata tables yet."""
        with self._cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [self._meta("ducklake_snapshot")])
            return bool(cur.fetchone()[0])

    def head(self) -> int | None:
        """The newest snapshot id of a PostgreSQL catalog (one indexed query; None before the first attach)."""
        with self._cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [self._meta("ducklake_snapshot")])
            if not cur.fetchone()[0]:
                return None
            cur.execute(f"SELECT max(snapshot_id) FROM {self._meta('ducklake_snapshot')}")
            return cur.fetchone()[0]


    def snapshot_time(self, snapshot_id: int) -> datetime:
        """When a snapshot of a PostgreSQL catalog was committed (UTC, whole seconds)."""
        with self._cursor() as cur:
            cur.execute(f"SELECT snapshot_time FROM {self._meta('ducklake_snapshot')} WHERE snapshot_id = %s",
                        [snapshot_id])
            row = cur.fetchone()
        if row is None:
            raise LookupError(f"no snapshot {snapshot_id}")
        at = row[0] if row[0].tzinfo else row[0].replace(tzinfo=UTC)
        return at.astimezone(UTC).replace(microsecond=0)


def backend(paths: Paths, env: dict[str, str] | None = None) -> LakeBackend:
    """The lake of ``paths`` as configured (``KIBAN_LAKE_CATALOG``, ``KIBAN_LAKE_DATA``; see the module doc)."""
    e = os.environ if env is None else env
    catalog = (e.get(CATALOG_ENV) or "").strip()
    data = (e.get(DATA_ENV) or "").strip()
    if data.startswith("s3://"):
        bucket, prefix = split_s3(data)
        data_path = f"s3://{bucket}/{prefix}"
        s3 = S3Settings.from_env(e)
    else:
        data_path = (str(paths.lake_data) if not data else os.path.abspath(data)).rstrip("/") + "/"
        s3 = None
    if not catalog:
        return LakeBackend(str(paths.catalog), data_path, shared=False, s3=s3)
    if catalog.startswith(("postgres://", "postgresql://")):
        dsn, schema = postgres_dsn(catalog)
        return LakeBackend(f"postgres:{dsn}", data_path, shared=True, postgres=dsn, metadata_schema=schema, s3=s3)
    if catalog.startswith("ducklake:postgres:"):
        dsn = catalog.removeprefix("ducklake:postgres:")
        return LakeBackend(f"postgres:{dsn}", data_path, shared=True, postgres=dsn, s3=s3)
    if catalog.startswith("ducklake:"):
        raise ValueError(f"{CATALOG_ENV}={catalog.split(':', 2)[1]}:...: Kiban runs DuckLake on a DuckDB file "
                         "(leave the variable unset) or on PostgreSQL (postgres://...)")
    raise ValueError(f"{CATALOG_ENV} must be a postgres:// URL or a ducklake:postgres: string (unset: the "
                     "DuckDB file under KIBAN_HOME)")


def shared(paths: Paths) -> bool:
    """Whether the lake of ``paths`` is shared by several writer processes (the cluster profile)."""
    return backend(paths).shared
