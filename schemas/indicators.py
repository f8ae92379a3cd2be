"""Contract of ``indicator_values``: the time series of every indicator, appended on each refresh.

TODO(schemas owner): move to ``schemas/indicators.py`` (defined here so the table lands with its code).
"""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

GRAIN = CodeTable("indicator_grain", "集計単位", "grain",
                  {"municipality": "市区町村", "prefecture": "都道府県", "national": "全国"})
FRESHNESS = CodeTable("indicator_freshness", "鮮度", "freshness",
                      {"fresh": "最新 (SLA 内)", "due": "更新時期 (SLA 超過)", "overdue": "遅延 (SLA の2倍超過・未報告)"})

INDICATOR_VALUES = Contract(
    name="indicator_values", version="1.0.0", title_ja="指標値 (時系列)", title_en="Indicator values (time series)",
    description="指標カタログ (kiban/indicators/catalogue.yaml) の各指標を 全国・都道府県 (・市区町村) で集計した値. "
                "更新のたびに追記. as_known_at = その時点までに受信した報告 (received_at <= as_known_at) での値.",
    columns=(
        Column("computed_at", "timestamp", "計算日時", "when the refresh ran", nullable=False),
        Column("as_known_at", "timestamp", "判明時点", "transaction-time cut: reports received up to here",
               nullable=False),
        Column("indicator_id", "string", "指標ID", "indicator id (catalogue)", nullable=False),
        Column("grain", "string", "集計単位", "grain", nullable=False, codes=GRAIN),
        Column("area_code", "string", "地域コード", "JP / prefecture code / lg_code", nullable=False),
        Column("area_name", "string", "地域名", "area name"),
        Column("value", "double", "値", "value (NULL: no municipality reported a known value)"),
        Column("unit", "string", "単位", "unit", nullable=False),
        Column("reported", "int32", "値のある団体数 (k)", "municipalities whose value is known", nullable=False),
        Column("reporting", "int32", "報告団体数", "municipalities with any live report of the type", nullable=False),
        Column("expected", "int32", "報告すべき団体数 (n)", "expected municipalities of the area", nullable=False),
        Column("oldest_as_of", "timestamp", "最古の時点", "oldest as_of among contributors"),
        Column("latest_as_of", "timestamp", "最新の時点", "latest as_of among contributors"),
        Column("latest_received_at", "timestamp", "最新の受信日時", "latest received_at among contributors"),
        Column("freshness", "string", "鮮度", "fresh / due / overdue", nullable=False, codes=FRESHNESS),
        Column("snapshot_id", "int64", "湖スナップショット", "lake snapshot the values were computed from"),
    ),
    primary_key=("as_known_at", "indicator_id", "grain", "area_code"),
    sort_by=("indicator_id", "grain", "area_code", "as_known_at"), group="indicators", cadence="continuous", temporal="as_known_at",
    attribution="市区町村からの報告を集計して作成",
)
