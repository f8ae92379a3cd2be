"""Build ``parcel_registry`` and ``parcel_match_rate`` from ``abr_parcels`` and ``parcels`` in the lake.

The join key is the 法務省地図 key: 市区町村コード, 大字・丁目・小字・予備コード and 地番. ABR carries the first
five as ``moj_map_*`` columns and the 地番 as ``prc_num1``–``prc_num3`` (joined with ``-``); the MOJ side has
them as published. 地番 is normalised on both sides (全角数字 and hyphen variants to ASCII, leading zeros of
each part dropped). Abolished ABR 地番 (``ablt_date`` set) are left out. MOJ 筆 sharing one key (the same 筆
on two maps) count once: the georeferenced one, then the first map name, is kept.

Both tables are rewritten together in one lake transaction. When ``abr_parcels`` or ``parcels`` is not in the
lake yet, that side is empty: the registry still has the right columns.
"""

from __future__ import annotations

from kiban.config import Paths
from kiban.duck import quote_ident
from kiban.lake import LAKE, Lake, LakeWriter, contract_select
from schemas.abr import ABR_PARCELS
from schemas.moj_map import PARCEL_MATCH_RATE, PARCEL_REGISTRY, PARCELS

KEY = ("city_code", "oaza_code", "chome_code", "koaza_code", "yobi_code", "chiban")
_WIDTH = {"oaza_code": 3, "chome_code": 3, "koaza_code": 4, "yobi_code": 2}


def normalise_chiban(expr: str) -> str:
    """SQL normalising a 地番: trim, 全角数字/ハイフン異体字 -> ASCII, leading zeros of each part dropped."""
    ascii_ = f"translate(trim({expr}), '０１２３４５６７８９－‐−', '0123456789---')"
    return f"NULLIF(regexp_replace({ascii_}, '(^|-)0+([0-9])', '\\1\\2', 'g'), '')"


def _code(expr: str, width: int) -> str:
    """Zero-pad a numeric code to ``width``; other text unchanged."""
    return (f"CASE WHEN regexp_full_match(trim({expr}), '[0-9]+') THEN lpad(trim({expr}), {width}, '0') "
            f"ELSE NULLIF(trim({expr}), '') END")


def _empty(contract_columns: list[tuple[str, str]]) -> str:
    cols = ", ".join(f"CAST(NULL AS {t}) AS {quote_ident(n)}" for n, t in contract_columns)
    return f"SELECT {cols} WHERE false"


def _abr_source(writer: LakeWriter) -> str:
    if writer.table_exists(ABR_PARCELS.name):
        return f"{LAKE}.{ABR_PARCELS.name}"
    return f"({_empty([(c.name, c.duckdb_type) for c in ABR_PARCELS.columns])})"


def _moj_source(writer: LakeWriter) -> str:
    if writer.table_exists(PARCELS.name):
        return f"{LAKE}.{PARCELS.name}"
    return f"({_empty([(c.name, c.duckdb_type) for c in PARCELS.columns])})"


def _stage_sides(writer: LakeWriter) -> None:
    """Temp tables ``reg_abr`` and ``reg_moj`` with the normalised key."""
    con = writer.con
    abr_codes = ", ".join(
        f"{_code(f'moj_map_{src}_code', _WIDTH[dst])} AS {dst}"
        for src, dst in (("oaza", "oaza_code"), ("chome", "chome_code"), ("koaza", "koaza_code"),
                         ("spare", "yobi_code"))
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE reg_abr AS
        SELECT lg_code,
               coalesce({_code('moj_map_city_code', 5)}, substr(lg_code, 1, 5)) AS city_code,
               {abr_codes},
               {normalise_chiban("concat_ws('-', NULLIF(prc_num1, ''), NULLIF(prc_num2, ''), NULLIF(prc_num3, ''))")}
                   AS chiban,
               real_prop_num, machiaza_id, prc_id, oaza_cho, chome, koaza, moj_map_brushid,
               rep_lon, rep_lat
        FROM {_abr_source(writer)}
        WHERE ablt_date IS NULL""")
    partition = ", ".join(KEY)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE reg_moj AS
        SELECT * EXCLUDE (chiban_raw) FROM (
            SELECT lg_code, city_code, oaza_code, chome_code, koaza_code, yobi_code,
                   chiban AS chiban_raw, {normalise_chiban('chiban')} AS chiban,
                   oaza_name, chome_name, koaza_name, map_name, fude_id, is_arbitrary_crs, geometry,
                   rep_lon, rep_lat
            FROM {_moj_source(writer)})
        QUALIFY row_number() OVER (PARTITION BY {partition}
                                   ORDER BY is_arbitrary_crs, map_name, fude_id) = 1""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE reg_moj_n AS
        SELECT {partition}, count(*) AS n FROM (
            SELECT city_code, oaza_code, chome_code, koaza_code, yobi_code, {normalise_chiban('chiban')} AS chiban
            FROM {_moj_source(writer)}) GROUP BY ALL""")


def _registry_select() -> str:
    on = " AND ".join(f"a.{k} = m.{k}" for k in KEY)
    extras = {
        "lg_code": "coalesce(a.lg_code, m.lg_code)",
        **{k: f"coalesce(a.{k}, m.{k})" for k in KEY},
        "match_status": ("CASE WHEN a.prc_id IS NOT NULL AND m.lg_code IS NOT NULL THEN 'matched' "
                         "WHEN m.lg_code IS NULL THEN 'abr_only' ELSE 'moj_only' END"),
        "real_prop_num": "a.real_prop_num",
        "abr_machiaza_id": "a.machiaza_id",
        "abr_prc_id": "a.prc_id",
        "oaza_name": "coalesce(a.oaza_cho, m.oaza_name)",
        "chome_name": "coalesce(a.chome, m.chome_name)",
        "koaza_name": "coalesce(a.koaza, m.koaza_name)",
        "map_name": "m.map_name",
        "fude_id": "m.fude_id",
        "abr_brush_id": "a.moj_map_brushid",
        "is_arbitrary_crs": "m.is_arbitrary_crs",
        "geometry": "m.geometry",
        "rep_lon": "CASE WHEN m.rep_lon IS NOT NULL THEN m.rep_lon ELSE a.rep_lon END",
        "rep_lat": "CASE WHEN m.rep_lon IS NOT NULL THEN m.rep_lat ELSE a.rep_lat END",
        "rep_source": ("CASE WHEN m.rep_lon IS NOT NULL THEN 'moj' "
                       "WHEN a.rep_lon IS NOT NULL THEN 'abr' END"),
        "abr_rep_lon": "a.rep_lon",
        "abr_rep_lat": "a.rep_lat",
        "moj_candidates": "coalesce(n.n, 0)",
    }
    order = ", ".join(quote_ident(k) for k in PARCEL_REGISTRY.sort_by)
    nkey = " AND ".join(f"n.{k} = m.{k}" for k in KEY)
    return f"""
        SELECT * FROM (
            SELECT {contract_select(PARCEL_REGISTRY, [], extras)}
            FROM reg_abr a FULL OUTER JOIN reg_moj m ON {on}
            LEFT JOIN reg_moj_n n ON {nkey}
        ) ORDER BY {order}, abr_prc_id"""


def _match_rate_select() -> str:
    extras = {
        "lg_code": "lg_code",
        "abr_parcels": "count(*) FILTER (WHERE match_status <> 'moj_only')",
        "moj_parcels": "count(DISTINCT CASE WHEN match_status <> 'abr_only' THEN "
                       "[city_code, oaza_code, chome_code, koaza_code, yobi_code, chiban] END)",
        "matched": "count(*) FILTER (WHERE match_status = 'matched')",
        "match_rate": ("count(*) FILTER (WHERE match_status = 'matched') / "
                       "NULLIF(count(*) FILTER (WHERE match_status <> 'moj_only'), 0)"),
        "moj_match_rate": ("count(DISTINCT CASE WHEN match_status = 'matched' THEN "
                           "[city_code, oaza_code, chome_code, koaza_code, yobi_code, chiban] END) / "
                           "NULLIF(count(DISTINCT CASE WHEN match_status <> 'abr_only' THEN "
                           "[city_code, oaza_code, chome_code, koaza_code, yobi_code, chiban] END), 0)"),
        "matched_with_real_prop_num": "count(*) FILTER (WHERE match_status = 'matched' "
                                      "AND real_prop_num IS NOT NULL)",
        "computed_at": "now()",
    }
    return (f"SELECT {contract_select(PARCEL_MATCH_RATE, [], extras)} "
            f"FROM {LAKE}.{PARCEL_REGISTRY.name} GROUP BY lg_code ORDER BY lg_code")


def rebuild(writer: LakeWriter) -> dict[str, int]:
    """Recompute both tables inside the caller's lake transaction; row counts by table."""
    _stage_sides(writer)
    rows = {PARCEL_REGISTRY.name: writer.replace(PARCEL_REGISTRY, _registry_select())}
    rows[PARCEL_MATCH_RATE.name] = writer.replace(PARCEL_MATCH_RATE, _match_rate_select())
    for temp in ("reg_abr", "reg_moj", "reg_moj_n"):
        writer.con.execute(f"DROP TABLE IF EXISTS {temp}")
    return rows


def refresh(paths: Paths) -> dict[str, int]:
    """Recompute ``parcel_registry`` and ``parcel_match_rate`` in one lake transaction."""
    with Lake(paths).writer() as writer:
        return rebuild(writer)
