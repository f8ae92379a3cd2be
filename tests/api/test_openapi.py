"""The API as integrators expect it: OpenAPI 3.1 JSON describing every route, Swagger UI offline, submission schemas."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from starlette.routing import Route

from kiban.indicators.catalogue import GRAINS, catalogue
from kiban.indicators.snapshot import REPORT_TYPES
from kiban.serve.report_schemas import submission_schema
from schemas.reports import HQ_TYPE, OPEN_STATUS, REPORT_TYPE


@pytest.fixture(scope="module")
def document(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    return json.loads(r.content)


def test_the_description_is_valid_openapi_3_1_json(document):
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert document["openapi"] == "3.1.0"
    errors = [e.message for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_every_route_is_described_and_every_description_is_a_route(app, document):
    served = set()
    for route in app.routes:
        if isinstance(route, Route) and route.include_in_schema:
            path = re.sub(r":\w+}", "}", route.path)
            served |= {(path, m.lower()) for m in route.methods if m != "HEAD"}
    described = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert served == described


def test_every_operation_declares_its_parameters_and_response_schemas(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            for name in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"]), (path, name)
            for p in op.get("parameters", []):
                assert p["schema"], (path, p["name"])
            for status, response in op["responses"].items():
                if status not in ("304", "308"):  # not modified, redirect: no body
                    assert all("schema" in c for c in response["content"].values()), (method, path, status)


def test_enumerations_come_from_the_contracts_and_the_catalogue(document):
    params = {p["name"]: p["schema"] for p in document["paths"]["/v1/snapshot"]["get"]["parameters"]}
    assert params["type"]["enum"] == list(REPORT_TYPES)
    ind = {p["name"]: p["schema"] for p in document["paths"]["/v1/indicators/{indicator_id}"]["get"]["parameters"]}
    assert ind["indicator_id"]["enum"] == [i.id for i in catalogue()]
    assert ind["grain"]["enum"] == list(GRAINS)
    report_type = document["paths"]["/v1/report-types/{report_type}/schema"]["get"]["parameters"][0]["schema"]
    assert report_type["enum"] == list(REPORT_TYPE.codes)
    damage = document["components"]["schemas"]["Report_disaster_damage"]["properties"]
    assert damage["hq_type"]["anyOf"][0]["enum"] == list(HQ_TYPE.codes)
    shelter = document["components"]["schemas"]["Report_shelter_status"]["properties"]
    assert shelter["open_status"]["anyOf"][0]["enum"] == list(OPEN_STATUS.codes)


def test_a_report_the_intake_accepts_fits_its_json_schema_and_a_broken_one_does_not(client):
    served = client.get("/v1/report-types/disaster_damage/schema")
    assert served.status_code == 200 and served.headers["content-type"] == "application/schema+json"
    schema = served.json()
    assert schema == submission_schema("disaster_damage")
    validator = jsonschema.Draft202012Validator(schema)
    good = {"report_type": "disaster_damage", "lg_code": "431001", "subject_key": "2026-typhoon-21",
            "as_of": "2026-09-14T11:00:00+09:00", "sequence_no": 1,
            "items": {"form_part": "その2", "dead": 1, "missing": "未確認", "hq_type": "対策本部"}}
    assert list(validator.iter_errors(good)) == []
    for broken in ({**good, "lg_code": "43100"}, {**good, "items": {"dead": -1}}, {**good, "dead": "many"},
                   {k: v for k, v in good.items() if k != "as_of"}, {**good, "report_type": "shelter_status"},
                   {**good, "hq_type": "本部"}, {**good, "unknown_field": 1}):
        assert list(validator.iter_errors(broken)), broken


def test_swagger_ui_is_served_from_the_repository_with_its_licence(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert src.startswith("/docs/assets/"), src
        assert client.get(src).status_code == 200
    init = client.get("/docs/assets/docs.js").text
    assert "validatorUrl: null" in init and "http" not in init
    assert "Apache License" in client.get("/docs/assets/LICENSE").text
    assert client.get("/docs/assets/../openapi.py").status_code == 404


def test_errors_are_problem_json_even_for_unknown_routes_and_methods(client):
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.delete("/v1/snapshot")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == "application/problem+json"
