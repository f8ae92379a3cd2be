from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx
import polars as pl
import pytest

from registries.corporate.webapi import XML_FIELDS, NtaWebApi, WebApiError

APP_ID = "APPID-SECRET-42"
ROW1 = ["1", "1000013050238", "01", "1", "2018-04-02", "2015-10-05", "鳥取簡易裁判所", "", "101", "鳥取県", "鳥取市",
        "東町２丁目２２３", "", "31", "201", "6800011", "", "", "", "", "", "", "2015-10-05", "1",
        'Tottori "Summary" Court', "Tottori", "2-223, Higashimachi, Tottori shi", "", "トットリカンイサイバンショ", "0"]


def _row(seq: int) -> list[str]:
    from registries.corporate.checkdigit import make_corporate_number

    return [str(seq), make_corporate_number(f"{seq:012d}"), *ROW1[2:6], f"㈱サンプル{seq}ﾃｽﾄ①", *ROW1[7:]]


def _xml(page: int, size: int, rows: list[list[str]], count: int) -> bytes:
    corps = "".join(
        "<corporation>" + "".join(f"<{f}>{v.replace('&', '&amp;')}</{f}>" if v else f"<{f}/>"
                                  for f, v in zip(XML_FIELDS, r, strict=True)) + "</corporation>"
        for r in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><corporations><lastUpdateDate>2026-11-05</lastUpdateDate>'
            f"<count>{count}</count><divideNumber>{page}</divideNumber><divideSize>{size}</divideSize>"
            f"{corps}</corporations>").encode()


def _csv(page: int, size: int, rows: list[list[str]], count: int, encoding: str) -> bytes:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'

    lines = [f"2026-11-05,{count},{page},{size}"] + [",".join(q(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


PAGES = {1: [_row(1), _row(2)], 2: [_row(3), _row(4)], 3: [_row(5)]}


def _api(handler, response_type: str = "12", **kw) -> NtaWebApi:
    return NtaWebApi(APP_ID, base_url="http://api.local/4/", response_type=response_type,
                     client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None, **kw)


@pytest.mark.parametrize("response_type", ["12", "02", "01"])
def test_diff_pages_over_three_pages(response_type: str, tmp_path: Path) -> None:
    seen: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = parse_qs(request.url.query.decode())
        seen.append(q)
        assert request.url.path == "/4/diff" and q["id"] == [APP_ID] and q["type"] == [response_type]
        page = int(q.get("divide", ["1"])[0])
        if response_type == "12":
            return httpx.Response(200, content=_xml(page, 3, PAGES[page], 5))
        return httpx.Response(200, content=_csv(page, 3, PAGES[page], 5, "cp932" if response_type == "01" else "utf-8"))

    res = _api(handler, response_type).diff("2026-11-01", "2026-11-05", address="31", kind=["03", "04"])
    assert [q.get("divide") for q in seen] == [None, ["2"], ["3"]]
    assert seen[0]["from"] == ["2026-11-01"] and seen[0]["address"] == ["31"] and seen[0]["kind"] == ["03,04"]
    assert res.count == 5 and res.pages == 3 and len(res.rows) == 5
    assert res.rows[0][6] == "㈱サンプル1ﾃｽﾄ①" and res.rows[4][0] == "5"
    staged = res.stage(tmp_path / "api.parquet")
    assert staged.rows == 5 and staged.kind_hint == "api"
    df = pl.read_parquet(tmp_path / "api.parquet")
    assert df["en_name"].to_list()[0] == 'Tottori "Summary" Court'
    assert df["name_image_id"].to_list() == [None] * 5
    assert df["corporate_number"].to_list() == [r[1] for rows in PAGES.values() for r in rows]


def test_num_splits_into_tens_and_history_flag() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = parse_qs(request.url.query.decode())
        seen.append(q)
        nums = q["number"][0].split(",")
        rows = [_row(i) for i in range(1, len(nums) + 1)]
        return httpx.Response(200, content=_xml(1, 1, rows, len(rows)))

    res = _api(handler).num([f"{i:013d}" for i in range(23)], history=True)
    assert [len(q["number"][0].split(",")) for q in seen] == [10, 10, 3]
    assert all(q["history"] == ["1"] for q in seen)
    assert len(res.rows) == 23


def test_name_query_params() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = parse_qs(request.url.query.decode())
        assert q["name"] == ["サンプル"] and q["mode"] == ["2"] and q["target"] == ["1"] and q["close"] == ["0"]
        return httpx.Response(200, content=_xml(1, 1, [], 0))

    assert _api(handler).name("サンプル", mode=2, close=False).rows == ()


def test_error_response_is_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, content="<error><code>051</code><message>address が不正です</message></error>"
                              .encode())

    with pytest.raises(WebApiError) as ei:
        _api(handler).diff("2026-11-01", "2026-11-05", address="201")
    err = ei.value
    assert err.status == 400 and err.code == "051"
    assert APP_ID not in str(err) and "id=***" in str(err)


def test_retries_then_gives_up_without_leaking(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503)

    with pytest.raises(WebApiError) as ei:
        _api(handler, max_retries=2).num("1000013050238")
    assert len(calls) == 3
    assert APP_ID not in str(ei.value) and APP_ID not in caplog.text


def test_app_id_from_env_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIBAN_NTA_APP_ID", APP_ID)
    monkeypatch.setenv("KIBAN_NTA_API_URL", "http://api.local/4")
    api = NtaWebApi()
    assert api.base_url == "http://api.local/4/"
    assert APP_ID not in repr(api) and APP_ID not in str(vars(api).get("base_url"))
    monkeypatch.delenv("KIBAN_NTA_APP_ID")
    with pytest.raises(ValueError, match="KIBAN_NTA_APP_ID"):
        NtaWebApi()


def test_bad_csv_row_width() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"2026-11-05,1,1,1\n1,2,3\n")

    with pytest.raises(WebApiError, match="columns"):
        _api(handler, "02").num("1000013050238")
