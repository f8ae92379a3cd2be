"""法務省 登記所備付地図データ (地図XML) into the lake: ``parcels``, replaced by municipality + map.

**The load unit is one published file** (``13101-0001.zip``: a zip of zips of XML, or a bare zip / XML). The
parser (:mod:`registries.moj_map.parse`) stages one row per 筆 as GeoParquet (WKB geometry in EPSG:6668);
the lake stores the WKB as BLOB, and readers of the views file (spatial extension loaded) turn it into a
geometry with ``ST_GeomFromWKB(geometry)``.

Staging facts kept in ``Staged.info`` (and hence in the load log): 地区外 / 別図 features excluded, 筆 in
任意座標系 (kept, geometry NULL), 筆 left out for a dangling idref or a degenerate ring (with file, row, id).

**Scope replacement**: the 地図XML of a municipality is republished yearly. A file replaces, in ``parcels``,
every row of the same (全国地方公共団体コード, 地図名) it contains and keeps all others: inside the lake
transaction, a DELETE of those rows (DuckLake delete files, which every reader honours) and an INSERT of the
file's rows -- work in proportion to the file, not to the table, so a national load of ~2,000 files does not
rewrite the country 2,000 times. A file whose scopes hold no rows yet (a first load) only appends, and appends
of concurrent loads never conflict on a shared catalog.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from kiban.archive import RawObject
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, LakeWriter, contract_select
from kiban.load import Arrival, Item, Source, Staged, StagedDataset, per_item
from kiban.load.guards import check_scope_replacement
from registries.moj_map.parse import stage_moj_file
from schemas.moj_map import PARCELS, PARCELS_RULES

SOURCE = "moj_map"
MAX_ISSUES = 50


def _scopes(parquet: Path) -> list[tuple[str, str]]:
    """The distinct (lg_code, map_name) pairs of a staged file, sorted."""
    table = pq.read_table(parquet, columns=["lg_code", "map_name"])
    if table.num_rows == 0:
        return []
    unique = table.group_by(["lg_code", "map_name"]).aggregate([])
    pairs = zip(unique.column("lg_code").to_pylist(), unique.column("map_name").to_pylist(), strict=True)
    return sorted((a, b) for a, b in pairs if a is not None and b is not None)


def stage(raw: RawObject, workdir: Path, load_id: str = "") -> Staged:
    """Stage one published 地図XML input; file-level problems raise ``SourceError`` (-> quarantine)."""
    out = workdir / "parcels.parquet"
    # the archive names files by hash: stage from a link with the published name (it names the XML members)
    named = workdir / raw.original_name
    named.symlink_to(raw.path)
    result = stage_moj_file(named, out)
    arbitrary_rows = pq.read_table(out, columns=["is_arbitrary_crs"]).column("is_arbitrary_crs")
    info = {
        "rows": result.rows,
        "excluded_outside": result.excluded_outside,
        "excluded_betsuzu": result.excluded_betsuzu,
        "arbitrary_crs": result.arbitrary,
        "georeferenced": int(pc.sum(pc.invert(arbitrary_rows)).as_py() or 0) if len(arbitrary_rows) else 0,
        "dangling_idref": result.dangling,
        "row_issues": [i.to_dict() for i in result.issues[:MAX_ISSUES]],
        "row_issue_count": len(result.issues),
        "xml_files": list(result.files),
        "scopes": [{"lg_code": lg, "map_name": m} for lg, m in _scopes(out)],
    }
    return Staged([StagedDataset(PARCELS, out, PARCELS_RULES, result.rows)], info)


def scope_predicate(scopes: list[dict[str, str]]) -> tuple[str, list[object]]:
    """SQL selecting the ``parcels`` rows a file with these (lg_code, map_name) scopes replaces, with its bound
    parameters: per 団体 ``lg_code = ? AND list_contains(?, map_name)`` (an equality the scan prunes by)."""
    by_lg: dict[str, set[str]] = {}
    for s in scopes:
        by_lg.setdefault(s["lg_code"], set()).add(s["map_name"])
    if not by_lg:
        return "false", []
    sql = " OR ".join("(lg_code = ? AND list_contains(?, map_name))" for _ in by_lg)
    return f"({sql})", [v for lg, names in sorted(by_lg.items()) for v in (lg, sorted(names))]


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    """Delete the rows of the file's scopes (if any), insert the file's rows."""
    staged = ctx.staged.datasets[0]
    con = writer.con
    table = f"{LAKE}.{quote_ident(PARCELS.name)}"
    writer.ensure_table(PARCELS)
    scope, params = scope_predicate(ctx.staged.info["scopes"])
    if check_scope_replacement(writer, PARCELS.name, scope, staged.rows, ctx.raw.original_name, params):
        con.execute(f"DELETE FROM {table} WHERE {scope}", params)
    select = contract_select(PARCELS, PARCELS.column_names)
    order = ", ".join(quote_ident(k) for k in PARCELS.sort_by)
    # the staged file is GeoParquet: read its WKB as the BLOB the lake stores, not as DuckDB GEOMETRY
    con.execute("SET enable_geoparquet_conversion = false")
    try:
        writer.append(PARCELS, f"SELECT {select} FROM read_parquet({quote_literal(str(staged.parquet))}) "
                               f"ORDER BY {order}")
    finally:
        con.execute("RESET enable_geoparquet_conversion")
    return {PARCELS.name: staged.rows}


def stage_arrival(arrival: Arrival, workdir: Path, load_id: str) -> Staged:
    """``Source.stage``: module-level, so it can run in a staging worker process."""
    return stage(arrival.raw, workdir, load_id)


def moj_map_source() -> Source:
    """法務省 地図XML files (as published: zip of zips, zip, or XML) as a load source."""
    return Source(name=SOURCE, stage=stage_arrival, store=per_item(store), stage_in_workers=True)
