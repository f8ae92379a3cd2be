"""The linked datasets: ``corporation_addresses`` (+ match rate and review list) and ``shelter_addresses``.

``refresh_corporations`` runs inside one lake transaction:

- the *ABR version* is a fingerprint of the data files of the ABR tables and the municipality master; when it
  differs from the one the stored rows were matched with (or there are none), every corporation is matched;
- otherwise only corporations whose name, kind, closure or address changed (``source_hash``), new ones and
  removed ones are touched: their rows are deleted (a DuckLake delete file) and the new matches appended. A
  daily 差分 of a few thousand rows therefore matches a few thousand addresses, not the country. More than
  :data:`INCREMENTAL_SHARE` of the table changed (or too many small files): the table is rewritten instead;
- which corporations changed is read from DuckLake's change feed of ``corporations`` since the snapshot that
  last wrote ``corporation_addresses`` (a daily 差分 costs its own size); when the feed cannot tell, every
  ``source_hash`` is compared instead;
- the matcher's reference tables are kept in a cache file for the ABR version (:func:`reference_cache`), and
  the addresses go through the matcher :data:`CHUNK_ROWS` at a time (memory bounded whatever the input size)
  on a second connection (:func:`_matcher`: on both cores, where the lake transaction's own temp tables are
  scanned by one thread); each chunk is written there as a Parquet file that the transaction adopts, so its
  commit publishes every chunk or none;
- ``corporation_address_match_rate`` and ``corporation_address_review`` are recomputed from the result after a
  full match; after an incremental one they are brought up to date from the removed and appended rows alone
  (:func:`_derived_delta`), and the stored rows are read once, narrowed to the corporations the feed names.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

from kiban.addresses import match, reference
from kiban.addresses.kinds import legal_form_sql
from kiban.config import Paths
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, Lake, LakeWriter, contract_select
from schemas.addresses import (
    CORPORATION_ADDRESS_MATCH_RATE,
    CORPORATION_ADDRESS_REVIEW,
    CORPORATION_ADDRESSES,
    SHELTER_ADDRESSES,
)

INCREMENTAL_SHARE = 0.10
MAX_FILES = 64
#: addresses per matcher pass (memory grows with it; the reference tables are shared by all passes)
CHUNK_ROWS = 500_000
_VERSION_TABLES = (*reference.ABR_TABLES, "municipalities")


def abr_version(writer: LakeWriter) -> str:
    """Fingerprint of the ABR and master data files in the lake (changes whenever one of them is reloaded).

    Built from the files' names, which DuckLake makes unique, not their paths: a copied or moved KIBAN_HOME
    keeps its fingerprint, so its next refresh does not match the whole country again."""
    files = []
    for t in _VERSION_TABLES:
        if writer.table_exists(t):
            files += [f"{t}:{r[0]}:{r[1]}" for r in writer.con.execute(
                "SELECT parse_filename(data_file), parse_filename(delete_file) FROM ducklake_list_files(?, ?)",
                [LAKE, t]).fetchall()]
    row = writer.con.execute("SELECT md5(string_agg(f, ',' ORDER BY f)) FROM (SELECT unnest(?::VARCHAR[]) AS f)",
                             [files]).fetchone()
    return row[0] or "none"


def _use_lake(writer: LakeWriter) -> None:
    """Let the matcher read the lake's tables by their plain names (abr_towns, municipalities ...)."""
    writer.con.execute(f"USE {LAKE}")


def _source_sql(corporations: str = f"{LAKE}.corporations") -> str:
    """Rows to match: one per corporation with an address, with the hash of what its match depends on."""
    return f"""
    SELECT corporate_number, name, kind, is_closed, prefecture_code,
           concat(prefecture_name, city_name, street_number) AS address,
           md5(concat_ws('|', name, kind, is_closed::VARCHAR, prefecture_name, city_name, street_number)) AS source_hash
    FROM {corporations}
    WHERE coalesce(prefecture_name, city_name, street_number) IS NOT NULL"""


_SOURCE = _source_sql()


def _matcher(writer: LakeWriter) -> duckdb.DuckDBPyConnection:
    """A second connection on the writer's database, for the matching.

    DuckDB scans a table made inside an open transaction on one thread only; every intermediate table of the
    matcher would be such a table in the lake transaction. On this connection each statement commits on its own
    (its temp tables are private to it and never part of the lake), so they are scanned on every thread. It
    reads the lake's committed state: the ABR as the transaction sees it (the writer lock keeps other writers
    out), and ``corporations`` pinned to the transaction's snapshot (:func:`_pinned_source`)."""
    mc = writer.con.cursor()
    mc.execute("SET enable_progress_bar = false")
    mc.execute(f"USE {LAKE}")
    return mc


def _pinned_source(writer: LakeWriter) -> str:
    """:func:`_source_sql` over ``corporations`` as of the snapshot the writer's transaction reads (the caller
    has not changed ``corporations`` in it)."""
    snapshot = int(writer.con.execute(f"FROM {LAKE}.current_snapshot()").fetchone()[0])
    return _source_sql(f"{LAKE}.corporations AT (VERSION => {snapshot})")


def _match_into(writer: LakeWriter, mc: duckdb.DuckDBPyConnection, source_sql: str, version: str,
                chunk_rows: int = CHUNK_ROWS, *, keep: str | None = None, staging: Path | None = None) -> int:
    """Match the rows of ``source_sql`` (rows of :func:`_source_sql`, read on the matcher connection ``mc``) and
    add them to ``corporation_addresses``.

    The addresses go through the matcher ``chunk_rows`` at a time (in corporate-number order). Each chunk is
    written on ``mc`` (on every thread) as one Parquet file under ``staging`` and made part of the table in the
    writer's transaction (:meth:`LakeWriter.adopt`): published by its commit, removed if it fails. Memory holds
    one chunk's intermediate tables, whatever the size of the country.
    ``keep``: the name of a temp table of the writer's connection that also receives the added rows (an
    incremental refresh updates the indicators from them instead of re-reading the country).
    """
    con = writer.con
    # numbered in corporate-number order: a sort on every thread, then a streaming count (a window ordered by the
    # number sorts on one); the numbers only have to be unique and consecutive for the chunks, the order keeps
    # each chunk's file to one range of numbers
    mc.execute(f"CREATE OR REPLACE TEMP TABLE ca_in AS SELECT row_number() OVER () AS id, * "
               f"FROM ({source_sql} ORDER BY corporate_number)")
    total = mc.execute("SELECT count(*) FROM ca_in").fetchone()[0]
    fields = [c.name for c in CORPORATION_ADDRESSES.columns]
    extras = {
        "corporate_number": "s.corporate_number", "name": "s.name", "kind": "s.kind",
        "legal_form": legal_form_sql("s.name"), "is_closed": "s.is_closed", "prefecture_code": "s.prefecture_code",
        "others": "to_json(m.others)", "source_hash": "s.source_hash", "abr_version": "$version",
        "matched_at": "$at",
    }
    for f in match.FIELDS:
        if f not in extras:
            extras[f] = f"m.{quote_ident(f)}"
    select = contract_select(CORPORATION_ADDRESSES, fields, extras)
    writer.ensure_table(CORPORATION_ADDRESSES)
    at = con.execute("SELECT now()").fetchone()[0]  # the transaction's time, as an INSERT there would write
    if keep:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(keep)} AS "
                    f"SELECT * FROM {LAKE}.corporation_addresses LIMIT 0")
    folder = Path(tempfile.mkdtemp(prefix="kiban-addresses-", dir=staging))
    n = 0
    try:
        for number, low in enumerate(range(0, total, chunk_rows)):
            high = int(low + chunk_rows)  # ints of ours, not values from outside
            chunk = f"id > {int(low)} AND id <= {high}"
            match.run(mc, f"SELECT id, address AS input FROM ca_in WHERE {chunk}", prepared=True)
            part = folder / f"part-{number:05d}.parquet"
            # not sorted within the file (a quarter of the write's cost): each file holds one range of numbers
            mc.execute(f"COPY (SELECT {select} FROM (SELECT * FROM ca_in WHERE {chunk}) s "
                       "JOIN address_matches m USING (id)) "
                       f"TO {quote_literal(str(part))} (FORMAT parquet)", {"version": version, "at": at})
            mc.execute("DROP TABLE address_matches")
            if keep:
                con.execute(f"INSERT INTO {quote_ident(keep)} SELECT * FROM read_parquet(?)", [str(part)])
            n += writer.adopt(CORPORATION_ADDRESSES, part, name=f"kiban-addresses-{uuid.uuid4()}.parquet")
    finally:
        mc.execute("DROP TABLE IF EXISTS ca_in")
        shutil.rmtree(folder, ignore_errors=True)
    return int(n)


_BELOW_MACHIAZA = "('unknown', 'prefecture', 'city')"


def _rate_select() -> str:
    levels = ", ".join(f"'{v}'" for v in match.LEVELS[3:])
    return contract_select(CORPORATION_ADDRESS_MATCH_RATE, [], {
        "prefecture_code": "p", "match_level": "match_level", "corporations": "n",
        "share": "n / sum(n) OVER (PARTITION BY p)",
        "at_least_machiaza": f"coalesce(sum(n) FILTER (WHERE match_level IN ({levels})) OVER (PARTITION BY p), 0) / "
                             "sum(n) OVER (PARTITION BY p)",
        "computed_at": "now()"})


def _review_select() -> str:
    return contract_select(CORPORATION_ADDRESS_REVIEW, [], {
        "corporate_number": "corporate_number", "name": "name", "prefecture_code": "prefecture_code",
        "input": "input", "match_level": "match_level", "lg_code": "lg_code", "others": "others",
        "reason": ("CASE match_level WHEN 'unknown' THEN 'no_prefecture' WHEN 'prefecture' THEN 'no_city' "
                   "ELSE 'no_machiaza' END")})


def _derived(writer: LakeWriter) -> dict[str, int]:
    """The match rate per prefecture and level and the review list, computed over the whole table."""
    rows = {CORPORATION_ADDRESS_MATCH_RATE.name: writer.replace(
        CORPORATION_ADDRESS_MATCH_RATE,
        f"SELECT {_rate_select()} FROM (SELECT coalesce(prefecture_code, '--') AS p, match_level, count(*) AS n "
        f"FROM {LAKE}.corporation_addresses GROUP BY ALL) ORDER BY 1, 2")}
    rows[CORPORATION_ADDRESS_REVIEW.name] = writer.replace(
        CORPORATION_ADDRESS_REVIEW,
        f"SELECT {_review_select()} FROM {LAKE}.corporation_addresses "
        f"WHERE match_level IN {_BELOW_MACHIAZA} ORDER BY prefecture_code, corporate_number")
    return rows


def _derived_delta(writer: LakeWriter, removed: str, added: str) -> dict[str, int]:
    """The same tables as :func:`_derived`, brought up to date from what a refresh changed, without reading the
    country: ``removed`` (a temp table of the deleted rows' ``corporate_number``, ``p`` = prefecture code or
    ``--`` and ``match_level``) and ``added`` (a temp table of the appended ``corporation_addresses`` rows).
    The counts per prefecture and level are the stored ones minus the removed plus the added (a level left with
    none disappears, as in a recount); the review list keeps its rows not removed and takes the added ones below
    町字. Gives exactly the rows of :func:`_derived` (tested)."""
    con = writer.con
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ca_rate AS
        SELECT p, match_level, sum(n)::BIGINT AS n FROM (
            SELECT prefecture_code AS p, match_level, corporations AS n FROM {LAKE}.corporation_address_match_rate
            UNION ALL SELECT p, match_level, -count(*) FROM {quote_ident(removed)} GROUP BY ALL
            UNION ALL SELECT coalesce(prefecture_code, '--'), match_level, count(*) FROM {quote_ident(added)}
            GROUP BY ALL)
        GROUP BY ALL HAVING sum(n) > 0""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ca_review AS
        SELECT * FROM {LAKE}.corporation_address_review ANTI JOIN {quote_ident(removed)} USING (corporate_number)
        UNION ALL BY NAME
        SELECT {_review_select()} FROM {quote_ident(added)} WHERE match_level IN {_BELOW_MACHIAZA}""")
    rows = {CORPORATION_ADDRESS_MATCH_RATE.name: writer.replace(
        CORPORATION_ADDRESS_MATCH_RATE, f"SELECT {_rate_select()} FROM ca_rate ORDER BY 1, 2")}
    cols = ", ".join(quote_ident(c.name) for c in CORPORATION_ADDRESS_REVIEW.columns)
    rows[CORPORATION_ADDRESS_REVIEW.name] = writer.replace(
        CORPORATION_ADDRESS_REVIEW, f"SELECT {cols} FROM ca_review ORDER BY prefecture_code, corporate_number")
    con.execute("DROP TABLE ca_rate")
    con.execute("DROP TABLE ca_review")
    return rows


def _changed_since_last_match(writer: LakeWriter) -> bool:
    """``ca_touched``: the corporate numbers whose ``corporations`` rows changed since ``corporation_addresses``
    was last written, read from DuckLake's change feed (a 差分 deletes and inserts the rows it changes), so a
    daily refresh reads the few thousand rows of the 差分, not the country. False when the feed cannot say
    (never written, snapshots expired, the table recreated ...): the caller compares everything instead."""
    con = writer.con
    # checked before the feed is read: a failed statement would abort the caller's whole transaction
    ids = dict(con.execute("SELECT table_name, table_id FROM ducklake_table_info(?) "
                           "WHERE table_name IN ('corporations', 'corporation_addresses')", [LAKE]).fetchall())
    if len(ids) < 2:
        return False
    written, current, recreated, first = con.execute("""
        WITH s AS (SELECT snapshot_id, changes,
                          flatten([coalesce(changes['tables_inserted_into'], []),
                                   coalesce(changes['tables_deleted_from'], []),
                                   coalesce(changes['inlined_insert'], []),
                                   coalesce(changes['inlined_delete'], [])]) AS written_to
                   FROM ducklake_snapshots(?)),
        w AS (SELECT max(snapshot_id) AS at FROM s WHERE list_contains(written_to, ?::VARCHAR))
        SELECT w.at, (SELECT max(snapshot_id) FROM s),
               (SELECT count(*) FROM s WHERE snapshot_id > w.at AND (
                   list_contains(coalesce(changes['tables_created'], []), 'main.corporations')
                   OR list_contains(coalesce(changes['tables_dropped'], []), ?::VARCHAR))),
               (SELECT min(snapshot_id) FROM s WHERE snapshot_id > w.at)
        FROM w""", [LAKE, str(ids["corporation_addresses"]), str(ids["corporations"])]).fetchone()
    if written is None or recreated:
        return False
    if first is None:  # nothing committed since
        con.execute("CREATE OR REPLACE TEMP TABLE ca_touched AS SELECT ''::VARCHAR AS corporate_number WHERE false")
        return True
    con.execute("CREATE OR REPLACE TEMP TABLE ca_touched AS SELECT DISTINCT corporate_number "
                "FROM ducklake_table_changes(?, 'main', 'corporations', ?, ?)", [LAKE, int(first), int(current)])
    return True


def rebuild_corporations(writer: LakeWriter, *, full: bool = False, cache: Path | None = None,
                         chunk_rows: int = CHUNK_ROWS, staging: Path | None = None) -> dict[str, Any]:
    """Bring ``corporation_addresses`` up to date inside the caller's transaction (see the module doc).

    ``cache``: a DuckDB file keeping the matcher's reference tables between runs (:func:`reference.load_or_build`).
    ``staging``: where the Parquet files are written before the transaction adopts them (a temporary folder in
    it; the system's temporary folder when None). The caller must not have changed ``corporations`` or the ABR
    tables in this transaction: the matching reads them as committed (:func:`_matcher`).
    """
    con = writer.con
    t0 = time.perf_counter()
    if not writer.table_exists("corporations"):
        return {"mode": "skipped", "reason": "no corporations in the lake"}
    version = abr_version(writer)
    _use_lake(writer)
    writer.ensure_table(CORPORATION_ADDRESSES)
    stored = con.execute(f"SELECT count(*), count(*) FILTER (WHERE abr_version <> ?) "
                         f"FROM {LAKE}.corporation_addresses", [version]).fetchone()
    info: dict[str, Any] = {"abr_version": version}
    derived: dict[str, int] | None = None  # the indicators, when brought up to date from the changes alone
    mc = _matcher(writer)

    def reference_tables() -> None:
        info["reference_cached"] = reference.load_or_build(mc, cache, version)

    def match_all() -> int:
        con.execute(f"DELETE FROM {LAKE}.corporation_addresses")
        info["mode"] = "full"
        reference_tables()
        return _match_into(writer, mc, _pinned_source(writer), version, chunk_rows, staging=staging)

    try:
        if full or stored[0] == 0 or stored[1] > 0:
            info["changes_from"] = "compare"
            info["matched"] = match_all()
        else:
            feed = _changed_since_last_match(writer)
            info["changes_from"] = "feed" if feed else "compare"
            # the feed narrows the source to the corporations it names before anything is hashed
            narrow = " AND corporate_number IN (SELECT corporate_number FROM ca_touched)" if feed else ""
            con.execute(f"CREATE OR REPLACE TEMP TABLE ca_src AS {_SOURCE}{narrow}")
            # the stored rows of the corporations in question (with the feed: the few it names), read once for
            # the hash comparison, the removals and the indicators
            touched = "SEMI JOIN ca_touched USING (corporate_number)" if feed else ""
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE ca_stored AS
                SELECT corporate_number, source_hash, coalesce(prefecture_code, '--') AS p, match_level
                FROM {LAKE}.corporation_addresses {touched}""")
            con.execute("""
                CREATE OR REPLACE TEMP TABLE ca_changed AS
                SELECT s.* FROM ca_src s LEFT JOIN ca_stored a USING (corporate_number)
                WHERE a.corporate_number IS NULL OR a.source_hash <> s.source_hash""")
            con.execute("""
                CREATE OR REPLACE TEMP TABLE ca_removed AS
                SELECT corporate_number, p, match_level FROM ca_stored a
                WHERE NOT EXISTS (SELECT 1 FROM ca_src s WHERE s.corporate_number = a.corporate_number
                                                         AND s.source_hash = a.source_hash)""")
            con.execute("DROP TABLE ca_stored")
            changed, removed, gone = con.execute(
                "SELECT (SELECT count(*) FROM ca_changed), (SELECT count(*) FROM ca_removed), "
                "(SELECT count(*) FROM ca_removed ANTI JOIN ca_src USING (corporate_number))").fetchone()
            con.execute("DROP TABLE ca_src")
            files = con.execute("SELECT count(*) FROM ducklake_list_files(?, 'corporation_addresses')",
                                [LAKE]).fetchone()[0]
            if changed + gone > INCREMENTAL_SHARE * stored[0] or files >= MAX_FILES:
                con.execute("DROP TABLE ca_changed")
                info["matched"] = match_all()  # the whole source, not only what the feed named
            else:
                info["mode"] = "incremental"
                if removed:
                    con.execute(f"DELETE FROM {LAKE}.corporation_addresses WHERE corporate_number IN "
                                "(SELECT corporate_number FROM ca_removed)")
                info["matched"] = 0
                if changed:  # a bounded share of the table (INCREMENTAL_SHARE), handed over in one piece
                    reference_tables()
                    mc.register("_ca_changed", con.execute("SELECT * FROM ca_changed").to_arrow_table())
                    info["matched"] = _match_into(writer, mc, "SELECT * FROM _ca_changed", version, chunk_rows,
                                                  keep="ca_added", staging=staging)
                    mc.unregister("_ca_changed")
                info["removed"] = gone
                if writer.table_exists(CORPORATION_ADDRESS_MATCH_RATE.name) and \
                        writer.table_exists(CORPORATION_ADDRESS_REVIEW.name):
                    if not changed:
                        con.execute(f"CREATE OR REPLACE TEMP TABLE ca_added AS "
                                    f"SELECT * FROM {LAKE}.corporation_addresses LIMIT 0")
                    derived = _derived_delta(writer, "ca_removed", "ca_added")
            for t in ("ca_changed", "ca_removed", "ca_added", "ca_touched"):
                con.execute(f"DROP TABLE IF EXISTS {t}")
    finally:
        mc.close()
    info["match_seconds"] = round(time.perf_counter() - t0, 2)
    info["rows"] = derived if derived is not None else _derived(writer)
    info["rows"][CORPORATION_ADDRESSES.name] = con.execute(
        f"SELECT count(*) FROM {LAKE}.corporation_addresses").fetchone()[0]
    return info


def reference_cache(paths: Paths) -> Path:
    """Where the matcher's reference tables are kept between refreshes (rebuilt when the ABR changes)."""
    return paths.home / "cache" / "address_reference.duckdb"


def refresh_corporations(paths: Paths, *, full: bool = False, chunk_rows: int = CHUNK_ROWS) -> dict[str, Any]:
    """``corporation_addresses`` and its indicators brought up to date in one lake transaction."""
    with Lake(paths).writer() as writer:
        return rebuild_corporations(writer, full=full, cache=reference_cache(paths), chunk_rows=chunk_rows,
                                    staging=paths.staging)


# -- shelters ------------------------------------------------------------------------------------------------------
def rebuild_shelters(writer: LakeWriter) -> dict[str, int]:
    """Match the addresses of the latest shelter reports; rewrite ``shelter_addresses``."""
    con = writer.con
    if not writer.table_exists("reports_latest"):
        writer.ensure_table(SHELTER_ADDRESSES)
        return {SHELTER_ADDRESSES.name: 0}
    _use_lake(writer)
    reference.build(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE sh_in AS
        SELECT row_number() OVER (ORDER BY r.lg_code, r.subject_key, r.as_of) AS id, r.lg_code, r.subject_key,
               r.as_of, r.payload->>'disaster_id' AS disaster_id, r.payload->>'shelter_id' AS shelter_id,
               r.payload->>'shelter_name' AS shelter_name, r.payload->>'open_status' AS open_status,
               NULLIF(trim(r.payload->>'address'), '') AS address,
               TRY_CAST(r.payload->>'latitude' AS DOUBLE) AS reported_lat,
               TRY_CAST(r.payload->>'longitude' AS DOUBLE) AS reported_lon,
               m.prefecture_name || CASE WHEN m.type = 'prefecture' THEN '' ELSE m.name END AS place
        FROM {LAKE}.reports_latest r
        LEFT JOIN {LAKE}.municipalities m ON m.lg_code = r.lg_code
        WHERE r.report_type = 'shelter_status'
        QUALIFY row_number() OVER (PARTITION BY r.lg_code, r.subject_key ORDER BY r.as_of DESC) = 1""")
    # as written first; an address without its municipality is read within the reporting one
    match.run(con, "SELECT id, coalesce(address, '') AS input FROM sh_in", prepared=True)
    con.execute("CREATE OR REPLACE TEMP TABLE sh_first AS SELECT * FROM address_matches")
    match.run(con, "SELECT id, place || address AS input FROM sh_in WHERE address IS NOT NULL AND place IS NOT NULL",
              prepared=True)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE sh_match AS
        SELECT * EXCLUDE (pick) FROM (
            SELECT *, row_number() OVER (PARTITION BY id ORDER BY level_rank DESC, second) AS pick FROM (
                SELECT *, 0 AS second FROM sh_first UNION ALL SELECT *, 1 FROM address_matches))
        WHERE pick = 1""")
    extras: dict[str, str] = {
        "lg_code": "s.lg_code", "subject_key": "s.subject_key", "disaster_id": "s.disaster_id",
        "shelter_id": "s.shelter_id", "shelter_name": "s.shelter_name", "open_status": "s.open_status",
        "as_of": "s.as_of", "address": "s.address", "reported_lat": "s.reported_lat",
        "reported_lon": "s.reported_lon", "others": "to_json(m.others)", "address_lg_code": "m.lg_code",
        "lat": "CASE WHEN s.reported_lat IS NOT NULL THEN s.reported_lat ELSE m.lat END",
        "lon": "CASE WHEN s.reported_lat IS NOT NULL THEN s.reported_lon ELSE m.lon END",
        "position_source": ("CASE WHEN s.reported_lat IS NOT NULL AND s.reported_lon IS NOT NULL THEN 'reported' "
                            "WHEN m.lat IS NOT NULL THEN 'abr' ELSE 'none' END"),
        "match_level": "CASE WHEN s.address IS NULL THEN 'unknown' ELSE m.match_level END",
        "coordinate_level": "CASE WHEN s.address IS NULL THEN 'unknown' ELSE m.coordinate_level END",
    }
    for c in SHELTER_ADDRESSES.columns:
        if c.name not in extras:
            extras[c.name] = f"CASE WHEN s.address IS NOT NULL THEN m.{quote_ident(c.name)} END"
    select = contract_select(SHELTER_ADDRESSES, [], extras)
    n = writer.replace(SHELTER_ADDRESSES, f"SELECT {select} FROM sh_in s JOIN sh_match m USING (id) "
                                          "ORDER BY s.lg_code, s.subject_key")
    for t in ("sh_in", "sh_first", "sh_match", "address_matches"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return {SHELTER_ADDRESSES.name: n}


def refresh_shelters(paths: Paths) -> dict[str, int]:
    with Lake(paths).writer() as writer:
        return rebuild_shelters(writer)


def summary(info: dict[str, Any]) -> str:
    return json.dumps(info, ensure_ascii=False, default=str)
