"""地価公示・都道府県地価調査 (不動産情報ライブラリ XPT002) into the lake: ``land_prices``, upserted by point.

**The load unit is one XPT002 response** (a GeoJSON FeatureCollection for one tile and year), archived as
``xpt002_{year}_{z}_{x}_{y}.json`` (``_pc0``/``_pc1`` appended when one 価格区分 was requested): the name
carries the request, which the rows record (``year``, ``tile_*``). Responses are archived as canonical JSON
(keys sorted), so an unchanged response is recognised as a duplicate.

**Upsert**: a response replaces the rows with the same (地点ID, 対象年, 価格区分) and keeps all others (the same
point seen from a neighbouring tile is one row), as one whole-table rewrite inside the lake transaction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from kiban.archive import RawObject
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, LakeWriter, contract_select
from kiban.load import Item, Source, Staged, StagedDataset, per_item
from registries.errors import SourceError
from registries.land_price.parse import rows_from_collection, to_table
from schemas.land_price import LAND_PRICES, LAND_PRICES_RULES

SOURCE = "land_price"
_NAME = re.compile(r"^xpt002_(?P<year>\d{4})_(?P<z>\d{1,2})_(?P<x>\d+)_(?P<y>\d+)(?:_pc(?P<pc>[01]))?\.json$")


def response_name(year: int, z: int, x: int, y: int, price_classification: str | None = None) -> str:
    """The archive name of one XPT002 response."""
    suffix = f"_pc{price_classification}" if price_classification is not None else ""
    return f"xpt002_{year}_{z}_{x}_{y}{suffix}.json"


def parse_name(name: str) -> dict | None:
    """(year, z, x, y, price_classification) from an archive name, or None."""
    m = _NAME.match(name)
    if m is None:
        return None
    return {"year": int(m["year"]), "z": int(m["z"]), "x": int(m["x"]), "y": int(m["y"]),
            "price_classification": m["pc"]}


def canonical_json(collection: dict) -> bytes:
    return json.dumps(collection, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def stage(raw: RawObject, workdir: Path, load_id: str = "") -> Staged:
    request = parse_name(raw.original_name)
    if request is None:
        raise SourceError(raw.original_name, "not an XPT002 response name (xpt002_{year}_{z}_{x}_{y}.json)",
                          rule="file_name")
    try:
        body = json.loads(raw.path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(raw.original_name, f"not UTF-8 JSON: {exc}", rule="not_json") from exc
    except RecursionError:
        raise SourceError(raw.original_name, "JSON is nested too deeply for a GeoJSON FeatureCollection",
                          rule="json_depth") from None
    if not isinstance(body, dict) or body.get("type") != "FeatureCollection":
        raise SourceError(raw.original_name, "not a GeoJSON FeatureCollection", rule="not_geojson")
    rows = rows_from_collection(body, **request)
    out = workdir / "land_prices.parquet"
    pq.write_table(to_table(rows), out, compression="zstd")
    features = len(body.get("features") or [])
    info = {**request, "features": features, "points": len(rows), "skipped_non_point": features - len(rows)}
    return Staged([StagedDataset(LAND_PRICES, out, LAND_PRICES_RULES, len(rows))], info)


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    """Rows of the response replace the same (point_id, year, price_classification); others are kept."""
    staged = ctx.staged.datasets[0]
    con = writer.con
    table = f"{LAKE}.{quote_ident(LAND_PRICES.name)}"
    writer.ensure_table(LAND_PRICES)
    select = contract_select(LAND_PRICES, LAND_PRICES.column_names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE land_new AS SELECT {select} "
                f"FROM read_parquet({quote_literal(str(staged.parquet))}) ORDER BY _source_row")
    key = ", ".join(LAND_PRICES.primary_key)
    order = ", ".join(quote_ident(k) for k in (*LAND_PRICES.sort_by, *LAND_PRICES.primary_key))
    con.execute(f"CREATE OR REPLACE TEMP TABLE land_keep AS SELECT t.* FROM {table} t "
                f"ANTI JOIN land_new n USING ({key})")
    writer.replace(LAND_PRICES, f"""
        SELECT * FROM (SELECT * FROM land_keep UNION ALL SELECT * FROM land_new) ORDER BY {order}""")
    con.execute("DROP TABLE land_keep")
    con.execute("DROP TABLE land_new")
    return {LAND_PRICES.name: staged.rows}


def land_price_source() -> Source:
    """XPT002 responses (``xpt002_{year}_{z}_{x}_{y}.json``) as a load source."""
    return Source(name=SOURCE, stage=lambda arrival, workdir, load_id: stage(arrival.raw, workdir, load_id),
                  store=per_item(store))
