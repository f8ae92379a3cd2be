"""The status page in a real headless Chromium (Debian's ``chromium``): visible numbers match the API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import lxml.html

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(url: str, tmp: Path, *extra: str) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=8000", *extra, url]
    done = subprocess.run(args, capture_output=True, timeout=90, check=True)
    return done.stdout.decode("utf-8")


def test_status_page_shows_the_api_numbers(server, tmp_path):
    api = httpx.get(f"{server}/v1/status", timeout=30).json()
    dom = lxml.html.fromstring(chromium(f"{server}/status", tmp_path, "--dump-dom"))
    assert dom.get_element_by_id("load-state").get("data-loaded") == "1"
    cards = {c.get("data-indicator"): c for c in dom.find_class("card")}
    assert set(cards) == {k["indicator_id"] for k in api["key"]}
    for k in api["key"]:
        card = cards[k["indicator_id"]]
        shown = card.find_class("num")[0].get("data-value")
        assert (shown == "") if k["value"] is None else float(shown) == k["value"]
        cov = card.find_class("cov")[0]
        assert cov.get("data-reported") == str(k["coverage"]["reported"])
        assert cov.get("data-expected") == "1741"
        expected = "none" if k["coverage"]["reporting"] == 0 else k["freshness"]["status"]
        assert card.get("data-freshness") == expected
    dead = cards["dead"].find_class("num")[0].text_content()
    assert dead == "8"
    assert cards["missing"].find_class("cov")[0].text_content().endswith("(未確認 1)")
    row = dom.xpath('//tr[@data-pref="43"]/td[@data-type="disaster_damage"]')[0]
    assert row.text_content() == "2 / 45" and "f-" in row.get("class")
    assert dom.get_element_by_id("silent-count").get("data-count") == str(len(api["silent"]))
    assert dom.xpath('//li[@data-lg="432121"]')  # the withdrawn municipality is listed as silent
    charts = dom.find_class("chart")
    assert len(charts) == len(api["key"])
    assert dom.xpath('//div[@data-indicator="dead" and @class="chart"]//*[local-name()="path"]')


def test_screenshot_artifact(server, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "status_page.png"
    shot.unlink(missing_ok=True)
    chromium(f"{server}/status", tmp_path, f"--screenshot={shot}", "--window-size=1400,1500",
             "--hide-scrollbars")
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
