"""National reports (全国集計): ``kiban report national disaster|migration --as-of T -o FILE.csv|.xlsx``.

- ``disaster``: 第4号様式(その2) 被害状況即報 aggregated per prefecture. Rows are the form's count items in the
  official order (人的被害, 住家被害 全壊…床下浸水 × 棟/世帯/人, 非住家, その他, り災, 火災), columns 全国 then
  each prefecture; a NULL (未確認) is never added as zero, and the counts of reporting municipalities follow.
- ``migration``: 標準準拠システム移行状況 per prefecture: 完了率 per 業務 (20 業務 in the official order) and
  overall, 作業中率, 移行困難システム数 (完了率 = (完了済み + 対象外) / 40, 総務省ダッシュボードの定義).

Both start with the coverage statement "k of n municipalities reported; oldest as_of ...", as known at T.
"""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from kiban.config import Paths
from kiban.indicators.base import current_sql, j_int, j_text
from kiban.indicators.compute import as_known_at_iso, coverage_statement
from kiban.indicators.expected import expected_table
from kiban.lake import Lake
from schemas.reports import BUSINESS, DISASTER_DAMAGE_ITEMS, MIGRATION_STEP_COUNT

KINDS = ("disaster", "migration")
#: 第4号様式(その2) count items in the order of the form (the contract mirrors the form).
DISASTER_ITEMS = tuple(c for c in DISASTER_DAMAGE_ITEMS if c.type in ("int64", "double")
                       and c.name not in ("evac_target_households", "evac_target_persons", "shelters_open",
                                          "evacuees", "evac_households"))


def _group(ja: str) -> str:
    for prefix, group in (("死者", "人的被害"), ("行方不明", "人的被害"), ("負傷", "人的被害"), ("住家", "住家被害"),
                          ("非住家", "非住家被害"), ("り災", "り災"), ("火災", "火災発生")):
        if ja.startswith(prefix):
            return group
    return "その他"


def _connection(paths: Paths):
    return contextlib.closing(Lake(paths).reader())


def disaster_table(paths: Paths, as_of: str) -> tuple[str, list[list]]:
    """(coverage statement, rows) for the disaster report as known at ``as_of``."""
    with _connection(paths) as con:
        exp = expected_table(con)
        con.register("_exp", exp)
        cols = ", ".join(f"{j_int(c.name) if c.type == 'int64' else 'TRY_CAST(' + j_text(c.name) + ' AS DOUBLE)'}"
                         f" AS {c.name}" for c in DISASTER_ITEMS)
        cur = current_sql("disaster_damage", as_of)
        data = con.execute(
            f"SELECT e.prefecture_code, e.prefecture_name, d.lg_code, d.as_of, {', '.join(c.name for c in DISASTER_ITEMS)} "
            f"FROM (SELECT lg_code, as_of, {cols} FROM ({cur})) d JOIN _exp e USING (lg_code)"
        ).fetchall()
        prefs = sorted(set(zip(exp["prefecture_code"].to_pylist(), exp["prefecture_name"].to_pylist(), strict=True)))
        n_by_pref = {p: exp["prefecture_code"].to_pylist().count(p) for p, _ in prefs}
    areas = [("全国", None), *((name, code) for code, name in prefs)]
    header = ["区分", "項目", "単位", *(a[0] for a in areas)]
    rows: list[list] = [header]
    for i, col in enumerate(DISASTER_ITEMS):
        unit = col.ja[col.ja.rfind("(") + 1:-1] if col.ja.endswith(")") else ""
        out = [_group(col.ja), col.ja.split("(")[0], unit]
        for _, code in areas:
            vals = [r[4 + i] for r in data if (code is None or r[0] == code) and r[4 + i] is not None]
            out.append(sum(vals) if vals else None)
        rows.append(out)
    reporting = {r[2] for r in data}
    rows.append(["報告", "報告市区町村数", "団体", len(reporting),
                 *(len({r[2] for r in data if r[0] == code}) for code, _ in prefs)])
    rows.append(["報告", "市区町村数 (報告すべき団体)", "団体", sum(n_by_pref.values()), *(n_by_pref[c] for c, _ in prefs)])
    oldest = min((r[3] for r in data), default=None)
    return coverage_statement(len(reporting), sum(n_by_pref.values()), oldest), rows


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
        prefs = sorted(set(zip(exp["prefecture_code"].to_pylist(), exp["prefecture_name"].to_pylist(), strict=True)))
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


TITLES = {"disaster": "第4号様式(その2) 被害状況即報 都道府県集計",
          "migration": "標準準拠システム移行状況 都道府県集計 (完了率 = (完了済み + 対象外) / 40)"}


def build(paths: Paths, kind: str, as_of: datetime | str | None = None) -> tuple[list[list], list[list]]:
    """(preamble lines, table rows) of a national report as known at ``as_of`` (default now)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    at = as_known_at_iso(as_of) or datetime.now(UTC).isoformat()
    statement, rows = (disaster_table if kind == "disaster" else migration_table)(paths, at)
    preamble = [[TITLES[kind]], ["判明時点 (as known at)", at], ["報告状況 (coverage)", statement], []]
    return preamble, rows


def write(paths: Paths, kind: str, as_of: datetime | str | None, out: Path) -> Path:
    """Write the report as CSV (UTF-8 with BOM, for Excel) or XLSX, by the file's extension."""
    preamble, rows = build(paths, kind, as_of)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = kind
        for line in preamble:
            ws.append(line)
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        for i, row in enumerate(rows):
            ws.append(row)
            if i == 0:
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        wb.save(tmp)
    elif out.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerows(preamble)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        tmp.write_bytes(buf.getvalue().encode("utf-8-sig"))
    else:
        raise ValueError("output must end in .csv or .xlsx")
    tmp.replace(out)
    return out
