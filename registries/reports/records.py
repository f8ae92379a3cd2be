"""Submissions -> Arrow tables: the staged table (staging convention) and ``report_versions`` rows."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pyarrow as pa

from registries.reports import fields
from registries.reports.model import Submission
from schemas.reports import CONTRACTS, REPORT_VERSIONS


def staged_table(subs: Sequence[Submission], report_type: str) -> pa.Table:
    """Staged table for one report type: contract columns in order, as text, plus ``_source_row``.

    Text is the normalised cell text (NFKC, thousands separators removed, timestamps as ISO 8601 UTC, codes
    resolved from labels); 未確認 / blank / '-' are NULL with the reason in ``field_status``. A value that
    did not convert stays as written, so validation can name it.
    """
    names = fields.contract_columns(report_type)
    rows = [s for s in subs if s.report_type == report_type]
    cols: dict[str, list] = {n: [s.texts.get(n) for s in rows] for n in names}
    arrays = [pa.array(cols[n], pa.string()) for n in names]
    arrays.append(pa.array([s.source_row for s in rows], pa.int64()))
    return pa.Table.from_arrays(arrays, names=[*names, "_source_row"])


def typed_table(subs: Sequence[Submission], report_type: str) -> pa.Table:
    """Typed table per the report type's contract (values that failed conversion are NULL)."""
    contract = CONTRACTS[report_type]
    rows = [s for s in subs if s.report_type == report_type]
    data = {c.name: [s.envelope.get(c.name) if c.name in s.envelope else s.items.get(c.name) for s in rows]
            for c in contract.columns}
    return pa.Table.from_pydict(data, schema=contract.arrow_schema())


def versions_table(subs: Sequence[Submission], warnings: Sequence[Sequence[dict]]) -> pa.Table:
    """``report_versions`` rows of accepted reports: envelope + payload JSON + status and warnings.

    ``warnings`` (aligned with ``subs``): the non-blocking findings of each report ``{field, rule, reason, value}``.
    """
    schema = REPORT_VERSIONS.arrow_schema()
    data: dict[str, list] = {n: [] for n in schema.names}
    for sub, found in zip(subs, warnings, strict=True):
        for name in schema.names:
            if name in sub.envelope:
                data[name].append(sub.envelope[name])
        data["payload"].append(sub.payload_json())
        data["validation_status"].append("accepted_with_warnings" if found else "accepted")
        data["validation_errors"].append("[]")
        data["validation_warnings"].append(json.dumps(list(found), ensure_ascii=False))
    return pa.Table.from_pydict(data, schema=schema)
