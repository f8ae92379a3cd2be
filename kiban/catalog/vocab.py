"""What every catalog document (DCAT, CKAN, Data Package) says the same way: publisher and contact point,
licence documents, update frequency (EU frequency vocabulary), spatial coverage, the groups (分野) of datasets.

The publisher is whoever runs this Kiban: ``KIBAN_PUBLISHER_NAME``, ``KIBAN_PUBLISHER_URL`` and
``KIBAN_CONTACT_EMAIL`` name it (defaults: the contract's owner, no URL, no e-mail).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

#: contract cadence -> EU Publications Office frequency authority table (DCAT-AP ``dct:accrualPeriodicity``)
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCY = {
    "continuous": "UPDATE_CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "semiannual": "ANNUAL_2", "annual": "ANNUAL", "irregular": "IRREG",
}

#: every dataset covers Japan (EU country authority table; DCAT-AP ``dct:spatial``)
JAPAN = "http://publications.europa.eu/resource/authority/country/JPN"
LANGUAGE_JA = "http://publications.europa.eu/resource/authority/language/JPN"

CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"

#: contract group -> (Japanese, English) title of the CKAN group / DCAT theme label
GROUPS = {
    "address": ("住所・アドレス", "Addresses"),
    "corporate": ("法人", "Corporations"),
    "real_estate": ("不動産・地図", "Real estate and maps"),
    "reference": ("参照コード", "Reference codes"),
    "reports": ("市区町村報告", "Municipal reports"),
    "indicators": ("指標", "Indicators"),
}


#: contract group -> EU data theme (DCAT-AP ``dcat:theme``)
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
THEMES = {"address": "REGI", "corporate": "ECON", "real_estate": "REGI", "reference": "GOVE", "reports": "GOVE",
          "indicators": "GOVE"}


def theme_uri(group: str) -> str | None:
    return THEME_BASE + THEMES[group] if group in THEMES else None


def frequency_uri(cadence: str | None) -> str | None:
    return FREQUENCY_BASE + FREQUENCY[cadence] if cadence in FREQUENCY else None


def group_title(group: str) -> str:
    ja, en = GROUPS.get(group, (group, group))
    return f"{ja} ({en})" if ja != en else ja


@dataclass(frozen=True)
class Licence:
    """A licence document: ``uri`` where one is known (named in the licence text, or CC BY 4.0), else None."""

    label: str
    uri: str | None

    @property
    def ckan_id(self) -> str:
        return "cc-by" if self.uri == CC_BY_4 else "other-at"


_URL = re.compile(r"https?://[^\s)）,、]+")


def licences(text: str) -> list[Licence]:
    """The licence documents named by a contract's licence text (several are separated by ``;``)."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        url = _URL.search(part)
        out.append(Licence(part, url.group(0) if url else (CC_BY_4 if part == "CC BY 4.0" else None)))
    return out


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None = None
    email: str | None = None

    @classmethod
    def from_env(cls, default_name: str) -> Publisher:
        return cls(os.environ.get("KIBAN_PUBLISHER_NAME") or default_name,
                   os.environ.get("KIBAN_PUBLISHER_URL") or None, os.environ.get("KIBAN_CONTACT_EMAIL") or None)
