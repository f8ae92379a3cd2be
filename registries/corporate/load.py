"""国税庁 法人番号 into the lake: events appended, current state derived, 全件 reconciled.

Semantics (docs/stack.md §7, docs/formats/base-registries.md §1.4):
- ``corporate_events`` keeps every row of every 全件/差分 file and Web-API response (append-only, with lineage).
- ``corporations`` holds one row per corporate number: among rows with 最新履歴 ``latest = '1'`` the one with the
  greatest 更新年月日 (ties: the later load, then the greater 一連番号). A 削除 (process 99) removes the number
  from the current state; closed corporations (閉鎖, close_date set) stay, flagged ``is_closed``.
- Loading a 全件 file first reconciles it against the state built so far (``corporate_reconciliation``:
  missing / extra / differs), then applies it like any other file.
All three tables change in one lake transaction per file.

Staging writes each file once, already in the stored layout (typed columns, lineage, ``is_closed``; see
``registries.corporate.parse``), and the validated file is *adopted* into ``corporate_events`` as it is rather than
copied. When that file alone is the complete new state -- every row the latest for its number, no 削除, each
number once, nothing in the previous state newer or missing from it (the first load, and a monthly 全件 on top
of its own diffs) -- ``corporations`` takes the same bytes through a hard link instead of a rewrite. Otherwise
the state is merged in SQL (:func:`_apply_to_state`).
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import polars as pl

from kiban.archive import RawObject
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, LakeWriter, contract_select, files_view_sql
from kiban.load import Item, Source, Staged, StagedDataset, per_item
from registries.corporate.parse import (
    has_noncanonical_text,
    kind_from_name,
    stage_corporate_file,
    text_view_sql,
)
from registries.corporate.rules import rules_for
from schemas.corporate import OFFICIAL_COLUMN_NAMES, corporate_events, corporate_reconciliation, corporations

#: The staged form of a file: the 30 official columns (lineage is added when stored).
STAGED_EVENTS = dataclasses.replace(
    corporate_events,
    columns=tuple(c for c in corporate_events.columns if c.name in OFFICIAL_COLUMN_NAMES),
    primary_key=(),
    sort_by=(),
)
STAGED_RULES = rules_for("corporate_events")
#: How validation reads the staged file: as the received text.
STAGED_TEXT = text_view_sql("{source}")
#: The same for a file without non-canonical text: its dates as DATE (their text is exactly the rendering).
STAGED_TYPED_DATES = text_view_sql("{source}", typed_dates=True)
#: ... and 一連番号 as BIGINT: what such a file is validated on; its failing checks are run again on the text for
#: their samples (ADR 0009), so quarantine reports carry the received text.
STAGED_TYPED = text_view_sql("{source}", typed_dates=True, typed_numbers=True)
#: Lineage written into the staged file with every row.
LINEAGE_COLUMNS = ("source_file", "source_sha256", "load_id", "source_kind")

#: Columns compared by the reconciliation: everything but the file's 一連番号 and the event's 訂正区分 (whether the
#: row that set the state was a correction says nothing about the state itself).
COMPARED = [c for c in OFFICIAL_COLUMN_NAMES if c not in ("sequence_number", "corporate_number", "correct")]


def stage(raw: RawObject, workdir: Path, load_id: str, kind: str | None = None, encoding: str | None = None
          ) -> Staged:
    out = workdir / "corporate_events.parquet"
    kind = kind or kind_from_name(raw.original_name) or "diff"
    # the archive names files by hash: stage from a link carrying the original name (zip member checks use it)
    named = workdir / raw.original_name
    named.symlink_to(raw.path)
    values = dict(zip(LINEAGE_COLUMNS, (raw.original_name, raw.sha256, load_id, kind), strict=True))
    extra = [
        *(pl.lit(v).alias(name) for name, v in values.items()),
        pl.col("close_date").is_not_null().alias("is_closed"),  # for corporations, when it takes the file
    ]
    result = stage_corporate_file(named, out, kind=kind, encoding=encoding,  # type: ignore[arg-type]
                                  extra_columns=extra)
    info = {"encoding": result.encoding, "inner_name": result.inner_name, "kind": kind, "rows": result.rows}
    # a file whose typed columns took every text as it is: its dates and 一連番号 are read typed (same verdicts, no
    # parsing); failing checks are reported from the text
    view = STAGED_TEXT if has_noncanonical_text(out) else STAGED_TYPED
    return Staged([StagedDataset(STAGED_EVENTS, out, STAGED_RULES, result.rows, view=view,
                                  detail_view=None if view == STAGED_TEXT else STAGED_TEXT)], info,
                  content_key=content_key(raw.path, result.inner_name))


def content_key(path: Path, inner_name: str | None) -> str | None:
    """The CSV's identity inside a zip (CRC-32 and size from the zip directory, free to read): the same 差分
    re-zipped or renamed is recognised as loaded before. None for a bare CSV (its sha256 is its identity)."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if i.filename == inner_name] or [
            i for i in zf.infolist() if i.filename.lower().endswith(".csv")]
    if len(members) != 1:
        return None
    return f"csv-crc32:{members[0].CRC:08x}:{members[0].file_size}"


def _scope_predicate(file_name: str) -> str:
    """全件 files are per prefecture (``13_tokyo_all_...``) or national (``00_zenkoku_all_...``)."""
    m = re.match(r"^(\d{2})_", file_name)
    if not m or m.group(1) == "00":
        return "true"
    return f"prefecture_code = {quote_literal(m.group(1))}"


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    staged = ctx.staged.datasets[0]
    kind = ctx.staged.info["kind"]
    con = writer.con
    for contract in (corporate_events, corporations, corporate_reconciliation):
        writer.ensure_table(contract)
    adopted = None
    if has_noncanonical_text(staged.parquet):  # a valid file with non-canonical text (一連番号 "007"): cast it in SQL
        source = f"read_parquet({quote_literal(str(staged.parquet))})"
        con.execute(f"CREATE OR REPLACE TEMP VIEW staged AS {text_view_sql(source, keep=LINEAGE_COLUMNS)}")
        select = contract_select(corporate_events, [*OFFICIAL_COLUMN_NAMES, *LINEAGE_COLUMNS])
        rows = {"corporate_events": writer.append(corporate_events, f"SELECT {select} FROM staged")}
    else:
        adopted = _file_name(ctx.load_id)
        rows = {"corporate_events": writer.adopt(corporate_events, staged.parquet, name=adopted)}
    # this load's rows, read back inside the open transaction
    con.execute(f"CREATE OR REPLACE TEMP VIEW new_events AS SELECT * FROM {LAKE}.corporate_events "
                f"WHERE load_id = {quote_literal(ctx.load_id)}")

    if kind == "full":
        rows["corporate_reconciliation"] = _reconcile(writer, ctx.raw.original_name)

    if adopted is not None and _file_is_new_state(con):
        con.execute(f"DELETE FROM {LAKE}.corporations")
        events_file = writer.adopted[-1]
        rows["corporations"] = writer.adopt(corporations, events_file, name=adopted, link=True)
    else:
        rows["corporations"] = _apply_to_state(writer, ctx.load_id)
    return rows


def _file_name(load_id: str) -> str:
    return f"kiban-{re.sub(r'[^A-Za-z0-9_.-]', '_', load_id)}.parquet"


def _file_is_new_state(con) -> bool:
    """True when this load's rows alone are exactly what :func:`_apply_to_state` would produce: every row the
    latest (最新履歴 1) and not a 削除, each number once, and no number of the previous state missing from the
    file or newer in the state. Decided on narrow keys only."""
    whole, unique = con.execute("""
        SELECT count(*) = count(*) FILTER (WHERE latest = '1' AND process <> '99'),
               count(*) = count(DISTINCT corporate_number)
        FROM new_events""").fetchone()
    if not (whole and unique):
        return False
    old = _previous_state_sql(con)
    kept = con.execute(f"""
        SELECT count(*) FROM (SELECT corporate_number, update_date FROM ({old})) o
        LEFT JOIN (SELECT corporate_number, update_date FROM new_events) n USING (corporate_number)
        WHERE n.corporate_number IS NULL OR o.update_date > n.update_date""").fetchone()[0]
    return kept == 0


#: A state update that takes more than this share of the numbers -- or finds the state already spread over this
#: many files -- rewrites the whole table; smaller ones (a daily 差分) delete the superseded rows and append.
INCREMENTAL_SHARE = 0.10
MAX_STATE_FILES = 64


def _apply_to_state(writer: LakeWriter, load_id: str) -> int:
    """Fold this load's latest rows into ``corporations``; returns the table's row count afterwards.

    Decisions are made on narrow keys only: the winner per number inside the file (``arg_max`` over
    (更新年月日, 一連番号)), then old vs new by 更新年月日 (the newer wins, a tie goes to this load). A small update
    (a daily 差分) deletes the superseded numbers and appends the new rows: a DuckLake delete file and a small
    data file, which the views apply (``kiban.lake``). A large one rewrites the table, streaming the kept old rows
    and the new rows once, so the full country fits the memory cap and the state never piles up delete files.
    """
    con = writer.con
    state_cols = [c.name for c in corporations.columns]
    plain = [c for c in state_cols if c not in ("is_closed", "source_file", "load_id")]
    e_cols = ", ".join(f"e.{quote_ident(c)}" for c in plain)
    old = _previous_state_sql(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE new_keys AS
        SELECT corporate_number, arg_max(sequence_number, (update_date, sequence_number)) AS seq,
               max(update_date) AS update_date
        FROM new_events WHERE latest = '1' GROUP BY corporate_number""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE old_keys AS SELECT corporate_number, update_date FROM ({old})")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE take_new AS
        SELECT n.corporate_number, n.seq FROM new_keys n LEFT JOIN old_keys o USING (corporate_number)
        WHERE o.corporate_number IS NULL OR n.update_date >= o.update_date""")
    taken, before = con.execute("SELECT (SELECT count(*) FROM take_new), (SELECT count(*) FROM old_keys)").fetchone()
    files = con.execute("SELECT count(*) FROM ducklake_list_files(?, 'corporations')", [LAKE]).fetchone()[0]
    new_rows = f"""
        SELECT {e_cols}, e.close_date IS NOT NULL AS is_closed, e.source_file, e.load_id FROM new_events e
        JOIN take_new t ON e.corporate_number = t.corporate_number AND e.sequence_number = t.seq
        WHERE e.process <> '99'"""
    if before and taken <= INCREMENTAL_SHARE * before and files < MAX_STATE_FILES:
        con.execute(f"DELETE FROM {LAKE}.corporations WHERE corporate_number IN (SELECT corporate_number FROM take_new)")
        writer.append(corporations, new_rows)
    else:
        ordered = ", ".join(quote_ident(c) for c in state_cols)
        writer.replace(corporations, f"""
            SELECT {ordered} FROM ({old})
            WHERE corporate_number NOT IN (SELECT corporate_number FROM take_new)
            UNION ALL
            {new_rows}""")
    return con.execute(f"SELECT count(*) FROM {LAKE}.corporations").fetchone()[0]


def _previous_state_sql(con) -> str:
    """The state before this load, read from its Parquet files minus their delete files (as the views read it):
    replace() empties the table before it inserts, so the lake table itself cannot be read then."""
    files = con.execute("SELECT data_file, delete_file FROM ducklake_list_files(?, 'corporations')",
                        [LAKE]).fetchall()
    if not files:
        return f"SELECT * FROM {LAKE}.corporations WHERE false"
    return files_view_sql([c.name for c in corporations.columns], files)  # files may carry more columns


def _reconcile(writer: LakeWriter, full_file: str) -> int:
    """Compare the state built so far with a 全件 snapshot; append the differences. Empty state: nothing to do.

    Narrow first: each side is reduced to (number, hash of the compared columns) -- the 全件 side to its winning
    row per number -- and only numbers whose hashes differ are compared column by column, so the full country
    never holds two wide copies in a join. (Two different rows with equal 64-bit hashes would go unreported:
    about 3e-13 for the whole country.)
    """
    con = writer.con
    has_state = con.execute(f"SELECT count(*) FROM {LAKE}.corporations").fetchone()[0] > 0
    if not has_state:
        return 0
    scope = _scope_predicate(full_file)
    state_cols = {col.name for col in corporations.columns}
    compared = [c for c in COMPARED if c in state_cols]
    row_hash = "hash(" + ", ".join(quote_ident(c) for c in compared) + ")"
    # 最新 rows of the file, the winner per number by (更新年月日, 一連番号) folded into one sortable key
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE recon_file AS
        SELECT corporate_number, arg_max(h, k) AS h, arg_max(sequence_number, k) AS seq
        FROM (SELECT corporate_number, sequence_number, {row_hash} AS h,
                     (date_diff('day', DATE '1900-01-01', update_date)::HUGEINT << 64) + sequence_number AS k
              FROM new_events WHERE latest = '1')
        GROUP BY corporate_number""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE recon_keys AS
        SELECT coalesce(f.corporate_number, s.corporate_number) AS corporate_number, f.seq,
               CASE WHEN s.corporate_number IS NULL THEN 'missing'
                    WHEN f.corporate_number IS NULL THEN 'extra' ELSE 'differs' END AS status
        FROM recon_file f
        FULL OUTER JOIN (SELECT corporate_number, {row_hash} AS h FROM {LAKE}.corporations WHERE {scope}) s
          ON f.corporate_number = s.corporate_number
        WHERE f.h IS DISTINCT FROM s.h""")
    differs = " || ".join(
        f"CASE WHEN s.{quote_ident(c)} IS DISTINCT FROM f.{quote_ident(c)} THEN [{quote_literal(c)}] ELSE [] END"
        for c in compared
    )
    # the wide rows of the differing numbers only (semi-joins: the narrow key list is what gets hashed)
    differing = "SELECT corporate_number, seq FROM recon_keys WHERE status = 'differs'"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE recon_f AS SELECT * FROM new_events
                    WHERE (corporate_number, sequence_number) IN ({differing})""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE recon_s AS SELECT * FROM {LAKE}.corporations
                    WHERE corporate_number IN (SELECT corporate_number FROM ({differing}))""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE recon AS
        SELECT corporate_number, status, NULL AS differing_columns FROM recon_keys WHERE status <> 'differs'
        UNION ALL
        SELECT f.corporate_number, 'differs', to_json({differs})::VARCHAR
        FROM recon_f f JOIN recon_s s USING (corporate_number)
        WHERE len({differs}) > 0
    """)
    select = contract_select(
        corporate_reconciliation, ["corporate_number", "status", "differing_columns"],
        {"full_file": quote_literal(full_file), "reconciled_at": "now()"},
    )
    return writer.append(corporate_reconciliation, f"SELECT {select} FROM recon ORDER BY corporate_number")


def ingest_api_result(paths, result, label: str):
    """Load a Web-API answer (``registries.corporate.webapi.ApiResult``) like a file: archived, validated, stored.

    The rows are archived as the 30-column CSV the NTA publishes (UTF-8), named ``label`` (e.g.
    ``api_diff_2026-11-01_2026-11-05.csv``), and stored with ``source_kind = 'api'``.
    """
    from kiban.archive import RawArchive
    from kiban.load.files import load_raw

    raw = RawArchive(paths.raw).put_bytes(result.to_csv().encode("utf-8"), original_name=label,
                                          source=f"nta-web-api:{label}")
    return load_raw(paths, corporate_source(kind="api", encoding="utf-8"), raw, channel="fetch")


def corporate_source(kind: str | None = None, encoding: str | None = None) -> Source:
    """The corporate registry as a load source.

    ``kind`` forces 全件 (full) or 差分 (diff); ``encoding`` declares the variant (``utf-8`` for CSV・Unicode,
    ``cp932`` for CSV・Shift-JIS): a file whose bytes do not match is quarantined. None detects the encoding.
    """
    return Source(name="corporate", stage=lambda arrival, workdir, load_id: stage(arrival.raw, workdir, load_id, kind, encoding),
                  store=per_item(store))
