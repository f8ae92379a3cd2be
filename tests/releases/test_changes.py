"""Change feed: resumable paging with netted replacements, and 410 once snapshots expired."""

from __future__ import annotations

from starlette.testclient import TestClient

from kiban.lake import Lake
from kiban.serve.app import create_app

from .conftest import CORP_ROWS, contracts, corporations_select


def _drain(client, since: str | None, limit: int) -> tuple[list[dict], str]:
    out, cursor = [], since
    while True:
        params = {"limit": limit, **({"since": cursor} if cursor is not None else {})}
        body = client.get("/v1/datasets/corporations/changes", params=params).json()
        out += body["changes"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return out, cursor


def test_feed_is_resumable_and_nets_replacements(lake_home):
    client = TestClient(create_app(lake_home))
    first, cursor = _drain(client, None, limit=7)
    assert len(first) == CORP_ROWS and {c["op"] for c in first} == {"insert"}
    assert len({c["row"]["corporate_number"] for c in first}) == CORP_ROWS  # no duplicates across pages
    cs = contracts()
    with Lake(lake_home).writer() as w:  # replace the table: 2 renamed, 1 dropped, 1 new
        w.replace(cs["corporations"], corporations_select(CORP_ROWS + 1).replace(
            "'株式会社テスト' || i || ''", "'株式会社テスト' || i || CASE WHEN i IN (3, 4) THEN '改' ELSE '' END"
        ) + " WHERE corporate_number <> '1000000000000'")
    second, end = _drain(client, cursor, limit=2)
    ops = sorted((c["op"], c["row"]["corporate_number"]) for c in second)
    assert ops == [("delete", "1000000000000"), ("insert", str(1000000000000 + CORP_ROWS * 7)),
                   ("update", "1000000000021"), ("update", "1000000000028")]
    assert client.get("/v1/datasets/corporations/changes", params={"since": end}).json()["changes"] == []


def test_expired_cursor_gets_410_and_bad_cursor_400(lake_home):
    client = TestClient(create_app(lake_home))
    cs = contracts()
    for n in (3, 4):
        with Lake(lake_home).writer() as w:
            w.replace(cs["corporations"], corporations_select(CORP_ROWS + n))
    with Lake(lake_home).writer() as w:
        w.con.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
    gone = client.get("/v1/datasets/corporations/changes", params={"since": "1"})
    assert gone.status_code == 410 and "older than the retained" in gone.json()["detail"]
    assert client.get("/v1/datasets/corporations/changes").status_code == 410  # from the start: history gone
    assert client.get("/v1/datasets/corporations/changes", params={"since": "x"}).status_code == 400
    assert client.get("/v1/datasets/nope/changes").status_code == 404
