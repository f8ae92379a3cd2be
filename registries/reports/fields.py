"""Field metadata per report type, derived from ``schemas.reports`` (headers, input fields, defaults)."""

from __future__ import annotations

import unicodedata
from functools import cache

from schemas.contract import Column
from schemas.reports import CONTRACTS, ENVELOPE, ITEMS, SCHEMA_VERSION

REPORT_TYPES: tuple[str, ...] = tuple(ITEMS)

#: envelope fields filled by the pipeline, never read from a submission file
SYSTEM_FIELDS: tuple[str, ...] = ("received_at", "channel", "field_status", "sha256", "source_file")
#: envelope fields a reporter writes (template columns, in this order)
INPUT_ENVELOPE: tuple[Column, ...] = tuple(c for c in ENVELOPE if c.name not in SYSTEM_FIELDS)
#: input envelope fields that must be present (as a header) in every file
REQUIRED_HEADERS: tuple[str, ...] = ("lg_code", "as_of")
#: defaults applied when an optional envelope cell is blank
ENVELOPE_DEFAULTS: dict[str, str] = {
    "schema_version": SCHEMA_VERSION, "sequence_no": "1", "phase": "速報", "control": "正規", "update_type": "新規",
}

#: disaster_damage counts that are cumulative (累計): a fall versus the previous version is flagged
CUMULATIVE_DAMAGE: tuple[str, ...] = tuple(
    c.name for c in ITEMS["disaster_damage"]
    if c.type in ("int64", "double") and c.name not in {
        "water_outage_households", "phone_lines_down", "power_outage_households", "gas_outage_households",
        "evac_target_households", "evac_target_persons", "shelters_open", "evacuees", "evac_households",
    }
)


def norm_header(text: str) -> str:
    """Header matching key: NFKC, no whitespace, lower case (全角/半角 and spacing differences are ignored)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def input_columns(report_type: str) -> tuple[Column, ...]:
    """Columns of a submission file for ``report_type``: input envelope then items (template order)."""
    return (*INPUT_ENVELOPE, *ITEMS[report_type])


def item_columns(report_type: str) -> tuple[Column, ...]:
    return ITEMS[report_type]


@cache
def header_map(report_type: str) -> dict[str, str]:
    """Normalised header (Japanese ``Column.ja`` or English name) -> column name."""
    out: dict[str, str] = {}
    for c in input_columns(report_type):
        out[norm_header(c.ja)] = c.name
        out[norm_header(c.name)] = c.name
    return out


def contract_columns(report_type: str) -> list[str]:
    return CONTRACTS[report_type].column_names


def derive_subject_key(report_type: str, items: dict) -> str | None:
    """The subject key implied by the items, or None when the items do not determine it.

    shelter_status: ``{disaster_id}/{shelter_id}``; population_monthly: ``YYYY-MM``;
    system_migration: 業務コード; system_cost: ``{年度}/{業務コード}``; disaster_damage: from the file only.
    """
    if report_type == "shelter_status" and items.get("disaster_id") and items.get("shelter_id"):
        return f"{items['disaster_id']}/{items['shelter_id']}"
    if report_type == "population_monthly" and items.get("year_month"):
        return str(items["year_month"])
    if report_type == "system_migration" and items.get("business_code"):
        return str(items["business_code"])
    if report_type == "system_cost" and items.get("fiscal_year") and items.get("business_code"):
        return f"{items['fiscal_year']}/{items['business_code']}"
    return None
