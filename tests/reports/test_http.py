"""HTTP intake: who may submit what, answers with reasons, receipts, nothing lost."""

from __future__ import annotations

import io
import json
import zipfile

from intake_testkit import FUKUOKA_CITY, HAMAMATSU_NAKA, KUMAMOTO_CITY, KUMAMOTO_PREF, YATSUSHIRO, damage


def _sql(home, q):
    from kiban.lake import Lake

    con = Lake(home).reader()
    try:
        return con.execute(q).fetchall()
    finally:
        con.close()


def _count(home, table):
    """Rows of a lake table; 0 when nothing was ever stored in it."""
    from kiban.lake import Lake
    from kiban.load.ledger import has_relation

    con = Lake(home).reader()
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if has_relation(con, table) else 0
    finally:
        con.close()


def _raw_kept(home, sha):
    from kiban.archive import RawArchive

    return RawArchive(home.raw).path_for(sha).exists()


def test_municipality_submits_for_itself_and_reads_its_receipt(post, client, tokens, home):
    r = post(KUMAMOTO_CITY, damage())
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["stored_status"] == "accepted" and len(body["sha256"]) == 64
    rows = _sql(home, "SELECT r.lg_code, r.reporter_lg_code, d.missing FROM reports_latest r JOIN report_disaster_damage d "
                      "USING (report_id)")
    assert rows == [(KUMAMOTO_CITY, KUMAMOTO_CITY, None)]  # 未確認 stays NULL
    got = client.get(body["location"], headers={"Authorization": f"Bearer {tokens[KUMAMOTO_CITY]}"})
    assert got.status_code == 200 and got.json()["status"] == "accepted"
    by_report = client.get(f"/v1/reports/{body['report_ids'][0]}",
                           headers={"Authorization": f"Bearer {tokens[KUMAMOTO_CITY]}"})
    assert by_report.status_code == 200 and by_report.json()["submission_id"] == body["submission_id"]
    other = client.get(body["location"], headers={"Authorization": f"Bearer {tokens[FUKUOKA_CITY]}"})
    assert other.status_code == 403
    assert client.get(body["location"]).status_code == 401


def test_token_for_another_municipality_is_refused_and_kept(post, home):
    r = post(YATSUSHIRO, damage(lg=KUMAMOTO_CITY))
    assert r.status_code == 403
    body = r.json()
    assert body["status"] == "rejected" and body["reasons"][0]["rule"] == "not_authorised"
    assert _raw_kept(home, body["sha256"])
    assert _sql(home, "SELECT status FROM report_submissions") == [("quarantined",)]
    assert _count(home, "reports_latest") == 0 and _count(home, "report_versions") == 0


def test_prefecture_may_proxy_inside_only(post, home):
    ok = post(KUMAMOTO_PREF, damage(lg=YATSUSHIRO))
    assert ok.status_code == 202, ok.text
    assert _sql(home, "SELECT lg_code, reporter_lg_code FROM reports_latest") == [(YATSUSHIRO, KUMAMOTO_PREF)]
    outside = post(KUMAMOTO_PREF, damage(lg=FUKUOKA_CITY))
    assert outside.status_code == 403 and outside.json()["reasons"][0]["rule"] == "not_authorised"


def test_unknown_token_is_401(client):
    r = client.post("/v1/reports", headers={"Authorization": "Bearer kbn_nope_x"}, json=damage())
    assert r.status_code == 401


def test_bad_values_are_rejected_with_reasons(post, home):
    cases = {
        ("disaster_damage_counts_non_negative", None): damage(dead=-1),
        ("columns__castable", "dead"): damage(dead="three"),
        ("disaster_damage_as_of_not_future", "as_of"): damage(as_of="2030-01-01T00:00:00+09:00"),
        ("disaster_damage_lg_code_known", "lg_code"): damage(lg="439991"),
    }
    for (rule, column), body in cases.items():
        r = post(KUMAMOTO_PREF, body)
        assert r.status_code == 422, (rule, r.text)
        assert (rule, column) in {(x["rule"], x["column"]) for x in r.json()["reasons"]}, (rule, r.json())
        assert _raw_kept(home, r.json()["sha256"])
    assert _count(home, "reports_latest") == 0
    assert _sql(home, "SELECT count(*) FROM report_submissions WHERE status = 'quarantined'") == [(4,)]


def test_abolished_lg_code(post, tokens, home):
    from kiban.intake.tokens import TokenStore

    token = TokenStore(home).add("220001")[1]  # 静岡県 may proxy for its wards
    tokens["220001"] = token
    r = post("220001", damage(lg=HAMAMATSU_NAKA))
    assert r.status_code == 422
    assert "disaster_damage_lg_code_active" in {x["rule"] for x in r.json()["reasons"]}


def test_same_content_twice_is_stored_once(post, home):
    first = post(KUMAMOTO_CITY, damage())
    again = post(KUMAMOTO_CITY, damage())
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["duplicate_of"] == first.json()["submission_id"]
    assert again.json()["submission_id"] != first.json()["submission_id"]  # every arrival has its own receipt
    assert _sql(home, "SELECT count(*) FROM report_versions") == [(1,)]


def test_versions_out_of_order_latest_wins(post, home):
    for seq in (3, 1, 2):
        assert post(KUMAMOTO_CITY, damage(seq=seq, dead=seq)).status_code == 202
    assert _sql(home, "SELECT sequence_no FROM reports_latest") == [(3,)]
    assert _sql(home, "SELECT count(*) FROM report_versions") == [(3,)]


def test_oversized_upload_is_413(post, monkeypatch):
    import kiban.serve.reports as routes

    monkeypatch.setattr(routes, "MAX_BYTES", 1000)
    r = post(KUMAMOTO_CITY, b"x" * 5000, filename="big.csv")
    assert r.status_code == 413 and r.json()["rule"] == "too_large"


def test_zip_bomb_is_refused_and_kept(post, home):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    r = post(KUMAMOTO_CITY, buf.getvalue(), filename="bomb.xlsx")
    assert r.status_code == 422 and r.json()["reasons"][0]["rule"] == "zip_bomb"
    assert _raw_kept(home, r.json()["sha256"])


def test_path_like_file_name_is_sanitised(post, home):
    data = json.dumps(damage(), ensure_ascii=False).encode()
    r = post(KUMAMOTO_CITY, data, filename="../../x.json")
    assert r.status_code == 202, r.text
    assert _sql(home, "SELECT source_file FROM report_submissions") == [("x.json",)]
    assert not (home.home.parent / "x.json").exists()


def test_a_refused_copy_of_a_stored_report_is_recorded_as_refused_not_as_a_duplicate(post, home):
    """Identity is checked wherever the data is processed: Yatsushiro re-sending the prefecture's stored report for
    Kumamoto City gets 403, and its receipt says so (not "duplicate"); the prefecture's own re-send is a duplicate."""
    body = json.dumps(damage(lg=KUMAMOTO_CITY), ensure_ascii=False).encode()
    assert post(KUMAMOTO_PREF, body).status_code == 202
    refused = post(YATSUSHIRO, body)
    assert refused.status_code == 403 and refused.json()["reasons"][0]["rule"] == "not_authorised"
    again = post(KUMAMOTO_PREF, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    statuses = dict(_sql(home, "SELECT submission_id, status FROM report_submissions"))
    assert statuses[refused.json()["submission_id"]] == "quarantined"
    assert statuses[again.json()["submission_id"]] == "duplicate"
    assert _sql(home, "SELECT lg_code, reporter_lg_code FROM report_versions") == [(KUMAMOTO_CITY, KUMAMOTO_PREF)]
