"""Robust file download for every source: atomic, hashed, retried, resumable, conditional.

``download()`` streams a response body to a partial file in the destination folder while hashing it (sha256),
then renames it into place, so a target path never holds a half-written file. It retries 429/5xx responses,
timeouts and connection errors with exponential back-off and jitter (honouring ``Retry-After``), resumes an
interrupted body with ``Range``/``If-Range`` when the server answers 206 (and starts over cleanly on 200), and
makes conditional requests (``If-None-Match``/``If-Modified-Since``) that return :data:`NOT_MODIFIED` on 304.

Secrets in query strings (``id=`` application IDs, tokens, keys) never reach logs or exceptions: every URL in
a message passes through :func:`redact`.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

SECRET_PARAMS = frozenset({
    "id", "appid", "app_id", "key", "apikey", "api_key", "token", "access_token", "secret", "password",
    "subscription-key", "subscription_key", "sig", "signature",
})
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CHUNK = 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(30.0, read=120.0)


def redact(url: str | httpx.URL) -> str:
    """``url`` with the values of secret query parameters (``id``, ``token``, ``key``…) replaced by ``***``."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*/:,"), parts.fragment))


class DownloadError(Exception):
    """A download failed for good (after retries, or on a non-retryable status). The URL is redacted."""

    def __init__(self, url: str, message: str, *, status: int | None = None) -> None:
        self.url = redact(url)
        self.status = status
        super().__init__(f"{self.url}: {message}")


@dataclass(frozen=True)
class Download:
    """A completed download: where it is, its sha256 and size, and the validators for the next request."""

    path: Path
    sha256: str
    bytes: int
    url: str  # redacted
    fetched_at: datetime
    etag: str | None
    last_modified: str | None
    content_type: str | None

    @property
    def name(self) -> str:
        """The file name as saved (from ``Content-Disposition``, the URL or the caller)."""
        return self.path.name


@dataclass(frozen=True)
class NotModified:
    """The server answered 304 to a conditional request: the copy we have is current."""

    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter: ``uniform(0, min(cap, base * 2**attempt))`` (at least ``floor``)."""

    base: float = 1.0
    cap: float = 60.0
    floor: float = 0.1

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        top = min(self.cap, self.base * 2 ** attempt)
        return max(self.floor, (rng or random).uniform(0, top))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _filename(response: httpx.Response, url: str) -> str:
    cd = response.headers.get("content-disposition", "")
    m = re.search(r"filename\*\s*=\s*[^']*''([^;]+)", cd) or re.search(r'filename\s*=\s*"?([^";]+)"?', cd)
    name = unquote(m.group(1)) if m else unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    name = Path(name.replace("\\", "/")).name
    return name if name and name not in (".", "..") else "download"


def _partial_path(dest_dir: Path, method: str, url: str, data: Mapping[str, str] | None) -> Path:
    key = hashlib.sha256(f"{method} {url} {sorted((data or {}).items())}".encode()).hexdigest()[:20]
    return dest_dir / f".partial-{key}"


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        self.reason = reason
        self.wait = wait


def download(
    url: str,
    dest_dir: Path,
    *,
    client: httpx.Client | None = None,
    method: str = "GET",
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    filename: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_retries: int = 5,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    progress: Callable[[int, int | None], None] | None = None,
) -> Download | NotModified:
    """Download ``url`` into ``dest_dir`` atomically; see the module docstring.

    ``progress(done, total)`` is called as the body arrives (bytes on disk, total or None when unknown);
    the command line draws it as a bar. Default: nothing is reported.

    ``method``/``data`` allow form POSTs (the NTA download page). ``filename`` overrides the name taken from
    ``Content-Disposition`` or the URL. ``etag``/``last_modified`` make the request conditional.
    Raises :class:`DownloadError` (redacted) when retries are exhausted or the status is not retryable.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    own = client is None
    client = client or httpx.Client(follow_redirects=True, timeout=timeout)
    partial = _partial_path(dest_dir, method, url, data)
    try:
        attempt = 0
        while True:
            try:
                return _attempt(client, url, dest_dir, partial, method=method, data=data, headers=headers,
                                filename=filename, etag=etag, last_modified=last_modified, progress=progress)
            except _Retry as r:
                if attempt >= max_retries:
                    raise DownloadError(url, f"giving up after {attempt + 1} attempts: {r.reason}") from None
                wait = r.wait if r.wait is not None else backoff.delay(attempt)
                log.warning("download %s: %s; retry %d/%d in %.1fs", redact(url), r.reason, attempt + 1,
                            max_retries, wait)
                sleep(wait)
                attempt += 1
    finally:
        if own:
            client.close()


def _attempt(
    client: httpx.Client, url: str, dest_dir: Path, partial: Path, *, method: str,
    data: Mapping[str, str] | None, headers: Mapping[str, str] | None, filename: str | None,
    etag: str | None, last_modified: str | None, progress: Callable[[int, int | None], None] | None = None,
) -> Download | NotModified:
    req_headers = dict(headers or {})
    have = partial.stat().st_size if partial.exists() else 0
    validator = _read_validator(partial) if have else None
    if have and validator:
        req_headers["Range"] = f"bytes={have}-"
        req_headers["If-Range"] = validator
    if etag:
        req_headers["If-None-Match"] = etag
    if last_modified:
        req_headers["If-Modified-Since"] = last_modified
    try:
        with client.stream(method, url, data=data, headers=req_headers) as resp:
            if resp.status_code == 304:
                partial.unlink(missing_ok=True)
                return NotModified(redact(url), resp.headers.get("etag", etag),
                                   resp.headers.get("last-modified", last_modified))
            if resp.status_code in RETRY_STATUS:
                raise _Retry(f"HTTP {resp.status_code}", retry_after_seconds(resp.headers.get("retry-after")))
            if resp.status_code == 416:  # our partial is stale or complete-but-unknown: start over
                _discard(partial)
                raise _Retry("HTTP 416 on resume; restarting", 0.0)
            if resp.status_code not in (200, 206):
                raise DownloadError(url, f"HTTP {resp.status_code}", status=resp.status_code)
            resuming = resp.status_code == 206 and have > 0 and _content_range_start(resp) == have
            if not resuming:
                _discard(partial)
            _write_validator(partial, resp.headers.get("etag") or resp.headers.get("last-modified"))
            digest = _sha256(partial) if resuming else hashlib.sha256()
            expected = _expected_total(resp, have if resuming else 0)
            done = have if resuming else 0
            with partial.open("ab" if resuming else "wb") as fh:
                for chunk in resp.iter_bytes():
                    fh.write(chunk)
                    digest.update(chunk)
                    if progress is not None:
                        done += len(chunk)
                        progress(done, expected)
                fh.flush()
                os.fsync(fh.fileno())
            size = partial.stat().st_size
            if expected is not None and size != expected:
                raise _Retry(f"short body: {size} of {expected} bytes")
            target = dest_dir / (filename or _filename(resp, url))
            os.replace(partial, target)
            _validator_path(partial).unlink(missing_ok=True)
            return Download(
                path=target, sha256=digest.hexdigest(), bytes=size, url=redact(url), fetched_at=datetime.now(UTC),
                etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"),
                content_type=resp.headers.get("content-type"),
            )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise _Retry(f"{type(exc).__name__}") from None


def _discard(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    _validator_path(partial).unlink(missing_ok=True)


def _validator_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".validator")


def _read_validator(partial: Path) -> str | None:
    p = _validator_path(partial)
    return p.read_text().strip() or None if p.exists() else None


def _write_validator(partial: Path, value: str | None) -> None:
    if value:
        _validator_path(partial).write_text(value)
    else:
        _validator_path(partial).unlink(missing_ok=True)


def _content_range_start(resp: httpx.Response) -> int | None:
    m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("content-range", ""))
    return int(m.group(1)) if m else None


def _expected_total(resp: httpx.Response, offset: int) -> int | None:
    if resp.status_code == 206:
        m = re.match(r"bytes \d+-\d+/(\d+)", resp.headers.get("content-range", ""))
        if m:
            return int(m.group(1))
    if "content-encoding" in resp.headers and resp.headers["content-encoding"] != "identity":
        return None
    length = resp.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def _sha256(path: Path) -> hashlib._Hash:
    """A sha256 object fed with the bytes already on disk (to continue hashing a resumed body)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h
