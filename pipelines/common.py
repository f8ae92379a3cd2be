"""Shared Dagster pieces: the KIBAN_HOME resource and the mapping of Great Expectations results to asset checks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from kiban.config import Paths, kiban_home
from kiban.config import paths as resolve_paths
from kiban.load import LoadResult
from quality.rules import Rule
from quality.runner import check_specs
from schemas.contract import Contract

#: Every asset that writes the lake runs in this pool; dagster.yaml limits pools to one slot (one writer).
LAKE_POOL = "lake"
OWNER = "team:kiban"


class KibanHome(dg.ConfigurableResource):
    """Where Kiban keeps its data (KIBAN_HOME); empty means the environment's KIBAN_HOME or ./data."""

    home: str = ""

    def paths(self) -> Paths:
        return resolve_paths(self.home) if self.home else resolve_paths(kiban_home())


def ge_check_specs(asset: str, contract: Contract, rules: Sequence[Rule]) -> list[dg.AssetCheckSpec]:
    """One asset check per expectation of the dataset's Great Expectations suite."""
    return [
        dg.AssetCheckSpec(name=name, asset=asset, description=description, blocking=blocking)
        for name, description, blocking in check_specs(contract, rules)
    ]


def data_docs_link(entry: dict[str, Any]) -> dg.MetadataValue | None:
    """The GE Data Docs page of one validation: a URL when ``KIBAN_PUBLIC_URL`` (where ``kiban serve`` answers)
    is set, else the HTML file's path."""
    if not entry.get("data_docs"):
        return None
    public = os.environ.get("KIBAN_PUBLIC_URL", "").rstrip("/")
    if public:
        return dg.MetadataValue.url(public + entry["data_docs"])
    return dg.MetadataValue.path(entry.get("data_docs_file") or entry["data_docs"])


def ge_check_results(asset: str, contract: Contract, rules: Sequence[Rule], loads: Iterable[LoadResult]
                     ) -> list[dg.AssetCheckResult]:
    """Fold the validation reports of this run's loads into one result per check.

    A check fails when it failed for any file of the run; the metadata names the files, counts and samples.
    A run with no new file reports every check as passed with ``files_validated = 0``.
    """
    loads = list(loads)
    out = []
    for name, _description, blocking in check_specs(contract, rules):
        failed_files, unexpected, samples, validated = [], 0, [], 0
        first_failed: dict[str, Any] | None = None
        last: dict[str, Any] | None = None
        for load in loads:
            for report in load.validation:
                for r in report["results"]:
                    if r["name"] != name:
                        continue
                    validated += 1
                    last = report
                    if not r["success"] and first_failed is None:
                        first_failed = report
                    if not r["success"]:
                        failed_files.append(load.source_file)
                        unexpected += r.get("unexpected_count") or 0
                        samples.extend(r.get("samples", [])[:5])
        docs = first_failed or last  # the page to link: the first failing file's, else the last file's
        link = data_docs_link(docs) if docs else None
        out.append(dg.AssetCheckResult(
            asset_key=asset,
            check_name=name,
            passed=not failed_files,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "files_validated": validated,
                "failed_files": dg.MetadataValue.json(failed_files),
                "unexpected_count": unexpected,
                "samples": dg.MetadataValue.json(samples[:20]),
                **({"data_docs": link} if link is not None else {}),
            },
        ))
    return out


def load_metadata(loads: Sequence[LoadResult]) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.json([
            {"file": r.source_file, "status": r.status, "rows": r.rows, "sha256": r.sha256[:16]} for r in loads
        ]),
        "loaded": sum(r.status == "loaded" for r in loads),
        "duplicates": sum(r.status == "duplicate" for r in loads),
        "quarantined": sum(r.status == "quarantined" for r in loads),
    }
