"""The figures of the national reports, as known at T, read from the lake (pure SQL over ``report_versions``).

- :func:`disaster_figures`: 第4号様式(その2) 被害状況即報 per prefecture for one disaster (災害ID): the form's count
  items in the form's order, the 災害対策本部 counts, the reporting municipalities; a NULL (未確認) is never added
  as zero.
- :func:`migration_table`: 標準準拠システム移行状況 per prefecture: 完了率 per 業務 (20 業務 in the official order)
  and overall, 作業中率, 移行困難システム数 (完了率 = (完了済み + 対象外) / 40, 総務省ダッシュボードの定義).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from kiban.config import Paths
from kiban.indicators.base import current_sql, j_int, j_text, params
from kiban.indicators.compute import coverage_statement
from kiban.indicators.expected import expected_table
from kiban.lake import Lake
from schemas.reports import BUSINESS, DISASTER_DAMAGE_ITEMS, MIGRATION_STEP_COUNT

#: 第4号様式(その2) count items in the order of the form (the contract mirrors the form).
DISASTER_ITEMS = tuple(c for c in DISASTER_DAMAGE_ITEMS if c.type in ("int64", "double")
                       and c.name not in ("evac_target_households", "evac_target_persons", "shelters_open",
                                          "evacuees", "evac_households"))
#: 災害対策本部等 (市町村): municipalities whose current report has the HQ set up, by kind.
HQ_ROWS = (("災害対策本部 設置市町村数", ("対策本部", "非常災害対策本部")), ("警戒本部 設置市町村数", ("警戒本部",)))


class UnknownSubject(ValueError):
    """The requested disaster has no damage report (as known at T)."""


def group_of(ja: str) -> str:
    """The form's block (区分) of an item, from its Japanese label."""
    for prefix, group in (("死者", "人的被害"), ("行方不明", "人的被害"), ("負傷", "人的被害"), ("住家", "住家被害"),
                          ("非住家", "非住家"), ("り災", "り災"), ("火災", "火災発生")):
        if ja.startswith(prefix):
            return group
    return "その他"


#: block names that the contract's labels repeat and the form prints once, in the 区分 column
_BLOCK_PREFIXES = ("住家 ", "非住家 ", "火災発生 ")


def split_label(ja: str) -> tuple[str, str]:
    """("全壊", "棟") from "住家 全壊(棟)": the item as printed in its block, and its unit."""
    label, unit = ja, ""
    if ja.endswith(")") and "(" in ja:
        cut = ja.rfind("(")
        label, unit = ja[:cut].strip(), ja[cut + 1:-1]
    for prefix in _BLOCK_PREFIXES:
        if label.startswith(prefix):
            label = label[len(prefix):]
    return label, unit


def _connection(paths: Paths):
    return contextlib.closing(Lake(paths).reader())


def _prefectures(exp) -> list[tuple[str, str]]:
    return sorted(set(zip(exp["prefecture_code"].to_pylist(), exp["prefecture_name"].to_pylist(), strict=True)))


@dataclass(frozen=True)
class Disaster:
    """One disaster (災害ID) as known at T: its name, first occurrence and how many municipalities reported."""

    key: str
    name: str
    occurred_at: datetime | None
    municipalities: int


def disasters(paths: Paths, as_of: str) -> list[Disaster]:
    """Disasters with a live damage report as known at ``as_of``, latest report first."""
    with _connection(paths) as con:
        rows = con.execute(
            f"SELECT subject_key, max({j_text('disaster_name')}), "
            f"min(TRY_CAST({j_text('occurred_at')} AS TIMESTAMPTZ)), count(DISTINCT lg_code) "
            f"FROM ({current_sql('disaster_damage', as_of)}) GROUP BY subject_key "
            "ORDER BY max(received_at) DESC, subject_key").fetchall()
    return [Disaster(r[0], r[1] or r[0], r[2], r[3]) for r in rows]


@dataclass(frozen=True)
class DisasterFigures:
    """Per item, the 全国 total then one value per prefecture (None = nothing known)."""

    prefectures: list[tuple[str, str]]
    items: list[tuple[str, str, str, list]]  # (区分, 項目, 単位, [全国, 01 .. 47])
    reporting: list[int]  # reporting municipalities: 全国, then per prefecture
    expected: list[int]
    oldest_as_of: datetime | None

    @property
    def coverage(self) -> str:
        return coverage_statement(self.reporting[0], self.expected[0], self.oldest_as_of)


def disaster_figures(paths: Paths, as_of: str, subject: str) -> DisasterFigures:
    """The 第4号様式(その2) figures of one disaster per prefecture, as known at ``as_of``."""
    cols = ", ".join(f"{j_int(c.name) if c.type == 'int64' else 'TRY_CAST(' + j_text(c.name) + ' AS DOUBLE)'}"
                     f" AS {c.name}" for c in DISASTER_ITEMS)
    # one current observation per municipality (the latest as_of of this disaster)
    cur = current_sql("disaster_damage", as_of, subject, per="lg_code")  # the subject is bound: $subject
    with _connection(paths) as con:
        exp = expected_table(con)
        con.register("_exp", exp)
        sql = (f"SELECT e.prefecture_code, d.lg_code, d.as_of, d.hq_type, d.hq_status, "
               f"{', '.join(c.name for c in DISASTER_ITEMS)} FROM (SELECT lg_code, as_of, "
               f"{j_text('hq_type')} AS hq_type, {j_text('hq_status')} AS hq_status, {cols} FROM ({cur})) d "
               "JOIN _exp e USING (lg_code)")
        data = con.execute(sql, params(sql, subject=subject)).fetchall()
        prefs = _prefectures(exp)
        codes = exp["prefecture_code"].to_pylist()
    areas = [None, *(code for code, _ in prefs)]

    def total(idx: int, code: str | None):
        vals = [r[idx] for r in data if (code is None or r[0] == code) and r[idx] is not None]
        return sum(vals) if vals else None

    items = []
    for i, col in enumerate(DISASTER_ITEMS):
        label, unit = split_label(col.ja)
        items.append((group_of(col.ja), label, unit, [total(5 + i, a) for a in areas]))
    for label, kinds in HQ_ROWS:
        items.append(("災害対策本部等", label, "団体",
                      [sum(1 for r in data if (a is None or r[0] == a) and r[4] == "設置" and r[3] in kinds)
                       for a in areas]))
    reporting = [len({r[1] for r in data if a is None or r[0] == a}) for a in areas]
    expected = [len(codes) if a is None else codes.count(a) for a in areas]
    oldest = min((r[2] for r in data), default=None)
    return DisasterFigures(prefs, items, reporting, expected, oldest)


def migration_table(paths: Paths, as_of: str) -> tuple[str, list[list]]:
    """(coverage statement, rows): per prefecture, 完了率 per 業務 and overall, 作業中率, 移行困難システム数."""
    paths_list = "[" + ", ".join(f"'$.step_{i:02d}'" for i in range(1, MIGRATION_STEP_COUNT + 1)) + "]"
    with _connection(paths) as con:
        exp = expected_table(con)
        con.register("_exp", exp)
        data = con.execute(
            f"WITH c AS ({current_sql('system_migration', as_of)}), "
            f"s AS (SELECT lg_code, as_of, {j_text('business_code')} AS business, "
            f"json_extract_string(payload, {paths_list}) AS steps, {j_text('difficult_system')} = 'true' AS difficult "
            "FROM c) "
            "SELECT e.prefecture_code, s.lg_code, s.as_of, s.business, "
            "len(list_filter(steps, x -> x IN ('完了済み', '対象外'))), len(list_filter(steps, x -> x = '作業中')), "
            f"len(list_filter(steps, x -> x IS NOT NULL)) = {MIGRATION_STEP_COUNT}, difficult "
            "FROM s JOIN _exp e USING (lg_code)"
        ).fetchall()
        prefs = _prefectures(exp)
        codes = exp["prefecture_code"].to_pylist()
    header = ["都道府県コード", "都道府県", "報告団体数", "市区町村数",
              *(f"完了率 {name} (%)" for name in BUSINESS.codes.values()), "完了率 全業務 (%)", "作業中率 (%)",
              "移行困難システム数"]
    rows: list[list] = [header]

    def rate(rs: list, idx: int) -> float | None:
        known = [r for r in rs if r[6]]
        return round(100 * sum(r[idx] for r in known) / (MIGRATION_STEP_COUNT * len(known)), 1) if known else None

    for code, name in [("00", "全国"), *prefs]:
        rs = [r for r in data if code == "00" or r[0] == code]
        rows.append([code, name, len({r[1] for r in rs}), len(codes) if code == "00" else codes.count(code),
                     *(rate([r for r in rs if r[3] == b], 4) for b in BUSINESS.codes), rate(rs, 4), rate(rs, 5),
                     sum(1 for r in rs if r[7])])
    oldest = min((r[2] for r in data), default=None)
    return coverage_statement(len({r[1] for r in data}), len(codes), oldest), rows
