"""Rendering match results as JSON Lines, CSV (abr-geocoder's column names) or a plain text table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from kiban.addresses.match import FIELDS

FORMATS = ("jsonl", "csv", "table")
_TABLE = ("match_level", "lg_code", "machiaza_id", "lat", "lon", "output", "others")


def jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS)
    for r in rows:
        w.writerow(["" if r[f] is None else (",".join(r[f]) if f == "others" else r[f]) for f in FIELDS])
    return buf.getvalue()


def table(rows: Iterable[dict[str, Any]]) -> str:
    lines = ["\t".join(_TABLE)]
    for r in rows:
        lines.append("\t".join("" if r[f] is None else (" ".join(r[f]) if f == "others" else str(r[f]))
                               for f in _TABLE))
    return "\n".join(lines) + "\n"


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    return {"jsonl": jsonl, "csv": to_csv, "table": table}[fmt](rows)
