"""Reference tables the matcher joins against, built once per connection from the ABR tables and the master.

- ``ref_pref``: the 47 prefectures (``abr_prefs``, else the 総務省 master) with their comparison key;
- ``ref_city``: every key a municipality can be written with, and what it means (``kind``):
  1 = the full name (``札幌市中央区``, ``胆沢郡金ケ崎町``, ``金ケ崎町``), 2 = a ward without its city (``北区``: only
  the 町字 tells which), 3 = a designated city without its ward (``札幌市``, one row per city whose ``lg_code`` is a group key
  ``pref_code:key``; the 町字 of every ward are listed under it in ``ref_town.jk`` so the 町字 picks the ward;
  on its own it is the city itself, kind 1);
- ``ref_town``: every key a current 町字 can be written with: ``霞ケ関1丁目`` and ``霞ケ関1-`` for a 丁目
  (and ``熊野町東3丁目`` for a 丁, ``熊野町東3丁``),
  ``西根大谷`` and ``西根字大谷`` for a 小字, ``小川通今出川下る針屋町`` for a 京都の通り名, the 大字 dropped;
  ``jk`` is the candidate it is looked up from (its lg_code, or its designated city's group key);
  ``bucket`` is the first two characters (one for one-character keys) for an equi-join before ``starts_with``.

Municipalities the ABR does not list (a partial ABR load) come from the master, without positions. Every name
goes through :mod:`registries.abr.matching.normalise` exactly as the input does.

:func:`load_or_build` keeps them in a DuckDB file between runs, for one ABR version: an incremental refresh of
``corporation_addresses`` copies them instead of normalising 200,000 町字 names again.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from registries.abr.matching.normalise import match_key_sql

ABR_TABLES = ("abr_prefs", "abr_cities", "abr_towns", "abr_blocks", "abr_residences", "abr_parcels")


def available(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() "
                       "WHERE NOT internal").fetchall()
    return {r[0] for r in rows}


def _empty(columns: str) -> str:
    return f"SELECT {columns} WHERE false"


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Create the temp tables ``ref_pref``, ``ref_city``, ``ref_town``; returns their row counts."""
    have = available(con)
    k = match_key_sql

    prefs = []
    if "abr_prefs" in have:
        prefs.append("SELECT substr(lg_code, 1, 2) AS pref_code, pref AS name, rep_lon AS lon, rep_lat AS lat "
                     "FROM abr_prefs WHERE ablt_date IS NULL")
    if "municipalities" in have:
        prefs.append("SELECT prefecture_code, prefecture_name, NULL, NULL FROM municipalities "
                     "WHERE type = 'prefecture' AND valid_to IS NULL")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_pref AS
        SELECT pref_code, arg_max(name, lon IS NOT NULL) AS name, max(lon) AS lon, max(lat) AS lat,
               {k('arg_max(name, lon IS NOT NULL)')} AS key
        FROM ({' UNION ALL '.join(prefs) or _empty("''::VARCHAR AS pref_code, ''::VARCHAR AS name, "
                                                   "NULL::DOUBLE AS lon, NULL::DOUBLE AS lat")})
        GROUP BY pref_code""")

    cities = []
    if "abr_cities" in have:
        cities.append("SELECT lg_code, pref, county, city, ward, rep_lon AS lon, rep_lat AS lat "
                      "FROM abr_cities WHERE ablt_date IS NULL")
    if "municipalities" in have:
        abr = "AND m.lg_code NOT IN (SELECT lg_code FROM abr_cities)" if "abr_cities" in have else ""
        cities.append(f"""
            SELECT m.lg_code, m.prefecture_name, NULL,
                   CASE WHEN m.type = 'ward' THEN p.name ELSE m.name END,
                   CASE WHEN m.type = 'ward' THEN substr(m.name, length(p.name) + 1) END, NULL, NULL
            FROM municipalities m LEFT JOIN municipalities p ON p.lg_code = m.parent_lg_code
            WHERE m.valid_to IS NULL AND m.type <> 'prefecture' AND NOT m.is_northern_territories {abr}""")
    src = " UNION ALL ".join(cities) or _empty(
        "''::VARCHAR AS lg_code, ''::VARCHAR AS pref, ''::VARCHAR AS county, ''::VARCHAR AS city, "
        "''::VARCHAR AS ward, NULL::DOUBLE AS lon, NULL::DOUBLE AS lat")
    con.execute(f"CREATE OR REPLACE TEMP TABLE ref_city_src AS SELECT *, substr(lg_code, 1, 2) AS pref_code "
                f"FROM ({src})")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_city AS
        SELECT DISTINCT * FROM (
            SELECT lg_code, pref_code, {k("city || coalesce(ward, '')")} AS key, 1 AS kind FROM ref_city_src
            UNION ALL
            SELECT lg_code, pref_code, {k("county || city || coalesce(ward, '')")}, 1 FROM ref_city_src
            WHERE county IS NOT NULL
            UNION ALL
            SELECT lg_code, pref_code, {k('ward')}, 2 FROM ref_city_src WHERE ward IS NOT NULL
            UNION ALL  -- one row per designated city: its 町字 are looked up through ref_town.jk (below)
            SELECT pref_code || ':' || {k('city')}, pref_code, {k('city')}, 3 FROM ref_city_src WHERE ward IS NOT NULL
        ) WHERE key <> ''""")

    if "abr_towns" in have:
        towns = """SELECT lg_code, machiaza_id, machiaza_type, oaza_cho, chome, chome_number, koaza,
                          koaza_aka_code, rsdt_addr_flg, rep_lon, rep_lat FROM abr_towns WHERE ablt_date IS NULL"""
    else:
        towns = _empty("''::VARCHAR AS lg_code, ''::VARCHAR AS machiaza_id, ''::VARCHAR AS machiaza_type, "
                       "''::VARCHAR AS oaza_cho, ''::VARCHAR AS chome, ''::VARCHAR AS chome_number, "
                       "''::VARCHAR AS koaza, ''::VARCHAR AS koaza_aka_code, ''::VARCHAR AS rsdt_addr_flg, "
                       "NULL::DOUBLE AS rep_lon, NULL::DOUBLE AS rep_lat")
    con.execute(f"CREATE OR REPLACE TEMP TABLE ref_town_raw AS {towns}")
    # names repeat across municipalities: each distinct name is normalised once
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_names AS
        SELECT name, {k("regexp_replace(name, '^(大字|字)', '')")} AS key FROM (
            SELECT DISTINCT unnest([coalesce(oaza_cho, ''), coalesce(koaza, ''), coalesce(chome, '')]) AS name
            FROM ref_town_raw)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ref_town_src AS
        SELECT t.*, o.key AS ok, ko.key AS kk, c.key AS ck
        FROM ref_town_raw t
        JOIN ref_names o ON o.name = coalesce(t.oaza_cho, '')
        JOIN ref_names ko ON ko.name = coalesce(t.koaza, '')
        JOIN ref_names c ON c.name = coalesce(t.chome, '')""")
    con.execute("DROP TABLE ref_town_raw")
    con.execute("DROP TABLE ref_names")
    # prc_base: a 小字 or 京都の通り名 row without 地番 of its own has them under its 大字・町 (the same four digits
    # + 000), where the real files keep many (寺町通御池上る上本能寺前町 0098104 -> 上本能寺前町 0098000)
    if "abr_parcels" in have:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE ref_town_src AS
            SELECT t.*, CASE WHEN t.kk <> '' AND NOT ends_with(t.machiaza_id, '000') AND p.machiaza_id IS NULL
                             THEN left(t.machiaza_id, 4) || '000' END AS prc_base
            FROM ref_town_src t
            LEFT JOIN (SELECT DISTINCT lg_code, machiaza_id FROM abr_parcels WHERE ablt_date IS NULL) p
                 ON p.lg_code = t.lg_code AND p.machiaza_id = t.machiaza_id""")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE ref_town_src AS SELECT *, NULL::VARCHAR AS prc_base "
                    "FROM ref_town_src")
    # jk, the join key of a municipality candidate: its lg_code; the 町字 of a ward once more under its designated
    # city's group key (kind 3 of ref_city), so "札幌市" + 町字 is one look-up, not one per ward
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_town_jk AS
        SELECT DISTINCT lg_code, pref_code || ':' || {k('city')} AS jk FROM ref_city_src WHERE ward IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ref_town AS
        WITH t AS (SELECT *, substr(key, 1, 2) AS bucket, length(key) AS key_len FROM (
            SELECT lg_code, machiaza_id, key, boundary FROM (
                -- the 町字 as written (大字 dropped): 大字・町, 大字 + 丁目, 大字 + 小字, 小字 alone
                SELECT lg_code, machiaza_id, ok || ck || kk AS key, false AS boundary FROM ref_town_src
                UNION ALL  -- 小字 after 字
                SELECT lg_code, machiaza_id, ok || '字' || kk, false FROM ref_town_src WHERE kk <> '' AND ok <> ''
                UNION ALL  -- 丁目 as a number and a dash: 3-8-15
                SELECT lg_code, machiaza_id, ok || chome_number || '-', false FROM ref_town_src
                WHERE chome_number IS NOT NULL
                UNION ALL  -- 丁目 as a bare number at the end or before a non-numeral
                SELECT lg_code, machiaza_id, ok || chome_number, true FROM ref_town_src
                WHERE chome_number IS NOT NULL
                UNION ALL  -- a 丁 (堺市 熊野町東三丁) written 丁目
                SELECT lg_code, machiaza_id, ok || ck || '目', false FROM ref_town_src
                WHERE ends_with(ck, '丁') AND kk = ''
                UNION ALL  -- 京都の通り名 written before the 町 name
                SELECT lg_code, machiaza_id, kk || ok, false FROM ref_town_src
                WHERE koaza_aka_code = '2' AND ok <> ''
            ) WHERE key <> ''
        ))
        SELECT lg_code AS jk, * FROM t
        UNION ALL
        SELECT j.jk, t.* FROM t JOIN ref_town_jk j USING (lg_code)""")
    con.execute("DROP TABLE ref_town_jk")
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("ref_pref", "ref_city", "ref_town")}


REF_TABLES = ("ref_pref", "ref_city_src", "ref_city", "ref_town_src", "ref_town")
#: changes whenever the reference tables' shape does: a cache of another format is rebuilt
REF_FORMAT = 3


def load_or_build(con: duckdb.DuckDBPyConnection, cache: Path | None, version: str) -> bool:
    """The reference tables on ``con``, copied from the DuckDB file ``cache`` when it was built for ``version``
    (the fingerprint of the ABR and the master, :func:`kiban.addresses.linked.abr_version`), else built and saved
    there. True if the cache served. A damaged or foreign cache file is rebuilt, never trusted half-way."""
    if cache is not None and cache.exists():
        # connections of their own, here and below: the caller's transaction may be writing to the lake, and
        # DuckDB lets one transaction write to (or detach) one attached database only
        try:
            with duckdb.connect(str(cache), read_only=True) as cached:
                stored = cached.execute("SELECT version FROM meta").fetchone()
                if stored is not None and stored[0] == f"{version}/{REF_FORMAT}":
                    for t in REF_TABLES:
                        con.register("_ref", cached.execute(f"SELECT * FROM {t}").to_arrow_table())
                        con.execute(f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT * FROM _ref")
                        con.unregister("_ref")
                    return True
        except duckdb.Error:
            pass  # unreadable: built again below
    build(con)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        out = duckdb.connect(str(tmp))
        try:
            for t in REF_TABLES:
                out.register("_ref", con.execute(f"SELECT * FROM {t}").to_arrow_table())
                out.execute(f"CREATE TABLE {t} AS SELECT * FROM _ref")
                out.unregister("_ref")
            out.execute("CREATE TABLE meta AS SELECT ?::VARCHAR AS version", [f"{version}/{REF_FORMAT}"])
        finally:
            out.close()
        os.replace(tmp, cache)
    return False


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
