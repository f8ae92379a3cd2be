"""A national report as a document: title, the form's header block, one table; rendered by the writers.

The disaster report follows 第4号様式(その2) 被害状況即報 (消防庁 火災・災害等即報要領): the header block carries
災害名, 報告番号 (第N報), 報告日時 (JST), 報告者 and 判明時点 ((月日時現在)), then the coverage line; the table
lists the form's items in the form's order with their units (人, 棟, 世帯, ha, 箇所, 戸, 回線, 件, 団体), 全国 first,
then each prefecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from kiban.config import Paths
from kiban.indicators.compute import as_known_at_iso
from kiban.national_report import tables

KINDS = ("disaster", "migration")
JST = timezone(timedelta(hours=9), "JST")
DEFAULT_REPORTER = "Kiban 全国集計"
TITLES = {"disaster": "第4号様式(その2) 被害状況即報 (全国・都道府県集計)",
          "migration": "標準準拠システム移行状況 都道府県集計 (完了率 = (完了済み + 対象外) / 40)"}


def jst(ts: datetime | str) -> str:
    """``2026年9月14日 13時00分`` (JST), as the form writes times."""
    t = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    t = t.astimezone(JST)
    return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}時{t.minute:02d}分"


@dataclass(frozen=True)
class Report:
    """What every output format shows: title, header block (label, value), table (header row + body)."""

    kind: str
    title: str
    header: list[tuple[str, str]]
    columns: list[str]
    rows: list[list]
    #: leading text columns of the table (labels); the rest are figures (int, float, or None = not known)
    label_columns: int

    def value(self, label: str) -> str:
        return dict(self.header)[label]


def disaster(paths: Paths, at: str, subject: str | None, number: int, reporter: str, now: datetime) -> Report:
    known = tables.disasters(paths, at)
    if subject is None:
        if not known:
            raise tables.UnknownSubject(f"no disaster has a damage report as known at {at}")
        chosen = known[0]
    else:
        chosen = next((d for d in known if d.key == subject), None)
        if chosen is None:
            names = ", ".join(d.key for d in known) or "none"
            raise tables.UnknownSubject(f"no damage report for disaster {subject!r} as known at {at} "
                                        f"(disasters: {names})")
    figs = tables.disaster_figures(paths, at, chosen.key)
    header = [("災害名", f"{chosen.name} ({chosen.key})" if chosen.name != chosen.key else chosen.key),
              ("報告番号", f"第{number}報"), ("報告日時", f"{jst(now)} (JST)"), ("報告者", reporter),
              ("判明時点", f"({jst(at)} 現在)")]
    header.append(("発生日時", jst(chosen.occurred_at) if chosen.occurred_at is not None else "不明 (未報告)"))
    header.append(("報告状況", f"{figs.expected[0]:,} 団体中 {figs.reporting[0]:,} 団体が報告 / {figs.coverage}"))
    columns = ["区分", "項目", "単位", "全国", *(name for _, name in figs.prefectures)]
    rows = [[group, label, unit, *values] for group, label, unit, values in figs.items]
    rows.append(["報告", "報告市区町村数", "団体", *figs.reporting])
    rows.append(["報告", "市区町村数 (報告すべき団体)", "団体", *figs.expected])
    return Report("disaster", TITLES["disaster"], header, columns, rows, 3)


def migration(paths: Paths, at: str, reporter: str, now: datetime) -> Report:
    statement, rows = tables.migration_table(paths, at)
    header = [("報告日時", f"{jst(now)} (JST)"), ("報告者", reporter), ("判明時点", f"({jst(at)} 現在)"),
              ("報告状況", statement)]
    return Report("migration", TITLES["migration"], header, rows[0], rows[1:], 2)


def build(paths: Paths, kind: str, as_of: datetime | str | None = None, *, subject: str | None = None,
          number: int = 1, reporter: str = DEFAULT_REPORTER, now: datetime | None = None) -> Report:
    """The report as known at ``as_of`` (default now). ``subject``: the disaster (default: the latest)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if number < 1:
        raise ValueError("the report number (第N報) starts at 1")
    now = now or datetime.now(UTC)
    at = as_known_at_iso(as_of) or now.isoformat()
    if kind == "disaster":
        return disaster(paths, at, subject, number, reporter, now)
    return migration(paths, at, reporter, now)
