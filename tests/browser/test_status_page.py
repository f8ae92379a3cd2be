"""The status page in a real headless Chromium (Debian's, driven by Playwright): what it shows matches the API,
it fits a desktop and a phone, the map colours the affected municipalities, the pickers change the data, the
charts are windowed to the event. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import QUAKE, QUAKE_NAME

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1600, "height": 1000}
PHONE = {"width": 390, "height": 844}
COLOURS = {"reported": "#1a7f37", "overdue": "#c62828", "silent": "#6a1b9a"}


def api(server: str, **params) -> dict:
    return httpx.get(f"{server}/v1/status", params=params, timeout=60).json()


def open_page(browser, server: str, viewport: dict, query: str = ""):
    """A page on /status at ``viewport``, loaded; every request that leaves 127.0.0.1 is refused and recorded."""
    page = browser.new_page(viewport=viewport)
    outside: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", guard)
    page.outside = outside
    page.goto(f"{server}/status{query}")
    wait_loaded(page)
    return page


def wait_loaded(page, query: str | None = None) -> None:
    selector = '#load-state[data-loaded="1"]' + (f'[data-query="{query}"]' if query is not None else "")
    page.wait_for_selector(selector, timeout=60_000)


def card_value(page, indicator: str) -> str:
    return page.get_attribute(f'.card[data-indicator="{indicator}"] .num', "data-value")


def test_status_page_shows_the_api_numbers(server, browser):
    data = api(server)
    page = open_page(browser, server, DESKTOP)
    try:
        cards = page.eval_on_selector_all(".card", """cs => cs.map(c => ({id: c.dataset.indicator,
            f: c.dataset.freshness, v: c.querySelector('.num').dataset.value,
            rep: c.querySelector('.cov').dataset.reported, exp: c.querySelector('.cov').dataset.expected,
            arep: c.querySelector('.acov').dataset.reported, aexp: c.querySelector('.acov').dataset.expected}))""")
        by_id = {c["id"]: c for c in cards}
        assert set(by_id) == {k["indicator_id"] for k in data["key"]}
        for k in data["key"]:
            c = by_id[k["indicator_id"]]
            assert (c["v"] == "") if k["value"] is None else float(c["v"]) == k["value"]
            assert c["rep"] == str(k["coverage"]["reported"]) and c["exp"] == "1741"
            assert c["arep"] == str(k["affected_coverage"]["reported"])
            assert c["aexp"] == str(k["affected_coverage"]["expected"])
            assert c["f"] == ("none" if k["coverage"]["reporting"] == 0 else k["freshness"]["status"])
        assert page.text_content('.card[data-indicator="dead"] .num') == "8"
        # coverage against the affected area (熊本県, 45 municipalities), not only against all 1,741
        assert data["affected"]["prefectures"] == ["43"] and data["affected"]["expected"] == 45
        assert page.get_attribute('.card[data-indicator="dead"] .acov', "data-expected") == "45"
        assert page.text_content('.card[data-indicator="missing"] .cov').endswith("(未確認 1)")
        cell = page.locator('tr[data-pref="43"] td[data-type="disaster_damage"]')
        assert cell.text_content() == "2 / 45" and "f-" in cell.get_attribute("class")
        # affected prefectures first
        assert page.get_attribute("#prefectures tbody tr:first-child", "data-pref") == "43"
        assert page.get_attribute("#silent-count", "data-count") == str(len(data["silent"]))
        assert page.locator('#silent li[data-lg="432121"]').count() == 1  # the withdrawn one is silent
        assert page.locator(".chart").count() == len(data["key"])
        assert page.outside == []  # no request left 127.0.0.1 (vendored map and charts, no tiles)
    finally:
        page.close()


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_page_fits_the_screen_without_horizontal_overflow(server, browser, name, viewport):
    page = open_page(browser, server, viewport)
    try:
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        boxes = {s: page.locator(s).bounding_box() for s in ("#map", "#silent-count", "#key-totals")}
        card_lefts = set(page.eval_on_selector_all(".card", "cs => cs.map(c => Math.round(c.getBoundingClientRect().left))"))
        if name == "phone":
            # one column: the silent list sits below the map, compact cards two to a row
            assert boxes["#silent-count"]["y"] > boxes["#map"]["y"] + boxes["#map"]["height"]
            assert len(card_lefts) == 2
            assert page.locator(".card").first.bounding_box()["height"] < 130
            name_cell = page.locator('tr[data-pref="43"] td.pref').bounding_box()
            assert name_cell["height"] < 24  # 熊本県 stays on one line
        else:
            assert boxes["#silent-count"]["x"] > boxes["#map"]["x"] + boxes["#map"]["width"]
            assert len(card_lefts) >= 6
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"status_{name}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    finally:
        page.close()


def test_the_map_colours_the_affected_municipalities_by_status(server, browser):
    data = api(server)
    page = open_page(browser, server, PHONE)
    try:
        markers = page.eval_on_selector_all("#map path[data-lg]", """ps => ps.map(p => ({lg: p.dataset.lg,
            status: p.dataset.status, fill: p.getAttribute('fill'), cls: p.getAttribute('class')}))""")
        expected = {m["lg_code"]: m["status"] for m in data["municipalities"]}
        assert {m["lg"]: m["status"] for m in markers} == expected and len(expected) == 45
        for m in markers:
            assert m["fill"] == COLOURS[m["status"]] and f"m-{m['status']}" in m["cls"]
        statuses = {m["lg"]: m["status"] for m in markers}
        assert statuses["432121"] == "silent"  # reported, then withdrawn (取消)
        # as known now the event is long past its SLA: the two reporters are overdue
        assert statuses["432083"] == statuses["432113"] == "overdue"
        assert page.text_content("#n-silent") == "43"
        # the rest of the country is drawn as grey context points (not interactive)
        assert page.locator("#map path.m-outside").count() == 1741 - 45
    finally:
        page.close()


def test_picking_a_disaster_and_a_time_changes_the_data(server, browser):
    page = open_page(browser, server, DESKTOP)
    try:
        options = page.eval_on_selector_all("#subject option", "os => os.map(o => [o.value, o.textContent])")
        assert [QUAKE, f"{QUAKE_NAME} ({QUAKE})"] in options and options[0][0] == "all"
        page.select_option("#subject", QUAKE)
        wait_loaded(page, f"subject={QUAKE}")
        quake = api(server, subject=QUAKE)
        assert card_value(page, "dead") == "4" and page.text_content('.card[data-indicator="dead"] .num') == "4"
        assert page.get_attribute("#prefectures tbody tr:first-child", "data-pref") == "40"
        assert page.eval_on_selector_all("#map path[data-lg]", "ps => ps.length") == quake["affected"]["expected"]
        assert page.url.endswith(f"?subject={QUAKE}")

        page.select_option("#subject", "2026-typhoon-21")
        wait_loaded(page, "subject=2026-typhoon-21")
        times = page.eval_on_selector_all("#as-of option", "os => os.map(o => o.value)")
        at = next(t for t in times if t and datetime.fromisoformat(t).strftime("%H:%M") == "03:50")  # T0 + 50 min
        page.select_option("#as-of", at)
        wait_loaded(page)
        past = api(server, subject="2026-typhoon-21", as_of=at)
        dead = next(k for k in past["key"] if k["indicator_id"] == "dead")
        # as known then: A's first report (1) + B (3) + C before its withdrawal (7)
        assert dead["value"] == 11 and float(card_value(page, "dead")) == 11
        assert page.text_content("#as-known-at").startswith(datetime.fromisoformat(at).strftime("%Y-%m-%d"))
        statuses = page.eval_on_selector_all("#map path[data-lg]", "ps => ps.map(p => p.dataset.status)")
        assert statuses.count("reported") == 3  # fresh as known at that time
    finally:
        page.close()


def test_charts_are_windowed_to_the_event_on_a_time_axis(server, browser):
    data = api(server)
    page = open_page(browser, server, DESKTOP)
    try:
        start, end = (datetime.fromisoformat(data["window"][k]).timestamp() for k in ("start", "end"))
        assert end - start < 24 * 3600  # the event, not the 2-month span of the stored series
        plots = page.eval_on_selector_all(".chart", """cs => cs.filter(c => c.plot).map(c => ({
            id: c.dataset.indicator, min: c.plot.scales.x.min, max: c.plot.scales.x.max, time: c.plot.scales.x.time,
            xs: Array.from(c.plot.data[0])}))""")
        assert plots, "no chart drawn"
        for p in plots:
            assert p["time"] is True and p["min"] == pytest.approx(start) and p["max"] == pytest.approx(end)
            assert p["xs"] and all(start <= x <= end for x in p["xs"])
        dead = next(p for p in plots if p["id"] == "dead")
        assert len(dead["xs"]) == len([s for s in data["series"]["dead"] if s["value"] is not None]) >= 4
    finally:
        page.close()
