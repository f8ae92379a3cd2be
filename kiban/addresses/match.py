"""Set-based address matching in DuckDB: a relation of addresses in, one abr-geocoder-shaped row per address out.

Every stage is one SQL statement over all addresses at once (no Python loop per address):

1. normalise (``display`` for output, ``key`` for comparison; :mod:`registries.abr.matching.normalise`);
2. prefecture: one regular expression over the 47 keys; where none matches, one over the names without
   都/府/県 (``東京千代田区``), kept only where a municipality of that prefecture follows (not ``大阪狭山市``);
3. municipality: every prefix of the text after the prefecture (and after a ``〇〇郡``) is looked up in
   ``ref_city``; the distinct heads are matched, not the rows (addresses repeat their heads);
4. 町字: for each candidate municipality, ``ref_town`` keys that start the rest (bucketed on two characters);
   a leading 大字/字 is skipped, and a 京都の通り名 (``…通…上る``) may stand before the 町 name; the best
   candidate per address consumes the most text (ties: a full municipality name before a ward alone); with no
   municipality written, the 町字 is looked for in the whole country (or prefecture) and must be unique; a tie
   between two municipalities that no 町字 breaks is ambiguous and falls back to the one municipality written in
   full around them (``京都市`` + a 町 of two of its wards), else the prefecture (or unknown);
5. numbers after the 町字 (:mod:`registries.abr.matching.numbers`): 住居表示 街区/住居 in 住居表示 towns, 地番
   otherwise (the other kind is tried too; the most specific wins);
6. output: the names as the ABR writes them, the position of the finest level that has one, and the text
   that matched nothing in ``others``.

Levels and fields follow abr-geocoder (``unknown`` .. ``parcel``); :data:`FIELDS` lists them in order.
"""

from __future__ import annotations

import re

import duckdb

from kiban.addresses import reference
from registries.abr.matching.normalise import DISPLAY_RULES, KEY_RULES
from registries.abr.matching.numbers import NUMBER_PATTERN, ROOM_PATTERN, UNIT_PATTERN, normalise_numbers_sql
from registries.abr.matching.rules import char_class, staged_sql

LEVELS = ("unknown", "prefecture", "city", "machiaza", "machiaza_detail", "residential_block", "residential_detail",
          "parcel")
FIELDS = ("input", "output", "others", "match_level", "coordinate_level", "lat", "lon", "lg_code", "machiaza_id",
          "rsdt_addr_flg", "blk_id", "rsdt_id", "rsdt2_id", "prc_id", "pref", "county", "city", "ward", "oaza_cho",
          "chome", "koaza", "blk_num", "rsdt_num", "rsdt_num2", "prc_num1", "prc_num2", "prc_num3")

_HEAD = 14  # longest municipality key considered, in characters
# over the key (katakana, ケ for が): 上る/上ル, 上がる/上ガル (上ケル), 東入る/東入ル/東入
_STREET = "^(.{2,30}?(上る|下る|上ル|下ル|上ケル|下ケル|東入る|西入る|東入ル|西入ル|東入|西入))"
#: a 小字 not in the ABR between the 町字 and the numbers: 字, a short name without numerals, then a numeral
AZA_PATTERN = "^(字[^0-9 字]{1,8}?) ?[0-9]"
_PREF_SUFFIXES = "都府県"
_TEMPS = ("m_in", "m_p", "m_heads", "m_city", "m_cand", "m_start", "m_town", "m_best", "m_num", "m_rsdt", "m_prc")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pref_regex(con: duckdb.DuckDBPyConnection, *, short: bool = False) -> str:
    """``^(東京都|京都府|…)``; ``short``: the names without 都/府/県 (``^(東京|京都|…)``; 北海道 has none)."""
    keys = [r[0] for r in con.execute("SELECT key FROM ref_pref WHERE key <> ''").fetchall()]
    if short:
        keys = [k[:-1] for k in keys if len(k) > 2 and k[-1] in _PREF_SUFFIXES]
    keys.sort(key=len, reverse=True)
    return "^(" + "|".join(re.escape(k) for k in keys) + ")" if keys else "^(\\x00)"


def run(con: duckdb.DuckDBPyConnection, source: str, *, prepared: bool = False) -> str:
    """Match the addresses of ``source`` (a relation with ``id`` BIGINT and ``input`` VARCHAR).

    Creates (replaces) the temp table ``address_matches``: ``id`` and :data:`FIELDS`, in no particular order
    (readers order by ``id``); returns its name.
    ``prepared``: the reference tables of :mod:`kiban.addresses.reference` exist already on ``con``.
    """
    if not prepared:
        reference.build(con)
    have = reference.available(con)
    x = con.execute
    # normalisation as one projection per rule (staged_sql): cheaper than one nested expression per row
    display = staged_sql(DISPLAY_RULES, f"SELECT id, input, coalesce(input, '') AS n FROM ({source})", "n")
    x(f"""CREATE OR REPLACE TEMP TABLE m_in AS
          SELECT id, input, n, k FROM ({staged_sql(KEY_RULES, f"SELECT *, n AS k FROM ({display})", "k")})""")
    # every municipality key ends with one of a few characters (市区町村): the text after the prefecture is cut
    # after the last of them within _HEAD characters, since no key can match beyond it; the heads then repeat
    # (``千代田区`` for every address in 千代田区) and are looked up once each
    ends = "".join(r[0] for r in x("SELECT DISTINCT right(key, 1) FROM ref_city WHERE key <> ''").fetchall())
    def head(start: str) -> str:
        return (f"regexp_extract(substr(k, {start} + 1, {_HEAD}), {_lit('(?s)^(.*' + char_class(ends) + ')')})"
                if ends else "''")

    # sk: a prefecture written without 都/府/県 (東京千代田区), looked for only where no full name starts the text
    x(f"""CREATE OR REPLACE TEMP TABLE m_p AS
          SELECT *, {head('pref_len')} AS head FROM (
              SELECT i.id, i.k, p.pref_code, coalesce(length(p.key), 0) AS pref_len, i.sk
              FROM (SELECT *, CASE WHEN pk = '' THEN regexp_extract(k, {_lit(_pref_regex(con, short=True))})
                                   ELSE '' END AS sk
                    FROM (SELECT id, k, regexp_extract(k, {_lit(_pref_regex(con))}) AS pk FROM m_in)) i
              LEFT JOIN ref_pref p ON p.key = i.pk AND i.pk <> '')""")
    # ... read as the prefecture only when a municipality of that prefecture follows it: 東京千代田区, 京都中京区,
    # 大阪北区 are; 大阪狭山市 (大阪府), 京都郡苅田町 (福岡県), 富山市 and 広島市 stay one name, read below
    x(f"""UPDATE m_p SET pref_code = s.pref_code, pref_len = s.pref_len, head = s.head FROM (
              SELECT q.* FROM (
                  SELECT id, pref_code, pref_len, {head('pref_len')} AS head FROM (
                      SELECT p.id, p.k, r.pref_code, length(p.sk) AS pref_len FROM m_p p
                      JOIN ref_pref r ON left(r.key, length(r.key) - 1) = p.sk
                           AND right(r.key, 1) IN ({", ".join(_lit(c) for c in _PREF_SUFFIXES)})
                      WHERE p.sk <> '')) q
              WHERE EXISTS (SELECT 1 FROM range(1, {_HEAD} + 1) r(l) JOIN ref_city c ON c.pref_code = q.pref_code
                                 AND (c.key = substr(q.head, 1, l)
                                      OR c.key = substr(q.head, length(regexp_extract(q.head, '^(.{{1,5}}?郡)')) + 1, l)))
          ) s WHERE m_p.id = s.id""")
    # municipality: distinct heads only, every prefix (and the prefix after a 郡) looked up
    x("CREATE OR REPLACE TEMP TABLE m_heads AS SELECT DISTINCT pref_code AS h_pref, head FROM m_p")
    x(f"""CREATE OR REPLACE TEMP TABLE m_city AS
          SELECT h.h_pref, h.head, c.lg_code, c.kind, c.pref_code, max(h.off + l) AS city_end
          FROM (SELECT h_pref, head, 0 AS off FROM m_heads
                UNION ALL
                SELECT h_pref, head, length(regexp_extract(head, '^(.{{1,5}}?郡)')) FROM m_heads
                WHERE regexp_matches(head, '^.{{1,5}}?郡')) h
          JOIN range(1, {_HEAD} + 1) r(l) ON l <= length(h.head) - h.off
          JOIN ref_city c ON c.key = substr(h.head, h.off + 1, l) AND (h.h_pref IS NULL OR c.pref_code = h.h_pref)
          GROUP BY ALL""")
    x("""CREATE OR REPLACE TEMP TABLE m_cand AS
         SELECT p.id, c.lg_code, c.kind, p.pref_len + c.city_end AS s
         FROM m_p p JOIN m_city c ON c.head = p.head AND c.h_pref IS NOT DISTINCT FROM p.pref_code""")
    x("DROP TABLE m_heads")
    x("DROP TABLE m_city")
    # no municipality written (``紀尾井町1-3``): the 町字 alone, within the prefecture if one was (kind 5)
    x("""INSERT INTO m_cand
         SELECT DISTINCT p.id, r.lg_code, 5, p.pref_len FROM (SELECT * FROM m_p ANTI JOIN m_cand USING (id)) p
         JOIN ref_town r ON r.bucket = substr(p.k, p.pref_len + 1, 2)
              AND starts_with(substr(p.k, p.pref_len + 1), r.key)
              AND (p.pref_code IS NULL OR substr(r.lg_code, 1, 2) = p.pref_code)
         WHERE r.key_len >= 2 AND r.jk = r.lg_code""")
    # 町字: skip 大字/字; optionally a 京都の通り名 before the 町 name
    x(f"""CREATE OR REPLACE TEMP TABLE m_start AS
          WITH s AS (
              SELECT c.id, c.lg_code, c.kind, c.s,
                     c.s + CASE WHEN substr(i.k, c.s + 1, 2) = '大字' THEN 2
                                WHEN substr(i.k, c.s + 1, 1) = '字' THEN 1 ELSE 0 END AS t, i.k
              FROM m_cand c JOIN m_in i USING (id))
          SELECT id, lg_code, kind, s, t, 0 AS street, substr(k, t + 1) AS rest FROM s
          UNION ALL
          SELECT id, lg_code, kind, s, t + street, street, substr(k, t + street + 1) FROM (
              SELECT *, CASE WHEN regexp_matches(substr(k, t + 1, 40), '[るル入]')  -- cheap test first
                                THEN length(regexp_extract(substr(k, t + 1, 40), {_lit(_STREET)})) ELSE 0 END AS street
              FROM s)
          WHERE street > 0""")
    # a candidate's 町字 through ref_town.jk: its own, or every ward's for a designated city without its ward
    # (``rest``, the text from the 町字 on, is cut once per candidate, not once per key compared)
    x("""CREATE OR REPLACE TEMP TABLE m_town AS
         SELECT st.id, r.lg_code, st.kind, st.s, st.t, st.street, r.machiaza_id, st.t + r.key_len AS e
         FROM m_start st JOIN ref_town r ON r.jk = st.lg_code AND r.bucket = substr(st.rest, 1, 2)
              AND starts_with(st.rest, r.key)
              AND (NOT r.boundary OR NOT (substr(st.rest, r.key_len + 1, 1) BETWEEN '0' AND '9'))
         WHERE r.key_len >= 2
         UNION ALL
         SELECT st.id, r.lg_code, st.kind, st.s, st.t, st.street, r.machiaza_id, st.t + 1
         FROM m_start st JOIN ref_town r ON r.jk = st.lg_code AND r.key = substr(st.rest, 1, 1)
         WHERE r.key_len = 1""")
    x("DROP TABLE m_start")
    # the best reading per address; ties between municipalities that no 町字 breaks are ambiguous
    x("""CREATE OR REPLACE TEMP TABLE m_best AS
         WITH c AS MATERIALIZED (
             SELECT id, lg_code, kind, s, street, machiaza_id, e FROM m_town
             UNION ALL
             SELECT id, lg_code, kind, s, 0, NULL, s FROM m_cand WHERE kind IN (1, 2)),
         best AS (
             SELECT * FROM c QUALIFY row_number() OVER (PARTITION BY id ORDER BY machiaza_id IS NOT NULL DESC, e DESC,
                                                      kind, street, lg_code, machiaza_id) = 1),
         tied AS (  -- municipalities reading as well as the best (grouped, not a DISTINCT window: far cheaper)
             SELECT c.id, count(DISTINCT c.lg_code) AS tied
             FROM c JOIN best b ON c.id = b.id AND (c.machiaza_id IS NULL) = (b.machiaza_id IS NULL) AND c.e = b.e
                  AND c.kind = b.kind
             GROUP BY c.id),
         city AS (  -- an ambiguous reading under one municipality written in full (京都市 + a 町 of two wards)
             SELECT m.id, arg_max(m.lg_code, m.s) AS lg_code, max(m.s) AS s
             FROM m_cand m SEMI JOIN tied t ON t.id = m.id AND t.tied > 1
             WHERE m.kind = 1 GROUP BY m.id HAVING count(DISTINCT m.lg_code) FILTER (WHERE m.kind = 1) = 1)
         SELECT b.id, coalesce(c.lg_code, b.lg_code) AS lg_code, coalesce(c.s, b.s) AS s,
                CASE WHEN c.id IS NULL THEN b.street ELSE 0 END AS street,
                CASE WHEN c.id IS NULL THEN b.machiaza_id END AS machiaza_id, coalesce(c.s, b.e) AS e,
                t.tied > 1 AND c.id IS NULL AS ambiguous
         FROM best b JOIN tied t USING (id) LEFT JOIN city c USING (id)""")
    _numbers(con, have)
    x(_assemble_sql(have))
    for t in _TEMPS:
        x(f"DROP TABLE IF EXISTS {t}")
    return "address_matches"


def _numbers(con: duckdb.DuckDBPyConnection, have: set[str]) -> None:
    """Numbers after the 町字, and the 住居 / 地番 they name (``m_num``, ``m_rsdt``, ``m_prc``)."""
    x = con.execute
    x(f"""CREATE OR REPLACE TEMP TABLE m_num AS
          SELECT *,
                 CASE WHEN n1 = '' OR regexp_matches(substr(rn, e1 + 1), {_lit(ROOM_PATTERN)}) THEN NULL
                      ELSE n1 END AS v1,
                 CASE WHEN n2 = '' OR regexp_matches(substr(rn, e2 + 1), {_lit(ROOM_PATTERN)}) THEN NULL
                      ELSE n2 END AS v2,
                 CASE WHEN n3 = '' OR regexp_matches(substr(rn, e3 + 1), {_lit(ROOM_PATTERN)}) THEN NULL
                      ELSE n3 END AS v3
          FROM (
              SELECT *, length(n1) AS e1, length(n1) + CASE WHEN n2 = '' THEN 0 ELSE length(n2) + 1 END AS e2,
                     length(n1) + CASE WHEN n2 = '' THEN 0 ELSE length(n2) + 1 END
                                + CASE WHEN n3 = '' THEN 0 ELSE length(n3) + 1 END AS e3
              FROM (
                  SELECT id, lg_code, machiaza_id, aza, rn, p.n1, p.n2, p.n3 FROM (
                      SELECT id, lg_code, machiaza_id, aza,
                             {normalise_numbers_sql("ltrim(substr(raw, length(aza) + 1))")} AS rn
                      FROM (  -- a 小字 the ABR does not list (大字下柳字北1234番地) is passed over, kept in aza
                          SELECT *, CASE WHEN starts_with(raw, '字')
                                         THEN regexp_extract(raw, {_lit(AZA_PATTERN)}, 1) ELSE '' END AS aza
                          FROM (SELECT b.id, b.lg_code, b.machiaza_id, ltrim(substr(i.n, b.e + 1)) AS raw
                                FROM m_best b JOIN m_in i USING (id)
                                WHERE b.machiaza_id IS NOT NULL AND NOT b.ambiguous))),
                  LATERAL (SELECT unnest(regexp_extract(rn, {_lit(NUMBER_PATTERN)}, ['n1', 'n2', 'n3']))) p))""")
    x("UPDATE m_num SET v2 = NULL, v3 = NULL WHERE v1 IS NULL")
    x("UPDATE m_num SET v3 = NULL WHERE v2 IS NULL")
    if {"abr_blocks", "abr_residences"} <= have:
        # equi-joins only: numbers compared without leading zeros, 住居番号2 exact or absent
        x("""CREATE OR REPLACE TEMP TABLE m_rsdt AS
             WITH n AS (SELECT id, lg_code, machiaza_id, ltrim(v1, '0') AS k1, ltrim(v2, '0') AS k2,
                               coalesce(ltrim(v3, '0'), '#') AS k3 FROM m_num WHERE v1 IS NOT NULL),
             b AS MATERIALIZED (SELECT n.*, b.blk_id, b.blk_num, b.rep_lon, b.rep_lat FROM n
                   JOIN abr_blocks b ON b.lg_code = n.lg_code AND b.machiaza_id = n.machiaza_id
                        AND ltrim(b.blk_num, '0') = n.k1
                   WHERE b.ablt_date IS NULL),
             r AS MATERIALIZED (  -- only the 住居 of the 街区 named, keys computed once
                   SELECT lg_code, machiaza_id, blk_id, rsdt_id, rsdt2_id, rsdt_num, rsdt_num2, rep_lon, rep_lat,
                          ltrim(rsdt_num, '0') AS k2, coalesce(ltrim(NULLIF(rsdt_num2, ''), '0'), '') AS k3
                   FROM abr_residences SEMI JOIN (SELECT DISTINCT lg_code, machiaza_id, blk_id FROM b)
                        USING (lg_code, machiaza_id, blk_id)
                   WHERE ablt_date IS NULL),
             hit AS (SELECT b.id, r.* FROM b JOIN r ON r.lg_code = b.lg_code AND r.machiaza_id = b.machiaza_id
                          AND r.blk_id = b.blk_id AND r.k2 = b.k2 AND r.k3 = b.k3
                     UNION ALL
                     SELECT b.id, r.* FROM b JOIN r ON r.lg_code = b.lg_code AND r.machiaza_id = b.machiaza_id
                          AND r.blk_id = b.blk_id AND r.k2 = b.k2 AND r.k3 = '')
             SELECT b.id, b.blk_id, b.blk_num, h.rsdt_id, h.rsdt2_id, h.rsdt_num, h.rsdt_num2,
                    1 + (h.rsdt_id IS NOT NULL)::INT + (coalesce(h.rsdt_num2, '') <> '')::INT AS used,
                    coalesce(h.rep_lon, b.rep_lon) AS lon, coalesce(h.rep_lat, b.rep_lat) AS lat,
                    CASE WHEN h.rep_lon IS NOT NULL THEN 'residential_detail'
                         WHEN b.rep_lon IS NOT NULL THEN 'residential_block' END AS coord
             FROM b LEFT JOIN hit h ON h.id = b.id AND h.blk_id = b.blk_id
             QUALIFY row_number() OVER (PARTITION BY b.id ORDER BY used DESC, h.rsdt2_id) = 1""")
    else:
        x("""CREATE OR REPLACE TEMP TABLE m_rsdt AS SELECT NULL::BIGINT AS id, NULL AS blk_id, NULL AS blk_num,
             NULL AS rsdt_id, NULL AS rsdt2_id, NULL AS rsdt_num, NULL AS rsdt_num2, 0 AS used, NULL::DOUBLE AS lon,
             NULL::DOUBLE AS lat, NULL AS coord WHERE false""")
    if "abr_parcels" in have:
        # a 小字 or 京都の通り名 row without 地番 of its own: they are looked for under its 大字・町
        # (reference.ref_town_src.prc_base); prc_mid names the town the 地番 was found in
        x("""CREATE OR REPLACE TEMP TABLE m_prc AS
             WITH n0 AS (SELECT id, lg_code, machiaza_id, ltrim(v1, '0') AS k1, coalesce(ltrim(v2, '0'), '#') AS k2,
                                coalesce(ltrim(v3, '0'), '#') AS k3 FROM m_num WHERE v1 IS NOT NULL),
             n AS (SELECT * FROM n0
                   UNION ALL
                   SELECT n0.id, n0.lg_code, t.prc_base, n0.k1, n0.k2, n0.k3 FROM n0
                   JOIN (SELECT lg_code, machiaza_id, prc_base FROM ref_town_src WHERE prc_base IS NOT NULL) t
                        ON t.lg_code = n0.lg_code AND t.machiaza_id = n0.machiaza_id),
             p AS (SELECT lg_code, machiaza_id, prc_id, prc_num1, prc_num2, prc_num3, rep_lon, rep_lat,
                          ltrim(prc_num1, '0') AS k1, coalesce(ltrim(NULLIF(prc_num2, ''), '0'), '') AS k2,
                          coalesce(ltrim(NULLIF(prc_num3, ''), '0'), '') AS k3
                   FROM abr_parcels WHERE ablt_date IS NULL)
             SELECT n.id, p.prc_id, p.prc_num1, p.prc_num2, p.prc_num3,
                    1 + (p.k2 <> '')::INT + (p.k3 <> '')::INT AS used, p.rep_lon AS lon, p.rep_lat AS lat,
                    p.machiaza_id AS prc_mid
             FROM n JOIN p ON p.lg_code = n.lg_code AND p.machiaza_id = n.machiaza_id AND p.k1 = n.k1
             WHERE (p.k2 = '' OR p.k2 = n.k2) AND (p.k3 = '' OR p.k3 = n.k3)
             QUALIFY row_number() OVER (PARTITION BY n.id ORDER BY used DESC, p.prc_id) = 1""")
    else:
        x("""CREATE OR REPLACE TEMP TABLE m_prc AS SELECT NULL::BIGINT AS id, NULL AS prc_id, NULL AS prc_num1,
             NULL AS prc_num2, NULL AS prc_num3, 0 AS used, NULL::DOUBLE AS lon, NULL::DOUBLE AS lat,
             NULL::VARCHAR AS prc_mid WHERE false""")


def _assemble_sql(have: set[str]) -> str:
    level_rank = "CASE level " + " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(LEVELS)) + " END"
    return f"""
        CREATE OR REPLACE TEMP TABLE address_matches AS
        WITH base AS (
            SELECT i.id, i.input, i.n, p.pref_code AS p_code, p.pref_len,
                   CASE WHEN b.ambiguous THEN NULL ELSE b.lg_code END AS lg,
                   CASE WHEN b.ambiguous THEN NULL ELSE b.machiaza_id END AS mid,
                   b.s, b.street, b.e, t.rsdt_addr_flg AS flg, t.machiaza_type, t.koaza_aka_code,
                   t.oaza_cho AS t_oaza, t.chome AS t_chome, t.koaza AS t_koaza, t.rep_lon AS t_lon0,
                   t.rep_lat AS t_lat0,
                   CASE WHEN b.street > 0 THEN substr(i.n, b.s + 1, b.street) END AS street_text
            FROM m_in i JOIN m_p p USING (id) LEFT JOIN m_best b USING (id)
            LEFT JOIN ref_town_src t ON t.lg_code = b.lg_code AND t.machiaza_id = b.machiaza_id),
        pick AS (  -- 住居表示 first in a 住居表示 町字, 地番 first elsewhere; the more numbers used the better
            SELECT base.*, n.aza, n.rn, n.e1, n.e2, n.e3,
                   CASE WHEN r.id IS NOT NULL AND (q.id IS NULL OR (flg = '1' AND r.used >= q.used)
                                                   OR r.used > q.used) THEN 'rsdt'
                        WHEN q.id IS NOT NULL THEN 'prc' END AS kind,
                   r.blk_id, r.blk_num, r.rsdt_id, r.rsdt2_id, r.rsdt_num, r.rsdt_num2, r.used AS r_used,
                   r.lon AS r_lon, r.lat AS r_lat, r.coord AS r_coord,
                   q.prc_id, q.prc_num1, q.prc_num2, q.prc_num3, q.used AS q_used, q.lon AS q_lon, q.lat AS q_lat,
                   q.prc_mid
            FROM base LEFT JOIN m_num n USING (id) LEFT JOIN m_rsdt r USING (id) LEFT JOIN m_prc q USING (id)),
        leveled AS (
            SELECT pick.*,
                   CASE WHEN kind = 'rsdt' THEN CASE WHEN rsdt_id IS NOT NULL THEN 'residential_detail'
                                                     ELSE 'residential_block' END
                        WHEN kind = 'prc' THEN 'parcel'
                        WHEN mid IS NOT NULL THEN CASE WHEN machiaza_type = '1' THEN 'machiaza'
                                                       ELSE 'machiaza_detail' END
                        WHEN lg IS NOT NULL THEN 'city'
                        WHEN p_code IS NOT NULL THEN 'prefecture' ELSE 'unknown' END AS level,
                   CASE WHEN kind = 'rsdt' THEN r_used WHEN kind = 'prc' THEN q_used ELSE 0 END AS used
            FROM pick),
        rested AS (
            SELECT leveled.*,
                   CASE WHEN mid IS NOT NULL THEN
                            CASE used WHEN 0 THEN rn
                                      ELSE regexp_replace(ltrim(substr(rn, CASE used WHEN 1 THEN e1 WHEN 2 THEN e2
                                                                                ELSE e3 END + 1)),
                                                          {_lit(UNIT_PATTERN)}, '\\1') END
                        WHEN lg IS NOT NULL THEN substr(n, s + 1)
                        WHEN p_code IS NOT NULL THEN substr(n, pref_len + 1)
                        ELSE n END AS rest
            FROM leveled),
        named AS (
            SELECT rested.*, c.pref, c.county, c.city, c.ward, c.lon AS c_lon, c.lat AS c_lat,
                   pr.name AS pref_name, pr.lon AS p_lon, pr.lat AS p_lat,
                   -- the 町字 read once (in base); an ambiguous reading names none
                   CASE WHEN mid IS NOT NULL THEN t_oaza END AS oaza_cho,
                   CASE WHEN mid IS NOT NULL THEN t_chome END AS chome,
                   CASE WHEN mid IS NOT NULL THEN t_koaza END AS koaza,
                   CASE WHEN mid IS NOT NULL THEN t_lon0 END AS t_lon,
                   CASE WHEN mid IS NOT NULL THEN t_lat0 END AS t_lat
            FROM rested
            LEFT JOIN ref_city_src c ON c.lg_code = rested.lg
            LEFT JOIN ref_pref pr ON pr.pref_code = coalesce(c.pref_code, rested.p_code)),
        placed AS (
            SELECT named.*,
                   CASE WHEN kind = 'rsdt' AND r_lon IS NOT NULL THEN CAST(r_coord AS VARCHAR)
                        WHEN kind = 'prc' AND q_lon IS NOT NULL THEN 'parcel'
                        WHEN t_lon IS NOT NULL THEN CASE WHEN machiaza_type = '1' THEN 'machiaza'
                                                         ELSE 'machiaza_detail' END
                        WHEN lg IS NOT NULL AND c_lon IS NOT NULL THEN 'city'
                        WHEN p_lon IS NOT NULL AND level <> 'unknown' THEN 'prefecture' ELSE 'unknown' END AS coord
            FROM named),
        nums AS (
            SELECT placed.*, trim(coalesce(rest, '')) AS other_text,
                   CASE kind WHEN 'rsdt' THEN concat_ws('-', blk_num, rsdt_num, NULLIF(rsdt_num2, ''))
                             WHEN 'prc' THEN concat_ws('-', prc_num1, NULLIF(prc_num2, ''), NULLIF(prc_num3, ''))
                             ELSE '' END AS num_text,
                   CASE WHEN koaza_aka_code = '2' THEN concat(koaza, oaza_cho)
                        ELSE concat(oaza_cho, chome, koaza) END AS town_text
            FROM placed)
        SELECT id, input,
               trim(concat(CASE WHEN level <> 'unknown' THEN coalesce(pref, pref_name) END, county, city, ward,
                           town_text, aza, num_text,
                           CASE WHEN other_text <> '' AND num_text <> '' AND NOT starts_with(other_text, '-')
                                THEN ' ' END,
                           other_text)) AS output,
               list_filter([street_text, NULLIF(aza, ''), NULLIF(other_text, '')], x -> x IS NOT NULL) AS others,
               level AS match_level, coord AS coordinate_level,
               CASE coord WHEN 'residential_detail' THEN r_lat WHEN 'residential_block' THEN r_lat
                          WHEN 'parcel' THEN q_lat WHEN 'machiaza' THEN t_lat WHEN 'machiaza_detail' THEN t_lat
                          WHEN 'city' THEN c_lat WHEN 'prefecture' THEN p_lat END AS lat,
               CASE coord WHEN 'residential_detail' THEN r_lon WHEN 'residential_block' THEN r_lon
                          WHEN 'parcel' THEN q_lon WHEN 'machiaza' THEN t_lon WHEN 'machiaza_detail' THEN t_lon
                          WHEN 'city' THEN c_lon WHEN 'prefecture' THEN p_lon END AS lon,
               lg AS lg_code, CASE WHEN kind = 'prc' THEN prc_mid ELSE mid END AS machiaza_id, TRY_CAST(flg AS INTEGER) AS rsdt_addr_flg,
               CASE WHEN kind = 'rsdt' THEN blk_id END AS blk_id, CASE WHEN kind = 'rsdt' THEN rsdt_id END AS rsdt_id,
               CASE WHEN kind = 'rsdt' THEN NULLIF(rsdt2_id, '') END AS rsdt2_id,
               CASE WHEN kind = 'prc' THEN prc_id END AS prc_id,
               CASE WHEN level <> 'unknown' THEN coalesce(pref, pref_name) END AS pref, county, city, ward,
               oaza_cho, chome, koaza,
               CASE WHEN kind = 'rsdt' THEN blk_num END AS blk_num, CASE WHEN kind = 'rsdt' THEN rsdt_num END AS rsdt_num,
               CASE WHEN kind = 'rsdt' THEN NULLIF(rsdt_num2, '') END AS rsdt_num2,
               CASE WHEN kind = 'prc' THEN prc_num1 END AS prc_num1,
               CASE WHEN kind = 'prc' THEN NULLIF(prc_num2, '') END AS prc_num2,
               CASE WHEN kind = 'prc' THEN NULLIF(prc_num3, '') END AS prc_num3,
               {level_rank} AS level_rank
        FROM nums"""
