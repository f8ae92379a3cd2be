"""Address routes (read-only; every request value is bound as a SQL parameter or matched as data).

- ``GET /v1/addresses/match?q=`` — one address matched to the ABR, abr-geocoder's fields and levels;
- ``GET /v1/addresses/affected?disaster=&kinds=&scope=&pref=|lg_code=&format=json|csv|geojson`` — "who is in
  the affected area": corporations of the chosen kinds (法人格 such as 医療法人, 社会福祉法人, or 法人種別 codes)
  located in the municipalities that reported damage or opened shelters for the disaster (``scope=municipality``)
  or in the 町字 of an open shelter (``scope=machiaza``), from ``corporation_addresses`` and ``shelter_addresses``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.addresses.service import AddressService
from kiban.config import Paths
from kiban.serve.http import conditional, json_response, problem
from schemas.addresses import LEGAL_FORM
from schemas.corporate import KIND

MAX_QUERY = 500
MAX_ROWS = 50_000
_PREF = re.compile(r"(0[1-9]|[1-3][0-9]|4[0-7])")
_LG = re.compile(r"[0-9]{6}")
_OUT = ("corporate_number", "name", "legal_form", "kind", "lg_code", "machiaza_id", "pref", "city", "ward",
        "oaza_cho", "chome", "output", "match_level", "lat", "lon", "reason")


class BadRequest(ValueError):
    pass


def _kinds(raw: str | None) -> list[str]:
    kinds = [k.strip() for k in (raw or "").split(",") if k.strip()]
    for k in kinds:
        if k not in LEGAL_FORM.codes and k not in KIND.codes:
            raise BadRequest(f"unknown kind {k!r}: a 法人格 ({', '.join(LEGAL_FORM.codes)}) or a 法人種別 code")
    return kinds


def affected_rows(svc: AddressService, disaster: str | None, kinds: list[str], scope: str,
                  area: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(areas, corporations): affected areas with their reason, and the corporations located in them."""
    need = ("corporation_addresses",)
    if not all(svc.has(t) for t in need):
        return [], []
    params: list[Any] = []
    damage = ("SELECT DISTINCT lg_code, NULL AS machiaza_id, 'damage_report' AS reason FROM reports_latest "
              "WHERE report_type = 'disaster_damage' AND (? IS NULL OR subject_key = ?)")
    shelter_m = ("SELECT DISTINCT lg_code, NULL AS machiaza_id, 'shelter_open' AS reason FROM reports_latest "
                 "WHERE report_type = 'shelter_status' AND (payload->>'open_status') = '開設' "
                 "AND (? IS NULL OR (payload->>'disaster_id') = ?)")
    shelter_t = ("SELECT DISTINCT lg_code, machiaza_id, 'shelter_open' AS reason FROM shelter_addresses "
                 "WHERE open_status = '開設' AND machiaza_id IS NOT NULL AND (? IS NULL OR disaster_id = ?)")
    parts = []
    if scope == "municipality" and svc.has("reports_latest"):
        parts += [damage, shelter_m]
        params += [disaster, disaster, disaster, disaster]
    elif scope == "machiaza" and svc.has("shelter_addresses"):
        parts.append(shelter_t)
        params += [disaster, disaster]
    if not parts:
        return [], []
    areas_sql = " UNION ".join(parts)
    area_filter = "(? IS NULL OR a.lg_code = ? OR substr(a.lg_code, 1, 2) = ?)"
    params_area = [area, area, area]
    cols, area_rows = svc.query(
        f"SELECT lg_code, machiaza_id, string_agg(DISTINCT reason, ',' ORDER BY reason) AS reason "
        f"FROM ({areas_sql}) a WHERE {area_filter} GROUP BY ALL ORDER BY 1, 2", params + params_area)
    areas = [dict(zip(cols, r, strict=True)) for r in area_rows]
    join = "a.lg_code = c.lg_code" + (" AND a.machiaza_id = c.machiaza_id" if scope == "machiaza" else "")
    kind_filter = "(len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], c.legal_form) " \
                  "OR list_contains(?::VARCHAR[], c.kind))"
    cols, rows = svc.query(f"""
        WITH a AS (SELECT lg_code, machiaza_id, string_agg(DISTINCT reason, ',' ORDER BY reason) AS reason
                   FROM ({areas_sql}) a WHERE {area_filter} GROUP BY ALL)
        SELECT c.corporate_number, c.name, c.legal_form, c.kind, c.lg_code, c.machiaza_id, c.pref, c.city, c.ward,
               c.oaza_cho, c.chome, c.output, c.match_level, c.lat, c.lon, a.reason
        FROM corporation_addresses c JOIN a ON {join}
        WHERE NOT c.is_closed AND {kind_filter}
        ORDER BY c.lg_code, c.machiaza_id, c.corporate_number LIMIT {MAX_ROWS}""",
        params + params_area + [kinds, kinds, kinds])
    return areas, [dict(zip(cols, r, strict=True)) for r in rows]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(_OUT)
    for r in rows:
        w.writerow(["" if r[c] is None else r[c] for c in _OUT])
    return buf.getvalue().encode("utf-8-sig")


def _geojson(doc: dict[str, Any], rows: list[dict[str, Any]]) -> bytes:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": {k: r[k] for k in _OUT if k not in ("lat", "lon")}}
                for r in rows if r["lat"] is not None and r["lon"] is not None]
    body = {"type": "FeatureCollection", "features": features,
            "kiban": {k: v for k, v in doc.items() if k != "corporations"} | {"without_position": len(rows) - len(features)}}
    return json.dumps(body, ensure_ascii=False, default=str).encode()


def routes(paths: Paths) -> list[Route]:
    svc = AddressService(paths)

    def match(request: Request) -> Response:
        """
        summary: Match one Japanese address to the ABR (abr-geocoder fields and match levels)
        parameters:
          - {name: q, in: query, required: true, schema: {type: string, maxLength: 500}}
        responses:
          200: {description: "input, output, others, match_level, coordinate_level, lat, lon, lg_code, machiaza_id ..."}
          400: {description: q missing or too long (problem+json)}
        """
        q = request.query_params.get("q")
        if q is None or not q.strip():
            return problem(400, "Bad request", "q (the address) is required")
        if len(q) > MAX_QUERY:
            return problem(400, "Bad request", f"q is longer than {MAX_QUERY} characters")
        return json_response(request, svc.match([q])[0])

    def affected(request: Request) -> Response:
        """
        summary: Who is in the affected area - corporations of chosen kinds where damage was reported or shelters opened
        parameters:
          - {name: disaster, in: query, schema: {type: string}, description: 災害ID (subject_key); all when absent}
          - {name: kinds, in: query, schema: {type: string}, description: "comma-separated 法人格 (医療法人,社会福祉法人) or 法人種別 codes"}
          - {name: scope, in: query, schema: {type: string, enum: [municipality, machiaza], default: municipality}}
          - {name: pref, in: query, schema: {type: string, pattern: "^[0-9]{2}$"}}
          - {name: lg_code, in: query, schema: {type: string, pattern: "^[0-9]{6}$"}}
          - {name: format, in: query, schema: {type: string, enum: [json, csv, geojson], default: json}}
        responses:
          200: {description: the affected areas and the corporations in them}
          400: {description: bad parameter (problem+json)}
        """
        q = request.query_params
        try:
            kinds = _kinds(q.get("kinds"))
            scope = q.get("scope", "municipality")
            if scope not in ("municipality", "machiaza"):
                raise BadRequest("scope must be municipality or machiaza")
            fmt = q.get("format", "json")
            if fmt not in ("json", "csv", "geojson"):
                raise BadRequest("format must be json, csv or geojson")
            pref, lg = q.get("pref"), q.get("lg_code")
            if pref is not None and lg is not None:
                raise BadRequest("give at most one of pref, lg_code")
            if pref is not None and not _PREF.fullmatch(pref):
                raise BadRequest("pref must be a 2-digit prefecture code 01-47")
            if lg is not None and not _LG.fullmatch(lg):
                raise BadRequest("lg_code must be a 6-digit 全国地方公共団体コード")
        except BadRequest as e:
            return problem(400, "Bad request", str(e))
        disaster = q.get("disaster") or None
        areas, rows = affected_rows(svc, disaster, kinds, scope, pref or lg)
        doc = {"disaster": disaster, "scope": scope, "kinds": kinds, "areas": areas, "count": len(rows),
               "truncated": len(rows) >= MAX_ROWS, "corporations": rows}
        if fmt == "csv":
            return conditional(request, _csv(rows), "text/csv; charset=utf-8",
                               headers={"Content-Disposition": 'attachment; filename="affected.csv"'})
        if fmt == "geojson":
            return conditional(request, _geojson(doc, rows), "application/geo+json")
        return json_response(request, doc)

    return [Route("/v1/addresses/match", match), Route("/v1/addresses/affected", affected)]
