"""Municipal reports (市区町村報告) as a load source: one submission (a file or an HTTP body) is one arrival.

The shared load use case (:mod:`kiban.load.runner`) does the rest -- dedupe on the ledger, quarantine reports,
one lake transaction per batch. What is particular to reports:

- **stage**: parse the bytes (CSV UTF-8/CP932, XLSX template, JSON), check the authenticated identity stored with
  the arrival against every report (a municipality for itself, a prefecture for its municipalities: 代理入力;
  an HTTP arrival without an identity is never processed), and write one staged Parquet per report type;
- **validate**: the Great Expectations suite of each report type (contract checks + ``rules.rules_for``), run
  once per report type over the whole batch (``batch_validation``), with two context relations: the
  municipality master and the latest stored versions of the batch's keys (:func:`context`);
- **decide**: a report id is never reused (a pure rule over the ids already stored, read inside the
  transaction);
- **store**: ``report_versions`` (every version of accepted submissions; rejected submissions are kept as their
  raw bytes, ledger row and quarantine report, never as versions), ``report_<type>`` typed rows, and
  ``reports_latest`` rebuilt from the versions (natural key, tombstones, 訓練 excluded; ``versions.latest_sql``).

The receipt of a submission (受付票, ``report_submissions``) is the ledger row itself (a view over ``loads``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kiban.config import Paths
from kiban.lake import LAKE, Lake, LakeWriter, contract_select
from kiban.load import Arrival, Item, Source, Staged, StagedDataset
from registries.errors import SourceError
from registries.reports import fields
from registries.reports.lgcode import is_well_formed, prefecture_code
from registries.reports.master import lg_master
from registries.reports.model import Submission
from registries.reports.parse import parse
from registries.reports.records import staged_table, typed_table, versions_table
from registries.reports.rules import MASTER, PREVIOUS, rules_for
from registries.reports.safety import DEFAULT_MAX_BYTES
from registries.reports.versions import latest_sql
from schemas.contract import Contract
from schemas.reports import CONTRACTS, REPORT_VERSIONS, REPORTS_LATEST

SOURCE = "reports"


def may_submit(actor_lg: str, target_lg: str | None) -> bool:
    """The municipality itself, or its prefecture (代理入力, a ``PP000c`` code) -- nobody else."""
    if not target_lg or not is_well_formed(str(target_lg)):
        return False
    return actor_lg == target_lg or (actor_lg[2:5] == "000" and prefecture_code(str(target_lg)) == actor_lg)


def _err(file: str, sub: Submission | None, column: str | None, rule: str, value: object, message: str
         ) -> dict[str, Any]:
    return {"file": file, "row": sub.source_row if sub else None, "column": column, "rule": rule,
            "value": None if value is None else str(value), "message": message}


def authorise(subs: Sequence[Submission], identity: Mapping[str, Any], file: str) -> list[dict[str, Any]]:
    """Check every report against the authenticated 団体, then record it as the reporter; returns the refusals.

    A refusal names the report row. Nothing is changed before every report has been checked.
    """
    actor = str(identity.get("lg_code") or "")
    errors = []
    for s in subs:
        lg, claimed = s.envelope.get("lg_code"), s.envelope.get("reporter_lg_code")
        if not may_submit(actor, None if lg is None else str(lg)):
            errors.append(_err(file, s, "lg_code", "not_authorised", lg,
                               f"{actor or 'this caller'} may not submit for {lg}: only the municipality itself or "
                               "its prefecture (代理入力) may"))
        elif claimed is not None and str(claimed) not in (actor, str(lg)):
            errors.append(_err(file, s, "reporter_lg_code", "reporter_mismatch", claimed,
                               f"reporter_lg_code {claimed} is neither the caller's 団体 {actor} nor {lg}"))
    if not errors:
        for s in subs:
            s.envelope["reporter_lg_code"] = actor
            s.texts["reporter_lg_code"] = actor
    return errors


@dataclass
class Parsed:
    """What staging keeps for the store: the parsed reports, by report type, in staged row order."""

    subs: list[Submission]

    def by_type(self, report_type: str) -> list[Submission]:
        return [s for s in self.subs if s.report_type == report_type]


def stage(arrival: Arrival, workdir: Path, load_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Staged:
    raw = arrival.raw
    if arrival.channel == "api" and not arrival.submitted_by:
        raise SourceError(raw.original_name, "an HTTP submission without the identity that submitted it is "
                                             "never processed", rule="not_authenticated")
    subs = parse(raw.path.read_bytes(), raw.original_name, received_at=arrival.received,
                 channel="api" if arrival.channel == "api" else "file", max_bytes=max_bytes)
    if not subs:
        raise SourceError(raw.original_name, "the file holds no report (a header without rows)", rule="empty")
    staged = Staged([], info={"reports": len(subs), "report_ids": [str(s.envelope.get("report_id")) for s in subs],
                              "lg_codes": sorted({str(s.envelope.get("lg_code")) for s in subs})},
                    payload=Parsed(subs))
    if arrival.submitted_by:
        staged.errors = authorise(subs, arrival.submitted_by, raw.original_name)
        if staged.errors:
            return staged
    for rt in fields.REPORT_TYPES:
        rows = [s for s in subs if s.report_type == rt]
        if not rows:
            continue
        out = workdir / f"staged_{rt}.parquet"
        pq.write_table(staged_table(rows, rt), out)
        staged.datasets.append(StagedDataset(CONTRACTS[rt], out, rules_for(rt), len(rows)))
    return staged


# -- validation context ------------------------------------------------------------------------------------------

def _master_table(paths: Paths) -> pa.Table:
    entries = lg_master(paths)
    return pa.table({
        "lg_code": list(entries), "valid_from": [e[0] for e in entries.values()],
        "valid_to": [e[1] for e in entries.values()], "prefecture_code": [e[2] for e in entries.values()],
    }, schema=pa.schema([("lg_code", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32()),
                         ("prefecture_code", pa.string())]))


_PREVIOUS_SCHEMA = pa.schema([("report_type", pa.string()), ("lg_code", pa.string()), ("subject_key", pa.string()),
                              ("as_of", pa.timestamp("us", tz="UTC")), ("sequence_no", pa.int32()),
                              ("report_id", pa.string()), ("payload", pa.string())])


def _previous_table(paths: Paths, lg_codes: list[str]) -> pa.Table:
    lake = Lake(paths)
    if not lg_codes or not lake.readable():
        return _PREVIOUS_SCHEMA.empty_table()
    con = lake.reader(spatial=False)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'reports_latest'").fetchone()[0]:
            return _PREVIOUS_SCHEMA.empty_table()
        return con.execute(
            "SELECT report_type, lg_code, subject_key, as_of, sequence_no, report_id, payload FROM reports_latest "
            "WHERE report_type IN ('disaster_damage', 'population_monthly') AND list_contains(?, lg_code)",
            [lg_codes]).to_arrow_table().cast(_PREVIOUS_SCHEMA)
    finally:
        con.close()


def context(paths: Paths, items: Sequence[Item], workdir: Path) -> dict[str, Path]:
    """The relations the rules read beside ``staged``: the municipality master and the previous versions."""
    workdir.mkdir(parents=True, exist_ok=True)
    lgs = sorted({str(s.envelope.get("lg_code")) for i in items for s in i.staged.payload.subs
                  if s.report_type in ("disaster_damage", "population_monthly")})
    out = {MASTER: workdir / "lg_master.parquet", PREVIOUS: workdir / "previous_versions.parquet"}
    pq.write_table(_master_table(paths), out[MASTER])
    pq.write_table(_previous_table(paths, lgs), out[PREVIOUS])
    return out


# -- decide and store ----------------------------------------------------------------------------------------------

def read_facts(writer: LakeWriter, items: Sequence[Item]) -> set[str]:
    """Report ids of the batch that are stored already (read inside the write transaction)."""
    ids = [str(s.envelope.get("report_id")) for i in items for s in i.staged.payload.subs]
    if not ids or not writer.table_exists(REPORT_VERSIONS.name):
        return set()
    rows = writer.con.execute(f"SELECT DISTINCT report_id FROM {LAKE}.report_versions WHERE list_contains(?, "
                              "report_id)", [ids]).fetchall()
    return {r[0] for r in rows}


def decide(items: Sequence[Item], stored_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Pure: a report id already stored, or used by an earlier submission of the batch, rejects the submission."""
    rejected: dict[str, list[dict[str, Any]]] = {}
    taken: dict[str, str] = {}
    for item in items:
        errors = []
        for s in item.staged.payload.subs:
            rid = str(s.envelope.get("report_id"))
            if rid in stored_ids:
                errors.append(_err(item.raw.original_name, s, "report_id", "report_id_reused", rid,
                                   "report_id was already used by an earlier submission (ids are never reused)"))
            elif taken.setdefault(rid, item.load_id) != item.load_id:
                errors.append(_err(item.raw.original_name, s, "report_id", "report_id_reused", rid,
                                   f"report_id is already used by submission {taken[rid]} in this batch"))
        if errors:
            rejected[item.load_id] = errors
    return rejected


def _arrow_select(writer: LakeWriter, table: pa.Table, contract: Contract, name: str) -> str:
    writer.con.register(name, table)
    return f"SELECT {contract_select(contract, table.column_names)} FROM {name}"


def _finding(w: Mapping[str, Any]) -> dict[str, Any]:
    return {"field": w.get("column"), "rule": w.get("rule"), "reason": w.get("message"), "value": w.get("value")}


def store(writer: LakeWriter, items: Sequence[Item]) -> dict[str, dict[str, int]]:
    """Append versions and typed rows of the accepted submissions; rebuild ``reports_latest``. One transaction.

    A version's ``validation_warnings`` are the warnings its own row raised (matched by record number).
    """
    counts: dict[str, dict[str, int]] = {i.load_id: {} for i in items}
    subs: list[Submission] = []
    warnings: list[list[dict[str, Any]]] = []
    for item in items:
        by_row: dict[int, list[dict[str, Any]]] = {}
        for w in item.warnings:
            if isinstance(w.get("row"), int):
                by_row.setdefault(w["row"], []).append(_finding(w))
        per = counts[item.load_id]
        for s in item.staged.payload.subs:
            subs.append(s)
            warnings.append(by_row.get(s.source_row, []))
            for table in (REPORT_VERSIONS.name, CONTRACTS[s.report_type].name):
                per[table] = per.get(table, 0) + 1
    if subs:
        writer.append(REPORT_VERSIONS, _arrow_select(writer, versions_table(subs, warnings), REPORT_VERSIONS,
                                                     "_versions"))
        for rt in sorted({s.report_type for s in subs}):
            contract = CONTRACTS[rt]
            writer.append(contract, _arrow_select(writer, typed_table(subs, rt), contract, f"_typed_{rt}"))
    if subs or not writer.table_exists(REPORTS_LATEST.name):
        writer.ensure_table(REPORT_VERSIONS)
        writer.replace(REPORTS_LATEST, latest_sql(table=f"{LAKE}.{REPORT_VERSIONS.name}"))
    return counts


def reports_source(max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    return Source(
        name=SOURCE,
        stage=lambda arrival, workdir, load_id: stage(arrival, workdir, load_id, max_bytes=max_bytes),
        store=store, read_facts=read_facts, decide=decide, context=context, batch_validation=True,
    )

