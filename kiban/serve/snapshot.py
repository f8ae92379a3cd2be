"""Situational snapshot and indicator routes (read-only; fixed SQL only, nothing from the client is run).

- ``GET /v1/snapshot?type=&pref=NN|lg_code=&format=json|csv|geojson|parquet&encoding=sjis&as_of=&subject=``
- ``GET /v1/indicators``: the catalogue
- ``GET /v1/indicators/{id}?grain=&area=&from=&to=&as_of=``: the value now (or as known at ``as_of``) and its
  time series from ``indicator_values``

Every response has ``ETag`` and ``Last-Modified`` and answers ``304`` on a match (:func:`kiban.serve.http.conditional`).
"""

from __future__ import annotations

import re
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.indicators import render
from kiban.indicators.catalogue import GRAINS, by_id, catalogue
from kiban.indicators.compute import NATIONAL, as_known_at_iso, in_area, rollup
from kiban.indicators.service import IndicatorService, service
from kiban.indicators.snapshot import REPORT_TYPES, build
from kiban.serve.http import conditional, json_response, problem

_PREF = re.compile(r"(0[1-9]|[1-3][0-9]|4[0-7])")
_LG = re.compile(r"[0-9]{6}")


class BadRequest(ValueError):
    pass


def parse_time(raw: str | None, name: str) -> str | None:
    """An ISO 8601 timestamp with offset (``Z`` allowed) as ISO text, or None."""
    if raw is None or raw == "":
        return None
    try:
        return as_known_at_iso(raw)
    except ValueError as e:
        raise BadRequest(f"{name} must be an ISO 8601 timestamp with a UTC offset, e.g. 2026-09-14T12:00:00+09:00"
                         ) from e


def parse_area(pref: str | None, lg_code: str | None, area: str | None = None) -> str | None:
    if sum(x is not None for x in (pref, lg_code, area)) > 1:
        raise BadRequest("give at most one of pref, lg_code, area")
    if pref is not None:
        if not _PREF.fullmatch(pref):
            raise BadRequest("pref must be a 2-digit prefecture code 01-47")
        return pref
    if lg_code is not None:
        if not _LG.fullmatch(lg_code):
            raise BadRequest("lg_code must be a 6-digit 全国地方公共団体コード")
        return lg_code
    if area is not None and area != NATIONAL and not (_PREF.fullmatch(area) or _LG.fullmatch(area)):
        raise BadRequest("area must be JP, a prefecture code (2 digits) or an lg_code (6 digits)")
    return area


def _points(svc: IndicatorService) -> dict[str, tuple[float, float]]:
    if not svc.has("abr_cities"):
        return {}
    rows = svc.query("SELECT lg_code, TRY_CAST(rep_lon AS DOUBLE), TRY_CAST(rep_lat AS DOUBLE) FROM abr_cities "
                     "WHERE rep_lon IS NOT NULL AND rep_lat IS NOT NULL")
    return {r[0]: (r[1], r[2]) for r in rows if r[1] is not None and r[2] is not None}


def _series(svc: IndicatorService, ind_id: str, grain: str, area: str, start: str | None, end: str | None
            ) -> list[dict]:
    if not svc.has("indicator_values"):
        return []
    sql = ("SELECT as_known_at, value, reported, reporting, expected, oldest_as_of, freshness FROM indicator_values "
           "WHERE indicator_id = ? AND grain = ? AND area_code = ?")
    params: list = [ind_id, grain, area]
    if start:
        sql += " AND as_known_at >= CAST(? AS TIMESTAMPTZ)"
        params.append(start)
    if end:
        sql += " AND as_known_at <= CAST(? AS TIMESTAMPTZ)"
        params.append(end)
    rows = svc.query(sql + " ORDER BY as_known_at", params)
    keys = ("as_known_at", "value", "reported", "reporting", "expected", "oldest_as_of", "freshness")
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in zip(keys, r, strict=True)}
            for r in rows]


def snapshot_response(request: Request, svc: IndicatorService) -> Response:
    q = request.query_params
    rtype = q.get("type")
    if rtype not in REPORT_TYPES:
        raise BadRequest(f"type must be one of {', '.join(REPORT_TYPES)}")
    fmt = q.get("format", "json")
    if fmt not in render.FORMATS:
        raise BadRequest(f"format must be one of {', '.join(render.FORMATS)}")
    encoding = q.get("encoding", "utf-8").lower().replace("_", "-")
    if encoding in ("sjis", "shift-jis", "cp932"):
        encoding = "sjis"
    elif encoding not in ("utf-8", "utf8"):
        raise BadRequest("encoding must be utf-8 or sjis")
    area = parse_area(q.get("pref"), q.get("lg_code"))
    at = parse_time(q.get("as_of"), "as_of")
    computed = svc.rows(at, q.get("subject"))
    key = ("snapshot", rtype, area, fmt, encoding, at)
    hit = computed.rendering(key)
    if hit is None:
        hit = _render_snapshot(svc, computed, rtype, area, fmt, encoding, at)
        computed.remember(key, hit)
    body, media, headers = hit
    if body is None:
        return problem(404, "Unknown area", f"no expected municipality in {area!r}")
    return conditional(request, body, media, svc.reader.last_modified(), headers=dict(headers))


def _render_snapshot(svc: IndicatorService, computed, rtype: str, area: str | None, fmt: str, encoding: str,
                     at: str | None) -> tuple[bytes | None, str, dict[str, str]]:
    now = datetime.fromisoformat(at) if at else computed.generated_at
    doc = build(computed.rows, rtype, area, now, computed.generated_at, at)
    if area is not None and not doc["_all_rows"]:
        return None, "", {}
    headers = {"X-Kiban-Coverage": doc["coverage"]["statement"].encode("ascii", "replace").decode(),
               "X-Kiban-Freshness": doc["freshness"]["status"]}
    if fmt == "json":
        body, media = render.to_json(doc), render.FORMATS["json"]
    elif fmt == "csv":
        body = render.to_csv(doc, "sjis" if encoding == "sjis" else "utf-8")
        media = "text/csv; charset=Shift_JIS" if encoding == "sjis" else "text/csv; charset=utf-8"
        headers["Content-Disposition"] = f'attachment; filename="snapshot_{rtype}_{area or NATIONAL}.csv"'
    elif fmt == "geojson":
        body, media = render.to_geojson(doc, _points(svc)), render.FORMATS["geojson"]
    else:
        body, media = render.to_parquet(doc), render.FORMATS["parquet"]
    return body, media, headers


def indicator_response(request: Request, svc: IndicatorService) -> Response:
    q = request.query_params
    try:
        ind = by_id(request.path_params["indicator_id"])
    except KeyError:
        return problem(404, "Unknown indicator", f"no indicator {request.path_params['indicator_id']!r}")
    grain = q.get("grain", "national")
    if grain not in GRAINS:
        raise BadRequest(f"grain must be one of {', '.join(GRAINS)}")
    area = parse_area(None, None, q.get("area"))
    if grain == "national":
        area = NATIONAL
    elif area is None or area == NATIONAL or (grain == "prefecture") != (len(area) == 2):
        raise BadRequest(f"grain {grain} needs area= a {'prefecture code' if grain == 'prefecture' else 'lg_code'}")
    at = parse_time(q.get("as_of"), "as_of")
    start, end = parse_time(q.get("from"), "from"), parse_time(q.get("to"), "to")
    computed = svc.rows(at, q.get("subject"))
    now = datetime.fromisoformat(at) if at else computed.generated_at
    values = rollup(ind, in_area(computed.rows[ind.source], area), grain, now)
    if not values:
        return problem(404, "Unknown area", f"no expected municipality in {area!r}")
    if at is not None and (end is None or end > at):
        end = at  # as known at T: nothing computed from later arrivals
    body = {"indicator": ind.to_dict(), "as_known_at": at, "generated_at": computed.generated_at.isoformat(),
            "current": values[0].to_dict(), "series": _series(svc, ind.id, grain, area, start, end)}
    return json_response(request, body, svc.reader.last_modified())


def routes(paths: Paths) -> list[Route]:
    def guarded(handler):
        def endpoint(request: Request) -> Response:
            try:
                return handler(request, service(request))
            except BadRequest as e:
                return problem(400, "Bad request", str(e))
        endpoint.__doc__ = handler.__doc__
        return endpoint

    def snapshot(request: Request) -> Response:
        """The snapshot of one report type for an area (see kiban.serve.openapi)."""
        return guarded(snapshot_response)(request)

    def indicators(request: Request) -> Response:
        """The indicator catalogue."""
        return json_response(request, {"indicators": [i.to_dict() for i in catalogue()]},
                             service(request).reader.last_modified())

    def indicator(request: Request) -> Response:
        """One indicator for an area, now or as known at T, with its series."""
        return guarded(indicator_response)(request)

    return [Route("/v1/snapshot", snapshot), Route("/v1/indicators", indicators),
            Route("/v1/indicators/{indicator_id}", indicator)]
