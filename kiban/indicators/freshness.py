"""Freshness (鮮度) of a figure: the age of its oldest ``as_of`` against the indicator's SLA.

``fresh``   age <= SLA
``due``     SLA < age <= 2 x SLA (an update is due)
``overdue`` age > 2 x SLA, or no figure at all (silence is information)
"""

from __future__ import annotations

from datetime import datetime

STATUSES = ("fresh", "due", "overdue")
COLOURS = {"fresh": "#1a7f37", "due": "#b35900", "overdue": "#c62828"}


def age_minutes(oldest_as_of: datetime | None, now: datetime) -> float | None:
    if oldest_as_of is None:
        return None
    return round((now - oldest_as_of).total_seconds() / 60.0, 1)


def status(oldest_as_of: datetime | None, now: datetime, sla_minutes: float) -> str:
    """fresh / due / overdue for a figure whose oldest contributing as_of is ``oldest_as_of``."""
    age = age_minutes(oldest_as_of, now)
    if age is None or age > 2 * sla_minutes:
        return "overdue"
    return "fresh" if age <= sla_minutes else "due"
