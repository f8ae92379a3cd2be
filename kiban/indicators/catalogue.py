"""The indicator catalogue (指標カタログ): ``catalogue.yaml`` loaded into :class:`Indicator` records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
GRAINS = ("municipality", "prefecture", "national")
AGGREGATES = ("sum", "max", "ratio")
#: Base relations (``kiban.indicators.base``) and the report types they read.
SOURCES: dict[str, tuple[str, ...]] = {
    "disaster_damage": ("disaster_damage",),
    "shelter_status": ("shelter_status",),
    "reporting_health": ("disaster_damage",),
    "population_monthly": ("population_monthly",),
    "system_migration": ("system_migration",),
    "system_cost": ("system_cost", "population_monthly"),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: its definition, the per-municipality SQL ``measure`` and how it rolls up."""

    id: str
    ja: str
    en: str
    definition: str
    unit: str
    source: str
    measure: str
    aggregate: str
    freshness_sla_minutes: int
    denominator: str | None = None
    scale: float = 1
    key: bool = False
    grains: tuple[str, ...] = GRAINS

    @property
    def report_types(self) -> tuple[str, ...]:
        return SOURCES[self.source]

    def to_dict(self) -> dict:
        return {"id": self.id, "name_ja": self.ja, "name_en": self.en, "definition": self.definition,
                "unit": self.unit, "grains": list(self.grains), "source": self.source,
                "report_types": list(self.report_types), "measure_sql": self.measure,
                "denominator_sql": self.denominator, "aggregate": self.aggregate, "scale": self.scale,
                "freshness_sla_minutes": self.freshness_sla_minutes, "key": self.key}


def parse(doc: dict) -> tuple[Indicator, ...]:
    """Validate and build the catalogue from its YAML document."""
    defaults = doc.get("defaults", {})
    out: list[Indicator] = []
    seen: set[str] = set()
    for raw in doc["indicators"]:
        item = {**defaults, **raw}
        item["grains"] = tuple(item.get("grains", GRAINS))
        ind = Indicator(**item)
        if ind.id in seen:
            raise ValueError(f"indicator {ind.id!r} defined twice")
        if ind.source not in SOURCES:
            raise ValueError(f"indicator {ind.id!r}: unknown source {ind.source!r}")
        if ind.aggregate not in AGGREGATES:
            raise ValueError(f"indicator {ind.id!r}: unknown aggregate {ind.aggregate!r}")
        if (ind.aggregate == "ratio") != (ind.denominator is not None):
            raise ValueError(f"indicator {ind.id!r}: a denominator goes with aggregate ratio, and only with it")
        if not set(ind.grains) <= set(GRAINS):
            raise ValueError(f"indicator {ind.id!r}: unknown grain in {ind.grains}")
        seen.add(ind.id)
        out.append(ind)
    return tuple(out)


@lru_cache(maxsize=1)
def catalogue() -> tuple[Indicator, ...]:
    """Every indicator, in catalogue order."""
    return parse(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")))


def by_id(indicator_id: str) -> Indicator:
    for ind in catalogue():
        if ind.id == indicator_id:
            return ind
    raise KeyError(indicator_id)


def for_report_type(report_type: str) -> tuple[Indicator, ...]:
    """Indicators shown in the snapshot of one report type (their base relation reads it first)."""
    return tuple(i for i in catalogue() if i.report_types[0] == report_type)
