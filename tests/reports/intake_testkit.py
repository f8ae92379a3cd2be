"""Constants and report bodies for intake tests (imported as ``intake_testkit``; loaded by conftest.py)."""

from __future__ import annotations

KUMAMOTO_CITY = "431001"  # 熊本市
KUMAMOTO_PREF = "430005"  # 熊本県
YATSUSHIRO = "432024"  # 八代市 (熊本県)
FUKUOKA_CITY = "401307"  # 福岡市
HAMAMATSU_NAKA = "221317"  # 浜松市中区: abolished 2024-01-01


def damage(lg: str = KUMAMOTO_CITY, seq: int = 1, as_of: str = "2026-09-14T11:00:00+09:00", **items) -> dict:
    body = {"report_type": "disaster_damage", "lg_code": lg, "subject_key": "2026-typhoon-21", "as_of": as_of,
            "sequence_no": seq, "items": {"form_part": "その2", "dead": 1, "missing": "未確認", "injured_serious": 2,
                                          "zenkai_buildings": 3}}
    body["items"].update(items)
    return body

