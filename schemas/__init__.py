"""Dataset contracts, one module per source. :func:`all_contracts` is the registry: an explicit list, so what
the platform knows (the lake's DDL, Great Expectations suites, releases, the catalog, Dagster's asset specs)
never depends on which modules happen to have been imported."""

from __future__ import annotations

from schemas.contract import Cadence, CodeTable, Column, Contract


def _contracts() -> list[Contract]:
    from schemas import (
        abr,
        addresses,
        corporate,
        indicators,
        land_price,
        moj_map,
        municipalities,
        platform,
        reports,
    )

    return [
        platform.LOADS,
        corporate.corporate_events, corporate.corporations, corporate.corporate_reconciliation,
        municipalities.MUNICIPALITIES, municipalities.MUNICIPALITY_CODES,
        *abr.ABR_CONTRACTS.values(),
        moj_map.PARCELS, moj_map.PARCEL_REGISTRY, moj_map.PARCEL_MATCH_RATE,
        land_price.LAND_PRICES,
        reports.REPORT_VERSIONS, reports.REPORTS_LATEST, reports.REPORT_SUBMISSIONS, *reports.CONTRACTS.values(),
        indicators.INDICATOR_VALUES,
        *addresses.CONTRACTS.values(),
    ]


def all_contracts() -> dict[str, Contract]:
    """Every dataset contract by name (sorted); a name defined twice is an error."""
    out: dict[str, Contract] = {}
    for c in _contracts():
        if c.name in out:
            raise ValueError(f"contract {c.name!r} is listed twice")
        out[c.name] = c
    return dict(sorted(out.items()))


def get(name: str) -> Contract:
    contracts = all_contracts()
    try:
        return contracts[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(contracts)}") from None


__all__ = ["Cadence", "CodeTable", "Column", "Contract", "all_contracts", "get"]
