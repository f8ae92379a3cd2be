"""Everything the status page (状況表示) shows, as one JSON document: ``GET /v1/status?subject=&as_of=``.

- ``subject``: one disaster (災害ID, the ``subject_key`` of 被害即報); absent = the latest disaster; ``all`` = every
  disaster together. Disaster figures (被害即報, 避難所, 報告の健全性) are for that subject; the monthly reports
  (住基人口, システム移行) are never per disaster.
- ``as_of``: as known at T (transaction time); absent = now.

The affected area (被災地域) is every prefecture where at least one municipality reported damage for the subject.
Cards carry coverage against the affected area beside the national one; the map and the silent list cover the
affected area; prefectures are listed affected first; charts are windowed to the event (first to last report).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kiban.indicators.catalogue import catalogue
from kiban.indicators.compute import NATIONAL, rollup
from kiban.indicators.freshness import status as freshness_status
from kiban.indicators.service import IndicatorService
from kiban.indicators.snapshot import REPORT_TYPES, _sla
from kiban.serve.snapshot import _points, _series
from kiban.serve.status.positions import place

#: Report types shown per prefecture, in column order.
PAGE_TYPES = ("disaster_damage", "shelter_status", "population_monthly", "system_migration")
#: Sources computed per disaster; the others are monthly reports (never filtered by a disaster id).
PER_DISASTER = frozenset({"disaster_damage", "shelter_status", "reporting_health"})
ALL = "all"
#: margin around the first and last report of the event on the charts' time axis
WINDOW_MARGIN = timedelta(hours=1)


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def subjects(svc: IndicatorService) -> list[dict]:
    """Disasters with live-eligible damage reports (訓練 and rejected excluded), latest first."""
    if not svc.has("report_versions"):
        return []
    rows = svc.query(
        "SELECT subject_key, max(json_extract_string(payload, '$.disaster_name')), min(received_at), "
        "max(received_at), min(as_of), max(as_of), count(DISTINCT lg_code) FROM report_versions "
        "WHERE report_type = 'disaster_damage' AND control <> '訓練' AND validation_status <> 'rejected' "
        "GROUP BY subject_key ORDER BY max(received_at) DESC, subject_key")
    return [{"key": r[0], "name": r[1] or r[0], "first_received_at": _iso(r[2]), "last_received_at": _iso(r[3]),
             "first_as_of": _iso(r[4]), "last_as_of": _iso(r[5]), "municipalities": r[6]} for r in rows]


def choose(known: list[dict], requested: str | None) -> tuple[str | None, list[dict]]:
    """(subject to filter on or None for all, the subjects it covers)."""
    if requested == ALL or (requested is None and not known):
        return None, known
    if requested is None:
        return known[0]["key"], known[:1]
    return requested, [s for s in known if s["key"] == requested]


def window(chosen: list[dict], at: str | None) -> tuple[str | None, str | None]:
    """The charts' time axis: first report - margin .. last report + margin, never after T."""
    if not chosen:
        return None, at
    start = min(datetime.fromisoformat(s["first_received_at"]) for s in chosen) - WINDOW_MARGIN
    end = max(datetime.fromisoformat(s["last_received_at"]) for s in chosen) + WINDOW_MARGIN
    if at is not None:
        end = min(end, datetime.fromisoformat(at))
    return start.isoformat(), end.isoformat()


def times(svc: IndicatorService, start: str | None, end: str | None) -> list[str]:
    """Points in time with stored indicator values inside the window (the as-of picker's choices)."""
    if not svc.has("indicator_values") or start is None:
        return []
    rows = svc.query("SELECT DISTINCT as_known_at FROM indicator_values WHERE grain = 'national' "
                     "AND as_known_at >= CAST(? AS TIMESTAMPTZ) AND as_known_at <= CAST(? AS TIMESTAMPTZ) "
                     "ORDER BY 1", [start, end])
    return [r[0].isoformat() for r in rows]


def prefecture_points(svc: IndicatorService) -> dict[str, tuple[float, float]]:
    """ABR prefecture points (abr_prefs, 都道府県庁) by 2-digit code, when the lake has them."""
    if not svc.has("abr_prefs"):
        return {}
    rows = svc.query("SELECT lg_code, TRY_CAST(rep_lon AS DOUBLE), TRY_CAST(rep_lat AS DOUBLE) FROM abr_prefs "
                     "WHERE rep_lon IS NOT NULL AND rep_lat IS NOT NULL")
    return {r[0][:2]: (r[1], r[2]) for r in rows if r[1] is not None and r[2] is not None}


def map_status(row: dict, now: datetime) -> str:
    """reported / overdue / silent for one municipality's damage report (the map's colours)."""
    if not row["reporting"]:
        return "silent"
    return "overdue" if freshness_status(row["as_of"], now, _sla("disaster_damage")) == "overdue" else "reported"


def summary(svc: IndicatorService, at: str | None, subject: str | None = None) -> dict:
    """Everything the page shows, as one JSON document (see the module docstring)."""
    known = subjects(svc)
    chosen_key, chosen = choose(known, subject)
    monthly = svc.rows(at)
    disaster = svc.rows(at, chosen_key) if chosen_key is not None else monthly
    now = datetime.fromisoformat(at) if at else disaster.generated_at

    def rows_of(source: str) -> list[dict]:
        return (disaster if source in PER_DISASTER else monthly).rows[source]

    damage = rows_of("disaster_damage")
    affected = sorted({r["prefecture_code"] for r in damage if r["reporting"]})
    in_affected = [r for r in damage if r["prefecture_code"] in affected]
    key = []
    for ind in catalogue():
        if not ind.key:
            continue
        src = rows_of(ind.source)
        v = rollup(ind, src, "national", now)[0].to_dict()
        local = [r for r in src if r["prefecture_code"] in affected]
        area = rollup(ind, local, "national", now)[0] if local else None
        v["affected_coverage"] = ({"reported": area.reported, "reporting": area.reporting,
                                   "expected": area.expected} if area else {"reported": 0, "reporting": 0,
                                                                            "expected": 0})
        key.append({**v, "name_ja": ind.ja, "name_en": ind.en, "source": ind.source})
    prefs: dict[str, dict] = {}
    for rtype in PAGE_TYPES:
        sla = _sla(rtype)
        for r in rows_of(rtype):
            p = prefs.setdefault(r["prefecture_code"], {"code": r["prefecture_code"], "name": r["prefecture_name"],
                                                        "expected": 0, "types": {},
                                                        "affected": r["prefecture_code"] in affected})
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
            t["oldest_as_of"] = _iso(t["oldest_as_of"])
    silent = [{"lg_code": r["lg_code"], "name": r["name"], "prefecture_code": r["prefecture_code"],
               "prefecture_name": r["prefecture_name"]} for r in in_affected if not r["reporting"]]
    where = place(damage, _points(svc), prefecture_points(svc))
    municipalities = [{"lg_code": r["lg_code"], "name": r["name"], "prefecture_code": r["prefecture_code"],
                       "status": map_status(r, now), "as_of": _iso(r.get("as_of")), **where[r["lg_code"]]}
                      for r in in_affected if r["lg_code"] in where]
    context = [[where[r["lg_code"]]["lon"], where[r["lg_code"]]["lat"]] for r in damage
               if r["prefecture_code"] not in affected and r["lg_code"] in where]
    counts = {s: sum(m["status"] == s for m in municipalities) for s in ("reported", "overdue", "silent")}
    start, end = window(chosen, at)
    series = {k["indicator_id"]: _series(svc, k["indicator_id"], "national", NATIONAL, start, end) for k in key}
    ordered = sorted(prefs.values(), key=lambda p: (not p["affected"], p["code"]))
    return {"generated_at": disaster.generated_at.isoformat(), "as_known_at": at, "key": key,
            "subject": chosen_key or ALL, "subjects": known, "window": {"start": start, "end": end},
            "times": times(svc, start, end), "prefectures": ordered, "types": list(PAGE_TYPES),
            "silent": silent, "active_prefectures": affected,
            "affected": {"prefectures": affected, "expected": len(in_affected), **counts},
            "municipalities": municipalities, "context": context, "series": series,
            "report_types": list(REPORT_TYPES)}
