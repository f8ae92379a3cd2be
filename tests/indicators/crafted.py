"""Crafted report versions covering every rule the indicators must respect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import indicators_reportkit as reportkit

T0 = datetime(2026, 9, 14, 3, 0, tzinfo=UTC)  # 12:00 JST
T1 = T0 + timedelta(hours=4)
A, B, C, D = "432083", "432113", "432121", "402036"  # three in 熊本県 (43), one in 福岡県 (40)
DISASTER = "2026-typhoon-21"


def damage(lg: str, as_of: datetime, seq: int, n: int, **items) -> dict:
    row = {"report_id": f"00000000-0000-4000-8000-{n:012d}", "report_type": "disaster_damage", "lg_code": lg,
           "subject_key": DISASTER, "as_of": as_of, "sequence_no": seq, "control": "正規",
           "update_type": "新規" if seq == 1 else "更新", "form_part": "その2",
           "dead": 0, "missing": 0, "injured_serious": 0, "injured_minor": 0, "hq_type": "対策本部", "hq_status": "設置"}
    row.update(items)
    return row


def crafted_arrivals() -> list[tuple[datetime, dict]]:
    """(received_at, report) pairs covering every rule the indicators must respect."""
    return [
        (T0 + timedelta(minutes=10), damage(A, T0, 1, 1, dead=1, evac_order_level="4")),
        # 訂正 of the same natural key: replaces seq 1
        (T0 + timedelta(minutes=60), damage(A, T0, 2, 2, dead=2, control="訂正")),
        # a later as_of: a new observation
        (T1 + timedelta(minutes=5), damage(A, T1, 3, 3, dead=5, evac_order_level="5")),
        # 未確認 stays NULL (not zero); first report 45 minutes after 覚知 (late)
        (T0 + timedelta(minutes=45), damage(B, T0, 1, 4, dead=3, missing="未確認", hq_type="警戒本部")),
        # reported then withdrawn (取消): tombstoned, so C is silent
        (T0 + timedelta(minutes=20), damage(C, T0, 1, 5, dead=7)),
        (T0 + timedelta(minutes=80), damage(C, T0, 2, 6, dead=7, update_type="取消")),
        # 訓練 never reaches an indicator
        (T0 + timedelta(minutes=15), damage(D, T0, 1, 7, dead=100, control="訓練")),
        # shelters: one open with capacity, one closed later
        (T0 + timedelta(minutes=30), {
            "report_id": "00000000-0000-4000-8000-000000000008", "report_type": "shelter_status", "lg_code": A,
            "subject_key": f"{DISASTER}/{A}-001", "as_of": T0, "sequence_no": 1, "disaster_id": DISASTER,
            "shelter_id": f"{A}-001", "open_status": "開設", "capacity": 100, "evacuees": 100, "crowding": "定員一杯"}),
    ]


def land_crafted(paths) -> None:
    import pyarrow as pa

    tables = [reportkit.versions([row], received, f"r{i}.json") for i, (received, row) in enumerate(crafted_arrivals())]
    reportkit.land(paths, pa.concat_tables(tables))
