"""httpx client for the 不動産情報ライブラリ API (XPT002 地価公示・地価調査 points).

Configuration comes from the environment: ``KIBAN_REINFOLIB_URL`` (base URL, default the public
``https://www.reinfolib.mlit.go.jp/ex-api/external``) and ``KIBAN_REINFOLIB_KEY`` (subscription key, sent as
the ``Ocp-Apim-Subscription-Key`` header). The key never appears in logs, exception messages or reprs: it is
only ever placed in the request header.

Status handling (reinfolib conventions): 200 data; **404 = no data** (an empty FeatureCollection, not an
error); 400 bad parameters; 401 bad or missing key; 403 quota exhausted; 429 throttled and 5xx are retried
with exponential backoff (``Retry-After`` honoured).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from registries.land_price.tiles import MAX_ZOOM, MIN_ZOOM

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.reinfolib.mlit.go.jp/ex-api/external"
KEY_ENV, URL_ENV = "KIBAN_REINFOLIB_KEY", "KIBAN_REINFOLIB_URL"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
_RETRY = frozenset({429, 500, 502, 503, 504})


class ReinfolibError(Exception):
    """An API call failed; ``status`` is the HTTP status (None for transport errors)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(f"{message} (status={status}, url={url})")
        self.status = status
        self.url = url


class ReinfolibAuthError(ReinfolibError):
    """401: the subscription key is missing or wrong."""


class ReinfolibQuotaError(ReinfolibError):
    """403: the gateway refuses further calls (quota exhausted)."""


@dataclass(frozen=True)
class ReinfolibConfig:
    base_url: str
    key: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReinfolibConfig:
        env = os.environ if env is None else env
        key = env.get(KEY_ENV, "").strip()
        if not key:
            raise ReinfolibAuthError(f"{KEY_ENV} is not set")
        return cls(base_url=env.get(URL_ENV, "").strip() or DEFAULT_BASE_URL, key=key)


def empty_collection() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": []}


class ReinfolibClient:
    """Synchronous client. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self, config: ReinfolibConfig | None = None, *, transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0, max_retries: int = 4, backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config or ReinfolibConfig.from_env()
        self._http = httpx.Client(
            base_url=self._config.base_url.rstrip("/") + "/", transport=transport, timeout=timeout,
            headers={KEY_HEADER: self._config.key, "Accept-Encoding": "gzip"},
        )
        self._max_retries = max_retries
        self._backoff = backoff
        self._sleep = sleep

    def __enter__(self) -> ReinfolibClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReinfolibClient(base_url={self._config.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def get_json(self, api_id: str, params: Mapping[str, Any]) -> Any | None:
        """GET ``{base}/{api_id}``; the parsed JSON body, or None for 404 (no data)."""
        clean = {k: v for k, v in params.items() if v is not None}
        attempt = 0
        while True:
            try:
                response = self._http.get(api_id, params=clean)
            except httpx.TransportError as exc:
                if attempt >= self._max_retries:
                    raise ReinfolibError(f"{api_id}: transport error {type(exc).__name__}") from None
                self._wait(attempt, None)
                attempt += 1
                continue
            url = str(response.request.url)
            status = response.status_code
            if status == 200:
                log.info("reinfolib %s 200 %s", api_id, url)
                try:
                    return response.json()
                except ValueError:
                    raise ReinfolibError(f"{api_id}: response is not JSON", status=status, url=url) from None
            if status == 404:
                log.info("reinfolib %s 404 (no data) %s", api_id, url)
                return None
            if status == 401:
                raise ReinfolibAuthError(f"{api_id}: subscription key rejected", status=status, url=url)
            if status == 403:
                raise ReinfolibQuotaError(f"{api_id}: forbidden (quota exhausted?)", status=status, url=url)
            if status in _RETRY and attempt < self._max_retries:
                log.warning("reinfolib %s %s, retry %d %s", api_id, status, attempt + 1, url)
                self._wait(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            raise ReinfolibError(f"{api_id}: HTTP {status}: {response.text[:200]}", status=status, url=url)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self._backoff * (2 ** attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        self._sleep(delay)

    def xpt002(
        self, z: int, x: int, y: int, year: int, *, price_classification: str | None = None,
        use_category_codes: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """XPT002 地価公示・地価調査のポイント for one tile: a GeoJSON FeatureCollection (empty on 404).

        ``price_classification``: ``'0'`` 地価公示, ``'1'`` 都道府県地価調査, None both.
        ``use_category_codes``: 用途区分 codes (sent comma-separated as ``useCategoryCode``).
        """
        if not MIN_ZOOM <= z <= MAX_ZOOM:
            raise ValueError(f"XPT002 takes zoom {MIN_ZOOM}–{MAX_ZOOM}, not {z}")
        if price_classification not in (None, "0", "1"):
            raise ValueError(f"priceClassification must be '0' or '1', not {price_classification!r}")
        body = self.get_json("XPT002", {
            "response_format": "geojson", "z": z, "x": x, "y": y, "year": year,
            "priceClassification": price_classification,
            "useCategoryCode": ",".join(use_category_codes) or None,
        })
        if body is None:
            return empty_collection()
        if not isinstance(body, dict) or body.get("type") != "FeatureCollection":
            raise ReinfolibError("XPT002: response is not a GeoJSON FeatureCollection")
        return body
