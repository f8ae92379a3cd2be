"""The OpenAPI 3.1 description of the HTTP API: every operation, parameter and response schema, in one place.

Handlers stay small; this module says what they accept and answer. Enumerations come from the code that
decides them (report types and code tables from ``schemas.reports``, indicators and grains from the indicator
catalogue, formats from the renderer), so the description cannot drift from the contracts. The same parameter
schemas validate requests (:mod:`kiban.serve.validation`: a value that does not match is a ``400`` before any
handler runs), and ``tests/api`` runs schemathesis against this document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kiban.serve.report_schemas import report_types, submission_schema

JSON = "application/json"
PROBLEM = "application/problem+json"
#: safe printable text: no control characters (NUL, newlines) in any identifier or free-text parameter
TEXT = r"^[^\x00-\x1f\x7f]{1,128}$"
RELEASE = r"^(latest|[0-9]{4}-[0-9]{2}-[0-9]{2}\.[0-9]{1,6})$"
DATASET = r"^[a-z0-9_-]{1,64}$"
PREF = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
LG_CODE = r"^[0-9]{6}$"
AREA = r"^(JP|[0-9]{2}|[0-9]{6})$"
CURSOR = r"^[0-9]{1,18}(\.[0-9]{1,9})?$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, media: str = JSON) -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _problem(description: str) -> dict:
    return _json(_ref("Problem"), description, PROBLEM)


NOT_MODIFIED = {"description": "not modified (If-None-Match / If-Modified-Since matched)"}
BAD_REQUEST = _problem("a parameter or path segment is malformed (problem+json names it)")
TOO_MANY = {**_problem("this client's request or computation budget is spent"),
            "headers": {"Retry-After": {"description": "seconds until a retry may succeed",
                                        "schema": {"type": "integer", "minimum": 1}}}}


#: the CKAN actions check their own query parameters and answer in CKAN's envelope (409), as CKAN does
CKAN = {"x-kiban-own-validation": True}


def _q(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    out = {"name": name, "in": "query", "required": required, "schema": schema}
    return {**out, "description": description} if description else out


def _path(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _time(name: str, description: str) -> dict:
    """An ISO 8601 timestamp with offset; empty means "not given" (now)."""
    return _q(name, {"type": "string", "maxLength": 64, "anyOf": [{"format": "date-time"}, {"maxLength": 0}]},
              description + "; empty = not given")


def _op(summary: str, responses: dict, parameters: list | None = None, tags: tuple[str, ...] = (), **extra) -> dict:
    op: dict[str, Any] = {"summary": summary, "responses": responses, "tags": list(tags)}
    if parameters:
        op["parameters"] = parameters
    return {**op, **extra}


def _schemas() -> dict[str, Any]:
    """Component schemas of the responses."""
    from kiban.indicators.catalogue import GRAINS
    from kiban.indicators.freshness import STATUSES

    ts = {"type": ["string", "null"], "format": "date-time"}
    coverage = {"type": "object", "required": ["reported", "expected", "statement"],
                "properties": {"reported": {"type": "integer"}, "reporting": {"type": "integer"},
                               "expected": {"type": "integer"}, "unknown": {"type": "integer"},
                               "statement": {"type": "string"}}}
    freshness = {"type": "object", "required": ["status"],
                 "properties": {"status": {"type": "string", "enum": [*STATUSES, "none", "silent"]},
                                "age_minutes": {"type": ["number", "null"]},
                                "sla_minutes": {"type": "integer"}}}
    area = {"type": "object", "required": ["grain", "code"],
            "properties": {"grain": {"enum": list(GRAINS)}, "code": {"type": "string"},
                           "name": {"type": ["string", "null"]}}}
    place = {"type": "object", "required": ["lg_code"],
             "properties": {"lg_code": {"type": "string"}, "name": {"type": ["string", "null"]},
                            "prefecture_code": {"type": ["string", "null"]},
                            "prefecture_name": {"type": ["string", "null"]}}}
    return {
        "Problem": {"type": "object", "required": ["title", "status"],
                    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                   "status": {"type": "integer"}, "detail": {"type": "string"}}},
        "Health": {"type": "object", "required": ["status", "snapshot_id"],
                   "properties": {"status": {"const": "ok"}, "snapshot_id": {"type": ["integer", "null"]}}},
        "Indicator": {"type": "object", "required": ["id", "name_ja", "name_en", "unit", "grains", "source"],
                      "properties": {"id": {"type": "string"}, "name_ja": {"type": "string"},
                                     "name_en": {"type": "string"}, "definition": {"type": "string"},
                                     "unit": {"type": "string"},
                                     "grains": {"type": "array", "items": {"enum": list(GRAINS)}},
                                     "source": {"type": "string"},
                                     "report_types": {"type": "array", "items": {"type": "string"}},
                                     "freshness_sla_minutes": {"type": "integer"}, "key": {"type": "boolean"}}},
        "IndicatorValue": {
            "type": "object",
            "required": ["indicator_id", "grain", "area_code", "value", "unit", "coverage", "freshness"],
            "properties": {"indicator_id": {"type": "string"}, "grain": {"enum": list(GRAINS)},
                           "area_code": {"type": "string"}, "area_name": {"type": ["string", "null"]},
                           "value": {"type": ["number", "null"]}, "unit": {"type": "string"},
                           "coverage": coverage, "oldest_as_of": ts, "latest_as_of": ts,
                           "latest_received_at": ts, "freshness": freshness}},
        "Catalogue": {"type": "object", "required": ["indicators"],
                      "properties": {"indicators": {"type": "array", "items": _ref("Indicator")}}},
        "IndicatorSeries": {
            "type": "object", "required": ["indicator", "current", "series", "generated_at"],
            "properties": {
                "indicator": _ref("Indicator"), "as_known_at": ts, "generated_at": {"type": "string"},
                "current": _ref("IndicatorValue"),
                "series": {"type": "array", "items": {
                    "type": "object", "required": ["as_known_at", "value"],
                    "properties": {"as_known_at": {"type": "string"}, "value": {"type": ["number", "null"]},
                                   "reported": {"type": ["integer", "null"]},
                                   "reporting": {"type": ["integer", "null"]},
                                   "expected": {"type": ["integer", "null"]}, "oldest_as_of": ts,
                                   "freshness": {"type": ["string", "null"]}}}}}},
        "Snapshot": {
            "type": "object",
            "required": ["type", "area", "as_of", "generated_at", "coverage", "freshness", "indicators",
                         "columns", "municipalities", "silent"],
            "properties": {
                "type": {"enum": list(_snapshot_types())}, "area": area, "as_of": ts, "latest_as_of": ts,
                "as_known_at": ts, "generated_at": {"type": "string"}, "coverage": coverage,
                "freshness": freshness, "indicators": {"type": "array", "items": _ref("IndicatorValue")},
                "columns": {"type": "array", "items": {"type": "string"}},
                "municipalities": {"type": "array", "items": {
                    **place, "required": ["lg_code", "reporting", "freshness"],
                    "properties": {**place["properties"], "reporting": {"type": "boolean"}, "as_of": ts,
                                   "received_at": ts, "freshness": {"type": "string"}}}},
                "silent": {"type": "array", "items": place}}},
        "GeoJSONSnapshot": {"type": "object", "required": ["type", "features"],
                            "properties": {"type": {"const": "FeatureCollection"},
                                           "features": {"type": "array", "items": {
                                               "type": "object", "required": ["type", "geometry", "properties"],
                                               "properties": {"type": {"const": "Feature"},
                                                              "geometry": {"type": ["object", "null"]},
                                                              "properties": {"type": "object"}}}}}},
        "Status": {"type": "object",
                   "required": ["generated_at", "key", "prefectures", "silent", "series"],
                   "properties": {"generated_at": {"type": "string"}, "as_known_at": ts,
                                  "key": {"type": "array", "items": {"type": "object"}},
                                  "prefectures": {"type": "array", "items": {"type": "object"}},
                                  "silent": {"type": "array", "items": place},
                                  "series": {"type": "object"}}},
        "Changes": {"type": "object", "required": ["dataset", "since", "next_cursor", "has_more", "changes"],
                    "properties": {"dataset": {"type": "string"}, "since": {"type": "string"},
                                   "current_snapshot": {"type": "integer"}, "next_cursor": {"type": "string"},
                                   "has_more": {"type": "boolean"},
                                   "changes": {"type": "array", "items": {
                                       "type": "object", "required": ["snapshot_id", "op", "row"],
                                       "properties": {"snapshot_id": {"type": "integer"},
                                                      "snapshot_time": {"type": ["string", "null"]},
                                                      "op": {"enum": ["insert", "update", "delete"]},
                                                      "row": {"type": "object"}}}}}},
        "Releases": {"type": "object", "required": ["latest", "releases"],
                     "properties": {"latest": {"type": ["string", "null"]},
                                    "releases": {"type": "array", "items": {"type": "string"}}}},
        "Manifest": {"type": "object", "required": ["version", "datasets"],
                     "properties": {"version": {"type": "string"}, "created_at": {"type": "string"},
                                    "datasets": {"type": "object"}, "lake": {"type": "object"}}},
        "Catalog": {"type": "object", "required": ["@context"], "properties": {"@context": {}}},
        "Ckan": {"type": "object", "required": ["help", "success"],
                 "properties": {"help": {"type": "string"}, "success": {"type": "boolean"}, "result": {},
                                "error": {"type": "object"}}},
        "Receipt": {"type": "object", "required": ["submission_id", "status", "sha256", "received_at"],
                    "properties": {"submission_id": {"type": "string"}, "status": {"type": "string"},
                                   "sha256": {"type": "string"}, "received_at": {"type": "string"},
                                   "report_ids": {"type": "array", "items": {"type": "string"}},
                                   "errors": {"type": "array", "items": {"type": "object"}},
                                   "warnings": {"type": "array", "items": {"type": "object"}}}},
        "SubmissionAnswer": {
            "type": "object", "required": ["submission_id", "status", "sha256", "reasons", "warnings", "location"],
            "properties": {"submission_id": {"type": "string"},
                           "status": {"type": "string",
                                      "description": "accepted, accepted_with_warnings, rejected or duplicate"},
                           "sha256": {"type": "string"}, "received_at": {"type": "string"},
                           "report_ids": {"type": "array", "items": {"type": "string"}},
                           "reasons": {"type": "array", "items": {"type": "object"}},
                           "warnings": {"type": "array", "items": {"type": "object"}},
                           "location": {"type": "string"}, "stored_status": {"type": "string"},
                           "duplicate_of": {"type": ["string", "null"]}}},
        "JsonSchema": {"type": "object", "required": ["$schema", "type", "properties"]},
        **{f"Report_{rt}": _embedded(submission_schema(rt)) for rt in report_types()},
    }


def _embedded(schema: dict) -> dict:
    """A submission schema as an OpenAPI component (no ``$schema`` / ``$id`` of its own)."""
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def _snapshot_types() -> tuple[str, ...]:
    from kiban.indicators.snapshot import REPORT_TYPES

    return REPORT_TYPES


def _paths() -> dict[str, Any]:
    from schemas.addresses import MATCH_LEVEL

    MATCH_LEVELS = sorted(MATCH_LEVEL.codes)
    from kiban.indicators.catalogue import GRAINS, catalogue
    from kiban.indicators.render import FORMATS

    indicator_ids = [i.id for i in catalogue()]
    subject = _q("subject", {"type": "string", "pattern": TEXT},
                 "restrict to one 災害ID / subject_key (and its subject/... children)")
    as_of = _time("as_of", "as known at T (ISO 8601 with offset): only reports received at or before T")
    read = ("read",)
    report = {"oneOf": [_ref(f"Report_{rt}") for rt in report_types()]}
    return {
        "/v1/health": {"get": _op("Liveness and the lake snapshot served",
                                  {"200": _json(_ref("Health"), "ok"), "429": TOO_MANY}, tags=read)},
        "/v1/snapshot": {"get": _op(
            "Latest situational snapshot of one report type for an area (全国, 都道府県 or 市区町村)",
            {"200": {"description": "the snapshot (as_of = oldest among reporting municipalities, coverage "
                                    "'k of n municipalities reported', freshness)",
                     "content": {JSON: {"schema": _ref("Snapshot")}, "text/csv": {"schema": {"type": "string"}},
                                 "application/geo+json": {"schema": _ref("GeoJSONSnapshot")},
                                 FORMATS["parquet"]: {"schema": {"type": "string", "format": "binary"}}}},
             "304": NOT_MODIFIED, "400": BAD_REQUEST, "404": _problem("no expected municipality in the area"),
             "429": TOO_MANY},
            [_q("type", {"type": "string", "enum": list(_snapshot_types())}, "report type", required=True),
             _q("pref", {"type": "string", "pattern": PREF}, "prefecture code 01-47"),
             _q("lg_code", {"type": "string", "pattern": LG_CODE}, "全国地方公共団体コード (6 digits)"),
             _q("format", {"type": "string", "enum": list(FORMATS), "default": "json"}),
             _q("encoding", {"type": "string", "enum": ["utf-8", "sjis"], "default": "utf-8"},
                "CSV only; sjis = Shift_JIS (CP932) for Excel"),
             as_of, subject], tags=read)},
        "/v1/indicators": {"get": _op("The indicator catalogue",
                                      {"200": _json(_ref("Catalogue"), "catalogue"), "304": NOT_MODIFIED,
                                       "429": TOO_MANY}, tags=read)},
        "/v1/indicators/{indicator_id}": {"get": _op(
            "One indicator for an area, now or as known at T, with its time series",
            {"200": _json(_ref("IndicatorSeries"), "current value (coverage, oldest as_of, freshness) and series"),
             "304": NOT_MODIFIED, "400": BAD_REQUEST, "404": _problem("unknown area"), "429": TOO_MANY},
            [_path("indicator_id", {"type": "string", "enum": indicator_ids}),
             _q("grain", {"type": "string", "enum": list(GRAINS), "default": "national"}),
             _q("area", {"type": "string", "pattern": AREA}, "JP, a prefecture code or an lg_code"),
             _time("from", "series from"), _time("to", "series to"), as_of, subject], tags=read)},
        "/v1/status": {"get": _op(
            "Status page data: key national totals, per-prefecture coverage, silent municipalities, series",
            {"200": _json(_ref("Status"), "summary"), "304": NOT_MODIFIED, "400": BAD_REQUEST, "429": TOO_MANY},
            [as_of, _q("subject", {"type": "string", "pattern": TEXT},
                       "the disaster (災害ID / subject_key); `all` for every disaster; default the latest")],
            tags=read)},
        "/v1/addresses/match": {"get": _op(
            "Match one Japanese address as written to the ABR (abr-geocoder's fields and match levels)",
            {"200": _json({"type": "object", "required": ["input", "match_level"],
                           "properties": {"input": {"type": "string"}, "output": {"type": ["string", "null"]},
                                          "others": {"type": "array", "items": {"type": "string"}},
                                          "match_level": {"type": "string", "enum": list(MATCH_LEVELS)},
                                          "lg_code": {"type": ["string", "null"]},
                                          "machiaza_id": {"type": ["string", "null"]},
                                          "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]}}},
                          "input, output, others, match_level, coordinate_level, lat, lon, lg_code, machiaza_id, ..."),
             "304": NOT_MODIFIED, "400": BAD_REQUEST, "429": TOO_MANY},
            [_q("q", {"type": "string", "minLength": 1, "maxLength": 500}, "the address as written", required=True)],
            tags=read)},
        "/v1/addresses/affected": {"get": _op(
            "Who is in the affected area: corporations of chosen kinds where damage was reported or shelters opened",
            {"200": {"description": "the affected areas and the corporations in them",
                     "content": {JSON: {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}},
                                 "application/geo+json": {"schema": {"type": "object"}}}},
             "304": NOT_MODIFIED, "400": BAD_REQUEST, "429": TOO_MANY},
            [_q("disaster", {"type": "string", "pattern": TEXT}, "災害ID (subject_key); every disaster when absent"),
             _q("kinds", {"type": "string", "pattern": TEXT},
                "comma-separated 法人格 (医療法人,社会福祉法人) or 法人種別 codes"),
             _q("scope", {"type": "string", "enum": ["municipality", "machiaza"], "default": "municipality"}),
             _q("pref", {"type": "string", "pattern": PREF}, "prefecture code 01-47"),
             _q("lg_code", {"type": "string", "pattern": LG_CODE}, "全国地方公共団体コード (6 digits)"),
             _q("format", {"type": "string", "enum": ["json", "csv", "geojson"], "default": "json"})],
            tags=read)},
        "/v1/datasets/{dataset}/changes": {"get": _op(
            "Change feed of a dataset after a cursor (a DuckLake snapshot id), paged",
            {"200": _json(_ref("Changes"), "changes, next_cursor, has_more"), "400": BAD_REQUEST,
             "404": _problem("unknown dataset"), "410": _problem("cursor older than the retained history"),
             "429": TOO_MANY},
            [_path("dataset", {"type": "string", "pattern": DATASET}, "dataset name (hyphens or underscores)"),
             _q("since", {"type": "string", "pattern": CURSOR}, "cursor from next_cursor, or a snapshot id"),
             _q("limit", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000})], tags=read)},
        "/catalog.jsonld": {"get": _op("DCAT catalog (JSON-LD) of every dataset",
                                       {"200": _json(_ref("Catalog"), "DCAT JSON-LD"), "304": NOT_MODIFIED,
                                        "429": TOO_MANY}, tags=("catalog",))},
        **{f"{prefix}/{{action}}": {method: _op(
            f"CKAN action API ({method.upper()}): package_list/show/search, resource_show, organization_*, group_*, "
            "tag_*, status_show, help_show; the catalog is read-only",
            {"200": _json(_ref("Ckan"), "CKAN envelope with the result"),
             "400": {"description": "the request body cannot be read (a JSON string, as CKAN answers), or a "
                                    "malformed action name (problem+json)",
                     "content": {JSON: {"schema": {}}, PROBLEM: {"schema": _ref("Problem")}}},
             "403": _json(_ref("Ckan"), "a CKAN write action"), "404": _json(_ref("Ckan"), "not found"),
             "409": _json(_ref("Ckan"), "validation error"), "429": TOO_MANY},
            [_path("action", {"type": "string", "pattern": r"^[a-z_]{1,64}$"}, "CKAN action name")],
            tags=("catalog",), **CKAN,
            **({"requestBody": {"required": False, "content": {JSON: {"schema": {"type": "object"}}}}}
               if method == "post" else {}))
            for method in ("get", "post")} for prefix in ("/api/3/action", "/api/action")},
        "/api/3": {"get": _op("CKAN API version", {"200": _json({"type": "object", "required": ["version"]},
                                                                 "{\"version\": 3}"), "429": TOO_MANY},
                              tags=("catalog",))},
        "/quality": {"get": _op("Data Docs (redirects to /quality/)",
                                {"308": {"description": "redirect to /quality/"}, "429": TOO_MANY},
                                tags=("catalog",))},
        "/quality/{path}": {"get": _op(
            "Great Expectations Data Docs of every validated load",
            {"200": {"description": "a page or asset of the Data Docs site",
                     "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
             "400": BAD_REQUEST, "404": _problem("no such page"), "429": TOO_MANY},
            [_path("path", {"type": "string", "pattern": r"^[^\x00-\x1f\x7f\\]{0,1024}$"})], tags=("catalog",))},
        "/quality/releases/{version}/{path}": {"get": _op(
            "Great Expectations Data Docs of a release's checks",
            {"200": {"description": "a page or asset of the release's Data Docs",
                     "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
             "400": BAD_REQUEST, "404": _problem("no such release or page"), "429": TOO_MANY},
            [_path("version", {"type": "string", "pattern": RELEASE}),
             _path("path", {"type": "string", "pattern": r"^[^\x00-\x1f\x7f\\]{0,1024}$"})],
            tags=("catalog",))},
        "/datasets/{dataset}": {"get": _op(
            "HTML data dictionary of a dataset",
            {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
             "400": BAD_REQUEST, "404": _problem("unknown dataset"), "429": TOO_MANY},
            [_path("dataset", {"type": "string", "pattern": DATASET})], tags=("catalog",))},
        "/v1/releases": {"get": _op("Published releases, oldest first, and the one latest points at",
                                    {"200": _json(_ref("Releases"), "versions"), "304": NOT_MODIFIED,
                                     "429": TOO_MANY}, tags=("releases",))},
        "/v1/releases/{version}": {"get": _op(
            "The manifest of one release (or latest)",
            {"200": _json(_ref("Manifest"), "manifest.json"), "304": NOT_MODIFIED, "400": BAD_REQUEST,
             "404": _problem("no such release"), "429": TOO_MANY},
            [_path("version", {"type": "string", "pattern": RELEASE}, "YYYY-MM-DD.N or latest")],
            tags=("releases",))},
        "/releases/{version}/{path}": {"get": _op(
            "A file of a release (Parquet, manifest, dictionary, datapackage.json)",
            {"200": {"description": "the file", "content": {"*/*": {"schema": {"type": "string",
                                                                            "format": "binary"}}}},
             "400": BAD_REQUEST, "404": _problem("no such release or file"), "429": TOO_MANY},
            [_path("version", {"type": "string", "pattern": RELEASE}),
             _path("path", {"type": "string", "pattern": r"^[^\x00-\x1f\x7f\\]{1,1024}$"},
                   "file path inside the release")], tags=("releases",))},
        "/v1/report-types/{report_type}/schema": {"get": _op(
            "JSON Schema of one report type's submission (derived from its contract)",
            {"200": _json(_ref("JsonSchema"), "JSON Schema 2020-12", "application/schema+json"),
             "400": BAD_REQUEST, "429": TOO_MANY},
            [_path("report_type", {"type": "string", "enum": list(report_types())})], tags=("reports",))},
        "/v1/reports": {"post": _op(
            "Submit municipal reports (JSON: one report or a list; or a multipart CSV/XLSX/JSON file)",
            {"202": _json(_ref("SubmissionAnswer"), "accepted (stored by the next batch)"),
             "200": _json(_ref("SubmissionAnswer"), "the same content was received before (duplicate)"),
             "400": BAD_REQUEST, "401": _problem("missing or unknown bearer token"),
             "403": _json(_ref("SubmissionAnswer"), "the token's 団体 may not submit for this lg_code"),
             "413": _problem("upload too large"),
             "422": _json(_ref("SubmissionAnswer"), "rejected, with reasons (file, row, column, rule)")},
            [_q("wait", {"type": "string", "enum": ["true", "false", "1", "0"]},
                "answer only after the batch stored the submission"),
             {"name": "X-Filename", "in": "header", "required": False,
              "schema": {"type": "string", "pattern": TEXT}, "description": "file name of a raw body"}],
            tags=("reports",), security=[{"bearer": []}],
            requestBody={"required": True, "content": {
                JSON: {"schema": {"oneOf": [report, {"type": "array", "minItems": 1, "maxItems": 1000,
                                                      "items": report}]}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "CSV (UTF-8 or Shift_JIS), XLSX (the template) or JSON"}}}}}})},
        "/v1/reports/{id}": {"get": _op(
            "Receipt, status and quarantine reasons of a submission (by receipt id or report id)",
            {"200": _json(_ref("Receipt"), "the receipt"), "400": BAD_REQUEST,
             "401": _problem("missing or unknown bearer token"), "403": _problem("not the submitter's"),
             "404": _problem("unknown id")},
            [_path("id", {"type": "string", "pattern": r"^[^\x00-\x1f\x7f/]{1,200}$"},
                   "receipt id (sub_...) or report id")], tags=("reports",), security=[{"bearer": []}])},
    }


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document (JSON-able)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kiban API", "version": "1",
                 "description": "Read-only data of Kiban (基盤): situational snapshots and indicators, releases, "
                                "catalog; and the report intake. Errors are RFC 9457 problem+json. "
                                "Per-client rate limits answer 429 with Retry-After.",
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "paths": _paths(),
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "reporter token (kiban reports tokens add)"}}},
    }


def operation(path: str, method: str) -> dict[str, Any] | None:
    """The operation of a route template (Starlette's ``{name:path}`` written as ``{name}``)."""
    return spec()["paths"].get(path.replace(":path}", "}"), {}).get(method.lower())
