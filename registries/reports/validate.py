"""Pure validation of one :class:`Submission`: blocking errors and warnings, each with field + reason.

Blocking: conversion problems (types), code sets, required envelope values, lg_code check digit and active
on ``as_of`` (via the caller's master), proxy only by the municipality itself or its prefecture, counts
non-negative, population ``pop_total = male + female``, ``as_of`` not after ``received_at`` + clock skew.
Warnings: population balance identity (needs the previous month), 日本人 + 外国人 = 総計, cumulative damage
counts falling versus the previous version, り災世帯数/り災者数 sum rule, shelter evacuees above capacity.
The same row-level blocking rules exist as SQL in :mod:`registries.reports.rules` for the GE runner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from registries.reports import fields, lgcode
from registries.reports.cells import JST
from registries.reports.model import Submission
from schemas.reports import ENVELOPE, POP_CLASSES

DEFAULT_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Finding:
    field: str | None
    rule: str
    reason: str
    value: str | None = None
    blocking: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ValidationResult:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        if self.errors:
            return "rejected"
        return "accepted_with_warnings" if self.warnings else "accepted"

    def add(self, f: Finding) -> None:
        (self.errors if f.blocking else self.warnings).append(f)


def validate(
    sub: Submission, *, master: lgcode.LgMaster, previous: Submission | None = None,
    previous_month: Submission | None = None, skew: timedelta = DEFAULT_SKEW,
) -> ValidationResult:
    """Validate one submission.

    master:          lg_code -> (valid_from, valid_to, prefecture_code), or a callable (see ``lgcode``)
    previous:        the previous version of the same natural key, for cumulative-fall warnings
    previous_month:  population_monthly of the month before, for the balance identity
    """
    res = ValidationResult()
    for p in sub.problems:
        res.add(Finding(p.field, p.rule, p.reason, p.value))
    _envelope(sub, res)
    _codes(sub, master, res)
    _time(sub, skew, res)
    _non_negative(sub, res)
    if sub.report_type == "population_monthly":
        _population(sub, previous_month, res)
    if sub.report_type == "disaster_damage":
        _damage(sub, previous, res)
    if sub.report_type == "shelter_status":
        _shelter(sub, res)
    return res


def _envelope(sub: Submission, res: ValidationResult) -> None:
    for col in ENVELOPE:
        value = sub.envelope.get(col.name)
        if value is None:
            continue
        if col.min_value is not None and isinstance(value, int) and value < col.min_value:
            res.add(Finding(col.name, "range", f"{col.ja} must be ≥ {col.min_value}", str(value)))
    derived = fields.derive_subject_key(sub.report_type, sub.items)
    key = sub.envelope.get("subject_key")
    if derived is not None and key is not None and derived != key:
        res.add(Finding("subject_key", "subject_key_mismatch",
                        f"subject_key {key!r} differs from the one the items imply ({derived!r})", str(key)))


def _codes(sub: Submission, master: lgcode.LgMaster, res: ValidationResult) -> None:
    lg = sub.envelope.get("lg_code")
    reporter = sub.envelope.get("reporter_lg_code")
    as_of = sub.envelope.get("as_of")
    for name, code in (("lg_code", lg), ("reporter_lg_code", reporter)):
        if code is None:
            continue
        code = str(code)
        if not lgcode.is_well_formed(code):
            res.add(Finding(name, "lg_code_check_digit", "not a 6-digit 団体コード with a valid check digit", code))
            continue
        entry = lgcode.lookup(master, code)
        if entry is None:
            res.add(Finding(name, "lg_code_unknown", "団体コード is not in the municipality master", code))
        elif isinstance(as_of, datetime) and not lgcode.active_on(entry, as_of.astimezone(JST).date()):
            res.add(Finding(name, "lg_code_inactive",
                            f"団体コード is not active on {as_of.astimezone(JST).date()} (abolished or not yet valid)",
                            code))
    if lg and reporter and lgcode.is_well_formed(str(lg)) and lgcode.is_well_formed(str(reporter)):
        lg, reporter = str(lg), str(reporter)
        if reporter != lg and reporter != lgcode.prefecture_code(lg):
            res.add(Finding("reporter_lg_code", "proxy_outside_prefecture",
                            f"{reporter} may not report for {lg}: only the municipality itself or its prefecture "
                            f"({lgcode.prefecture_code(lg)}) may", reporter))


def _time(sub: Submission, skew: timedelta, res: ValidationResult) -> None:
    as_of = sub.envelope.get("as_of")
    received = sub.envelope.get("received_at")
    if isinstance(as_of, datetime) and isinstance(received, datetime) and as_of > received + skew:
        res.add(Finding("as_of", "as_of_in_future",
                        f"as_of {as_of.isoformat()} is after received_at {received.astimezone(UTC).isoformat()} "
                        f"+ {int(skew.total_seconds() // 60)} min", as_of.isoformat()))
    occurred = sub.items.get("occurred_at")
    if isinstance(occurred, datetime) and isinstance(as_of, datetime) and occurred > as_of:
        res.add(Finding("occurred_at", "occurred_after_as_of", "発生日時 is after 時点 (as_of)",
                        occurred.isoformat(), blocking=False))


def _non_negative(sub: Submission, res: ValidationResult) -> None:
    for col in fields.item_columns(sub.report_type):
        v = sub.items.get(col.name)
        if isinstance(v, int | float) and not isinstance(v, bool):
            if col.min_value is not None and v < col.min_value:
                rule = "non_negative" if col.min_value == 0 else "range"
                res.add(Finding(col.name, rule, f"{col.ja} must be ≥ {col.min_value}", str(v)))
            if col.max_value is not None and v > col.max_value:
                res.add(Finding(col.name, "range", f"{col.ja} must be ≤ {col.max_value}", str(v)))


def _ints(sub: Submission, *names: str) -> list[int] | None:
    vals = [sub.items.get(n) for n in names]
    return None if any(not isinstance(v, int) for v in vals) else vals  # type: ignore[return-value]


def _population(sub: Submission, prev: Submission | None, res: ValidationResult) -> None:
    for c, cj in POP_CLASSES:
        v = _ints(sub, f"{c}_pop_male", f"{c}_pop_female", f"{c}_pop_total")
        if v and v[0] + v[1] != v[2]:
            res.add(Finding(f"{c}_pop_total", "pop_total_sum",
                            f"{cj} 人口 計 {v[2]} ≠ 男 {v[0]} + 女 {v[1]}", str(v[2])))
        if prev is None:
            continue
        before = prev.items.get(f"{c}_pop_total")
        flows = _ints(sub, f"{c}_births", f"{c}_deaths", f"{c}_in_migration", f"{c}_out_migration",
                      f"{c}_other_increase", f"{c}_other_decrease")
        total = sub.items.get(f"{c}_pop_total")
        if isinstance(before, int) and flows and isinstance(total, int):
            b, d, i, o, oi, od = flows
            expected = before + b - d + i - o + oi - od
            if expected != total:
                res.add(Finding(f"{c}_pop_total", "population_balance",
                                f"{cj}: 前月 {before} + 出生 {b} − 死亡 {d} + 転入 {i} − 転出 {o} + その他 {oi - od} "
                                f"= {expected} ≠ 計 {total} (残差 {total - expected})", str(total), blocking=False))
    parts = _ints(sub, "jp_pop_total", "foreign_pop_total", "all_pop_total")
    if parts and parts[0] + parts[1] != parts[2]:
        res.add(Finding("all_pop_total", "nationality_sum", f"日本人 {parts[0]} + 外国人 {parts[1]} ≠ 総計 {parts[2]}",
                        str(parts[2]), blocking=False))


def _damage(sub: Submission, prev: Submission | None, res: ValidationResult) -> None:
    for unit, label in (("households", "り災世帯数"), ("persons", "り災者数")):
        parts = _ints(sub, f"zenkai_{unit}", f"hankai_{unit}", f"yukaue_shinsui_{unit}")
        total = sub.items.get(f"affected_{unit}")
        extra = sub.items.get(f"daikibo_hankai_{unit}")
        if parts and isinstance(total, int):
            expected = sum(parts) + (extra if isinstance(extra, int) else 0)
            if expected != total:
                res.add(Finding(f"affected_{unit}", "affected_sum",
                                f"{label} {total} ≠ 全壊+大規模半壊+半壊+床上浸水 {expected}", str(total),
                                blocking=False))
    if prev is None:
        return
    for name in fields.CUMULATIVE_DAMAGE:
        now, before = sub.items.get(name), prev.items.get(name)
        if isinstance(now, int | float) and isinstance(before, int | float) and now < before:
            res.add(Finding(name, "cumulative_decrease",
                            f"cumulative count fell from {before} to {now} versus the previous version "
                            f"({prev.envelope.get('report_id')})", str(now), blocking=False))


def _shelter(sub: Submission, res: ValidationResult) -> None:
    ev, cap = sub.items.get("evacuees"), sub.items.get("capacity")
    if isinstance(ev, int) and isinstance(cap, int) and cap > 0 and ev > cap:
        res.add(Finding("evacuees", "over_capacity", f"避難者数 {ev} > 収容可能人数 {cap}", str(ev), blocking=False))
    vol = sub.items.get("evacuees_voluntary")
    if isinstance(ev, int) and isinstance(vol, int) and vol > ev:
        res.add(Finding("evacuees_voluntary", "voluntary_exceeds_total", "うち自主避難者数 > 避難者数", str(vol)))
