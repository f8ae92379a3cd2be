"""Client for the 法人番号システム Web-API version 4 (``num``, ``diff``, ``name``).

Authentication is the アプリケーションID as the ``id`` query parameter, read from ``KIBAN_NTA_APP_ID``; it never
appears in logs, exceptions or reprs (URLs pass through :func:`registries.http.redact`). Base URL:
``KIBAN_NTA_API_URL`` (default ``https://api.houjin-bangou.nta.go.jp/4/``). Response types: ``01`` CSV
Shift-JIS, ``02`` CSV Unicode, ``12`` XML Unicode (no JSON exists). Results are paged: the response carries
``count``, ``divideNumber`` and ``divideSize``; pages 2..divideSize are requested with ``divide=n``.

Rows come back in the official 30-column layout, so :meth:`ApiResult.stage` writes them as a headerless CSV and
stages them with the same parser as the 全件/差分 files.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import httpx
from lxml import etree

from registries.corporate.csvform import format_row
from registries.corporate.parse import StageResult, stage_utf8_csv
from registries.http import RETRY_STATUS, Backoff, redact, retry_after_seconds
from schemas.corporate import OFFICIAL_COLUMNS

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.houjin-bangou.nta.go.jp/4/"
ResponseType = Literal["01", "02", "12"]
XML_FIELDS: tuple[str, ...] = tuple(c.source_name or c.name for c in OFFICIAL_COLUMNS)
MAX_NUMBERS_PER_CALL = 10
MAX_PAGES = 99999


class WebApiError(Exception):
    """The Web-API answered with an error (``code`` is the API's 3-digit error code when present)."""

    def __init__(self, url: str, message: str, *, status: int | None = None, code: str | None = None) -> None:
        self.url = redact(url)
        self.status = status
        self.code = code
        super().__init__(f"{self.url}: {message}" + (f" [error {code}]" if code else ""))


@dataclass(frozen=True)
class ApiResult:
    """All pages of one query: metadata of the last page and every row (30 strings each, '' = empty)."""

    endpoint: str
    last_update_date: str
    count: int
    pages: int
    rows: tuple[tuple[str, ...], ...] = field(repr=False)

    def to_csv(self) -> str:
        """The rows as the NTA writes its CSV (headerless, 30 columns, text quoted, ``""`` escapes)."""
        names = [c.name for c in OFFICIAL_COLUMNS]
        return "".join(format_row(int(r[0] or n), dict(zip(names, r, strict=True))) + "\n"
                       for n, r in enumerate(self.rows, start=1))

    def stage(self, out_parquet: Path, label: str | None = None) -> StageResult:
        """Write the rows as a UTF-8 CSV next to ``out_parquet`` and stage them like a 差分 file."""
        out_parquet = Path(out_parquet)
        out_parquet.parent.mkdir(parents=True, exist_ok=True)
        label = label or f"api_{self.endpoint}_{self.last_update_date}.csv"
        tmp = out_parquet.with_name(f".{out_parquet.name}.api.csv")
        try:
            tmp.write_text(self.to_csv(), encoding="utf-8")
            rows = stage_utf8_csv(tmp, out_parquet, label) if self.rows else 0
        finally:
            tmp.unlink(missing_ok=True)
        return StageResult(rows=rows, encoding="utf-8", inner_name=label, kind_hint="api")


@dataclass(frozen=True)
class _Page:
    last_update_date: str
    count: int
    divide_number: int
    divide_size: int
    rows: list[tuple[str, ...]]


def parse_csv_page(body: bytes, response_type: ResponseType, url: str = "") -> _Page:
    """A CSV response (type 01 Shift-JIS / 02 Unicode): a metadata line, then 30-column records."""
    try:
        text = body.decode("cp932" if response_type == "01" else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WebApiError(url, f"response is not valid {'Shift_JIS' if response_type == '01' else 'UTF-8'} "
                          f"(byte {exc.start})") from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or len(records[0]) < 4:
        raise WebApiError(url, "CSV response has no metadata line (lastUpdateDate,count,divideNumber,divideSize)")
    meta = records[0]
    rows = []
    for n, rec in enumerate(records[1:], start=2):
        if not rec:
            continue
        if len(rec) != len(XML_FIELDS):
            raise WebApiError(url, f"CSV line {n} has {len(rec)} columns, expected {len(XML_FIELDS)}")
        rows.append(tuple(rec))
    return _Page(meta[0], int(meta[1]), int(meta[2]), int(meta[3]), rows)


def parse_xml_page(body: bytes, url: str = "") -> _Page:
    """An XML response (type 12): ``<corporations>`` with metadata and ``<corporation>`` elements."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise WebApiError(url, f"XML response cannot be parsed: {exc}") from None

    def text(el: etree._Element, tag: str) -> str:
        child = el.find(tag)
        return (child.text or "").strip() if child is not None else ""

    rows = [tuple(text(corp, f) for f in XML_FIELDS) for corp in root.iter("corporation")]
    return _Page(text(root, "lastUpdateDate"), int(text(root, "count") or 0),
                 int(text(root, "divideNumber") or 1), int(text(root, "divideSize") or 1), rows)


def _error_code(body: bytes) -> tuple[str | None, str]:
    text = body.decode("utf-8", errors="replace")
    try:
        root = etree.fromstring(body)
        parts = [t.strip() for t in root.itertext() if t.strip()]
        text = " ".join(parts)
    except etree.XMLSyntaxError:
        pass
    m = re.search(r"\b(\d{3})\b", text)
    return (m.group(1) if m else None), " ".join(text.split())[:300]


def _iso(d: date | str) -> str:
    return d.isoformat() if isinstance(d, date) else str(d)


def _csv_list(values: str | Iterable[str] | None) -> str | None:
    if values is None:
        return None
    return values if isinstance(values, str) else ",".join(values)


class NtaWebApi:
    """A Web-API v4 client. ``app_id`` defaults to env ``KIBAN_NTA_APP_ID``; it is never shown."""

    def __init__(
        self,
        app_id: str | None = None,
        *,
        base_url: str | None = None,
        client: httpx.Client | None = None,
        response_type: ResponseType = "12",
        max_retries: int = 4,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        app_id = app_id or os.environ.get("KIBAN_NTA_APP_ID")
        if not app_id:
            raise ValueError("no アプリケーションID: set KIBAN_NTA_APP_ID")
        self.__app_id = app_id
        self.base_url = (base_url or os.environ.get("KIBAN_NTA_API_URL") or DEFAULT_API_URL).rstrip("/") + "/"
        self.client = client or httpx.Client(timeout=httpx.Timeout(30.0, read=120.0))
        self.response_type = response_type
        self.max_retries = max_retries
        self.backoff = backoff or Backoff(base=1.0, cap=30.0)
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"NtaWebApi(base_url={self.base_url!r}, app_id='***', response_type={self.response_type!r})"

    # -- endpoints -------------------------------------------------------------------------------------------

    def num(self, numbers: Sequence[str] | str, history: bool = False) -> ApiResult:
        """法人番号指定: up to 10 numbers per call (longer lists are split); ``history`` adds 変更履歴."""
        nums = [numbers] if isinstance(numbers, str) else list(numbers)
        if not nums:
            raise ValueError("num() needs at least one corporate number")
        results = [
            self._get_all("num", {"number": ",".join(nums[i:i + MAX_NUMBERS_PER_CALL]),
                                  "history": "1" if history else "0"})
            for i in range(0, len(nums), MAX_NUMBERS_PER_CALL)
        ]
        return ApiResult("num", results[-1].last_update_date, sum(r.count for r in results),
                         sum(r.pages for r in results), tuple(row for r in results for row in r.rows))

    def diff(self, from_: date | str, to: date | str, address: str | None = None,
             kind: str | Iterable[str] | None = None) -> ApiResult:
        """取得期間指定: changes with 更新年月日 in [from_, to] (at most 50 days); ``address`` pref or pref+city."""
        return self._get_all("diff", {"from": _iso(from_), "to": _iso(to), "address": address,
                                      "kind": _csv_list(kind)})

    def name(self, name: str, *, mode: int = 1, target: int = 1, address: str | None = None,
             kind: str | Iterable[str] | None = None, change: bool = False, close: bool = True,
             from_: date | str | None = None, to: date | str | None = None) -> ApiResult:
        """法人名指定: ``mode`` 1 前方一致 / 2 部分一致, ``target`` 1 あいまい / 2 完全一致 / 3 英語表記."""
        return self._get_all("name", {
            "name": name, "mode": str(mode), "target": str(target), "address": address, "kind": _csv_list(kind),
            "change": "1" if change else "0", "close": "1" if close else "0",
            "from": _iso(from_) if from_ else None, "to": _iso(to) if to else None,
        })

    # -- paging ----------------------------------------------------------------------------------------------

    def _get_all(self, endpoint: str, params: dict[str, str | None]) -> ApiResult:
        clean = {k: v for k, v in params.items() if v is not None}
        first = self._get_page(endpoint, clean, 1)
        rows = list(first.rows)
        last = first
        for n in range(2, min(first.divide_size, MAX_PAGES) + 1):
            last = self._get_page(endpoint, clean, n)
            rows.extend(last.rows)
        if first.count and len(rows) != first.count:
            log.warning("Web-API %s: count=%d but %d rows received", endpoint, first.count, len(rows))
        return ApiResult(endpoint, first.last_update_date, first.count, first.divide_size, tuple(rows))

    def _get_page(self, endpoint: str, params: dict[str, str], divide: int) -> _Page:
        url = urljoin(self.base_url, endpoint)
        query = {"id": self.__app_id, **params, "type": self.response_type}
        if divide > 1:
            query["divide"] = str(divide)
        body = self._request(url, query)
        shown = redact(httpx.URL(url, params=query))
        if self.response_type == "12":
            return parse_xml_page(body, shown)
        return parse_csv_page(body, self.response_type, shown)

    def _request(self, url: str, query: dict[str, str]) -> bytes:
        shown = redact(httpx.URL(url, params=query))
        for attempt in range(self.max_retries + 1):
            wait: float | None = None
            try:
                resp = self.client.get(url, params=query)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                reason = type(exc).__name__
            else:
                if resp.status_code == 200:
                    return resp.content
                if resp.status_code not in RETRY_STATUS:
                    code, message = _error_code(resp.content)
                    raise WebApiError(shown, f"HTTP {resp.status_code}: {message}", status=resp.status_code,
                                      code=code)
                reason = f"HTTP {resp.status_code}"
                wait = retry_after_seconds(resp.headers.get("retry-after"))
            if attempt == self.max_retries:
                raise WebApiError(shown, f"giving up after {attempt + 1} attempts: {reason}")
            delay = wait if wait is not None else self.backoff.delay(attempt)
            log.warning("Web-API %s: %s; retry in %.1fs", shown, reason, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")
