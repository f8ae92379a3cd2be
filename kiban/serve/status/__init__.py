"""The status page (状況表示): static HTML/JS/CSS served from this folder, fed by ``GET /v1/status``.

No CDN and no internet resource: charts are hand-written SVG (status.js). ``/`` and ``/status`` serve the page;
``/status/assets/{file}`` its script and style sheet.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.indicators.catalogue import catalogue
from kiban.indicators.compute import NATIONAL, rollup
from kiban.indicators.freshness import status as freshness_status
from kiban.indicators.service import IndicatorService, service
from kiban.indicators.snapshot import REPORT_TYPES, _sla
from kiban.serve.http import json_response, problem
from kiban.serve.snapshot import BadRequest, _series, parse_time

STATIC = Path(__file__).resolve().parent
ASSETS = {"status.js": "text/javascript; charset=utf-8", "status.css": "text/css; charset=utf-8"}
#: Report types shown per prefecture, in column order.
PAGE_TYPES = ("disaster_damage", "shelter_status", "population_monthly", "system_migration")


def summary(svc: IndicatorService, at: str | None) -> dict:
    """Everything the page shows, as one JSON document."""
    computed = svc.rows(at)
    now = datetime.fromisoformat(at) if at else computed.generated_at
    rows = computed.rows
    key = []
    for ind in catalogue():
        if ind.key:
            v = rollup(ind, rows[ind.source], "national", now)[0].to_dict()
            key.append({**v, "name_ja": ind.ja, "name_en": ind.en, "source": ind.source})
    prefs: dict[str, dict] = {}
    for rtype in PAGE_TYPES:
        sla = _sla(rtype)
        for r in rows[rtype]:
            p = prefs.setdefault(r["prefecture_code"], {"code": r["prefecture_code"], "name": r["prefecture_name"],
                                                        "expected": 0, "types": {}})
            t = p["types"].setdefault(rtype, {"reporting": 0, "expected": 0, "oldest_as_of": None})
            t["expected"] += 1
            if r["reporting"]:
                t["reporting"] += 1
                if t["oldest_as_of"] is None or r["as_of"] < t["oldest_as_of"]:
                    t["oldest_as_of"] = r["as_of"]
        for p in prefs.values():
            t = p["types"][rtype]
            p["expected"] = t["expected"]
            t["freshness"] = freshness_status(t["oldest_as_of"], now, sla) if t["reporting"] else "none"
            t["oldest_as_of"] = t["oldest_as_of"].isoformat() if t["oldest_as_of"] else None
    # silence is information: in every prefecture where someone reported damage, who has not
    active = {code for code, p in prefs.items() if p["types"]["disaster_damage"]["reporting"]}
    silent = [{"lg_code": r["lg_code"], "name": r["name"], "prefecture_code": r["prefecture_code"],
               "prefecture_name": r["prefecture_name"]}
              for r in rows["disaster_damage"] if r["prefecture_code"] in active and not r["reporting"]]
    series = {k["indicator_id"]: _series(svc, k["indicator_id"], "national", NATIONAL, None, at) for k in key}
    return {"generated_at": computed.generated_at.isoformat(), "as_known_at": at, "key": key,
            "prefectures": sorted(prefs.values(), key=lambda p: p["code"]), "types": list(PAGE_TYPES),
            "silent": silent, "active_prefectures": sorted(active), "series": series,
            "report_types": list(REPORT_TYPES)}


def routes(paths: Paths) -> list[Route]:
    svc = service(paths)

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return problem(404, "Not found", "no such asset")
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    def status(request: Request) -> Response:
        """
        summary: Status page data - key national totals, per-prefecture coverage, silent municipalities, series
        parameters:
          - {name: as_of, in: query, schema: {type: string, format: date-time}, description: as known at T}
        responses:
          200: {description: summary}
          304: {description: not modified}
        """
        try:
            at = parse_time(request.query_params.get("as_of"), "as_of")
        except BadRequest as e:
            return problem(400, "Bad request", str(e))
        return json_response(request, summary(svc, at), svc.reader.last_modified())

    return [Route("/", page, include_in_schema=False), Route("/status", page, include_in_schema=False),
            Route("/status/assets/{name}", asset, include_in_schema=False), Route("/v1/status", status)]
