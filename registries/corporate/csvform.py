"""The NTA CSV record form: headerless, 30 columns, text fields quoted with ``""`` escapes, codes bare."""

from __future__ import annotations

from schemas.corporate import OFFICIAL_COLUMN_NAMES

_QUOTED = frozenset({"name", "prefecture_name", "city_name", "street_number", "address_outside", "change_cause",
                     "en_name", "en_prefecture_name", "en_city_name", "en_address_outside", "furigana"})


def format_row(seq: int, v: dict[str, str]) -> str:
    """One record as the NTA writes it: text quoted (``""`` escaped) when present, codes and dates bare."""
    out = []
    for col in OFFICIAL_COLUMN_NAMES:
        val = str(seq) if col == "sequence_number" else v[col]
        if col in _QUOTED and val:
            val = '"' + val.replace('"', '""') + '"'
        out.append(val)
    return ",".join(out)
