"""The 法人番号公表サイト download pages (基本3情報ダウンロード 全件 / 差分): scrape and download.

The pages are JavaScript forms. A download is: GET the page, read the hidden token input
``jp.go.nta.houjin_bangou.framework.web.common.CNSFWTokenProcessor.request.token``, then POST the token with
``event=download`` and ``selDlFileNo=<file number>`` taken from the link's ``onclick``. File numbers change every
month, so they are always scraped. Each link's format (CSV・Shift-JIS / CSV・Unicode / XML・Unicode) comes from
the section heading above its table, its region (全件) or 作成日 in Japanese era dates (差分) from its row.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import httpx
from lxml import html as lxml_html

from registries.corporate.codes import PREFECTURE_CODES
from registries.corporate.parse import diff_file_name
from registries.http import Download, NotModified, download

TOKEN_FIELD = "jp.go.nta.houjin_bangou.framework.web.common.CNSFWTokenProcessor.request.token"
DEFAULT_BASE_URL = "https://www.houjin-bangou.nta.go.jp/download/"
Format = Literal["csv_sjis", "csv_unicode", "xml_unicode"]
Variant = Literal["unicode", "sjis", "xml"]
_VARIANTS: dict[str, Format] = {"unicode": "csv_unicode", "sjis": "csv_sjis", "xml": "xml_unicode"}
PageKind = Literal["zenken", "sabun"]

_ERAS = {"令和": 2018, "平成": 1988}
_ERA_DATE = re.compile(r"(令和|平成)\s*(\d+|元)\s*年\s*(\d+)\s*月\s*(\d+)\s*日")
_FILE_NO = re.compile(r"selDlFileNo\D{0,10}(\d+)|\((?:\s*['\"]?)(\d{3,})")


class SiteError(Exception):
    """The download page did not have the expected structure (token or file links missing)."""


@dataclass(frozen=True)
class DownloadFile:
    """One downloadable file listed on a page."""

    file_no: str
    format: Format
    label: str                    # the row label: 全国 / 北海道 / … (全件) or 令和8年11月2日 (差分)
    prefecture_code: str | None   # 00 全国, 01–47, 99 国外 (全件 only)
    day: date | None              # 作成日 (差分 only)
    file_name: str | None         # the link text when it is a file name


@dataclass(frozen=True)
class DownloadPage:
    """A parsed 全件 or 差分 page: the form token, the form action and the files listed."""

    token: str
    action: str | None
    files: tuple[DownloadFile, ...]

    def find(self, *, format: Format = "csv_unicode", prefecture_code: str | None = None,
             day: date | None = None) -> DownloadFile:
        for f in self.files:
            if f.format != format:
                continue
            if prefecture_code is not None and f.prefecture_code != prefecture_code:
                continue
            if day is not None and f.day != day:
                continue
            return f
        raise LookupError(f"no {format} file for prefecture={prefecture_code} day={day} on the page")

    def latest_diff(self, format: Format = "csv_unicode") -> DownloadFile:
        diffs = [f for f in self.files if f.format == format and f.day is not None]
        if not diffs:
            raise LookupError(f"no dated {format} file on the page")
        return max(diffs, key=lambda f: f.day or date.min)


def era_date(text: str) -> date | None:
    """``令和8年2月20日`` -> 2026-02-20 (also 平成, 元年); None if there is no era date in ``text``."""
    m = _ERA_DATE.search(text)
    if not m:
        return None
    year = 1 if m.group(2) == "元" else int(m.group(2))
    return date(_ERAS[m.group(1)] + year, int(m.group(3)), int(m.group(4)))


def _format_of(text: str) -> Format | None:
    t = text.replace(" ", "").replace("　", "").lower()
    if "xml" in t:
        return "xml_unicode"
    if "unicode" in t:
        return "csv_unicode"
    if "shift" in t or "sjis" in t:
        return "csv_sjis"
    return None


def _section_format(link: lxml_html.HtmlElement) -> Format | None:
    """The format of the section a link belongs to: an enclosing id (``csv-unicode``…) or the nearest
    preceding heading (h2–h4/caption text) or id that names one."""
    for el in link.iterancestors():
        if (fmt := _format_of(el.get("id", ""))) is not None:
            return fmt
    for el in reversed(link.xpath("preceding::*[self::h2 or self::h3 or self::h4 or self::caption or @id]")):
        text = el.text_content() if el.tag in ("h2", "h3", "h4", "caption") else ""
        if (fmt := _format_of(el.get("id", "")) or _format_of(text)) is not None:
            return fmt
    return None


def _row_label(link: lxml_html.HtmlElement) -> str:
    """The label of the link's row: ``dt``/``th`` of the enclosing ``dl``/``tr``."""
    for el in link.iterancestors():
        if el.tag in ("dl", "tr"):
            cells = el.xpath(".//dt|.//th")
            if cells:
                return " ".join(cells[0].text_content().split())
    return ""


def parse_download_page(text: str) -> DownloadPage:
    """Read the token and every download link of a 全件/差分 page."""
    doc = lxml_html.fromstring(text)
    token_inputs = doc.xpath(f"//input[@name='{TOKEN_FIELD}']")
    if not token_inputs or not token_inputs[0].get("value"):
        raise SiteError(f"hidden token input {TOKEN_FIELD!r} not found on the page")
    forms = token_inputs[0].xpath("ancestor::form[1]")
    action = forms[0].get("action") if forms else None
    files: list[DownloadFile] = []
    for link in doc.xpath("//a[@onclick]"):
        m = _FILE_NO.search(link.get("onclick", ""))
        fmt = _section_format(link)
        if not m or fmt is None:
            continue
        label = _row_label(link)
        name = " ".join(link.text_content().split())
        files.append(DownloadFile(
            file_no=m.group(1) or m.group(2), format=fmt, label=label,
            prefecture_code=PREFECTURE_CODES.get(label), day=era_date(label),
            file_name=name if re.fullmatch(r"[\w.-]+\.zip", name) else None,
        ))
    if not files:
        raise SiteError("no download links (onclick with a file number) found on the page")
    return DownloadPage(token=token_inputs[0].get("value"), action=action, files=tuple(files))


class NtaDownloadSite:
    """The 全件/差分 download pages under ``base_url`` (env ``KIBAN_NTA_DOWNLOAD_URL``)."""

    def __init__(self, base_url: str | None = None, *, client: httpx.Client | None = None) -> None:
        self.base_url = (base_url or os.environ.get("KIBAN_NTA_DOWNLOAD_URL") or DEFAULT_BASE_URL).rstrip("/") + "/"
        self.client = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, read=300.0))

    def page_url(self, kind: PageKind) -> str:
        return urljoin(self.base_url, f"{kind}/index.html")

    def page(self, kind: PageKind) -> DownloadPage:
        resp = self.client.get(self.page_url(kind))
        resp.raise_for_status()
        return parse_download_page(resp.text)

    def download(self, kind: PageKind, file: DownloadFile, dest_dir: Path, **kwargs: object) -> Download:
        """POST for one file (a fresh token is read first). 差分 files are saved as ``diff_YYYYMMDD.zip``."""
        page = self.page(kind)
        url = urljoin(self.page_url(kind), page.action) if page.action else self.page_url(kind)
        form = {TOKEN_FIELD: page.token, "event": "download", "selDlFileNo": file.file_no}
        filename = diff_file_name(file.day.strftime("%Y%m%d")) if kind == "sabun" and file.day else None
        result = download(url, dest_dir, client=self.client, method="POST", data=form, filename=filename,
                          **kwargs)  # type: ignore[arg-type]
        if isinstance(result, NotModified):  # a POST is never conditional; keep the type honest
            raise SiteError("unexpected 304 for a download POST")
        return result


def fetch_full_files(
    dest_dir: Path, *, base_url: str | None = None, variant: Variant = "unicode", prefecture_code: str = "00",
    client: httpx.Client | None = None,
) -> list[Download]:
    """Download the current 全件 file of one region (default 全国 = ``00``) into ``dest_dir``."""
    site = NtaDownloadSite(base_url, client=client)
    file = site.page("zenken").find(format=_VARIANTS[variant], prefecture_code=prefecture_code)
    return [site.download("zenken", file, Path(dest_dir))]


def fetch_diff_files(
    dest_dir: Path, day: date, *, base_url: str | None = None, variant: Variant = "unicode",
    client: httpx.Client | None = None,
) -> list[Download]:
    """Download the 差分 file created on ``day`` (saved as ``diff_YYYYMMDD.zip``); [] when the page lists
    no file for that day (no publication, or older than the page keeps)."""
    site = NtaDownloadSite(base_url, client=client)
    files = [f for f in site.page("sabun").files if f.format == _VARIANTS[variant] and f.day == day]
    return [site.download("sabun", f, Path(dest_dir)) for f in files]
