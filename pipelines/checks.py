"""Asset checks: Great Expectations results of loads as Dagster checks, and checks on derived tables.

A check reports only what was checked. A run that validated no file for a dataset yields no result for that
dataset's Great Expectations checks (Dagster shows them as not executed), never a pass.

No ``from __future__ import annotations``: Dagster reads the resource annotations of check functions at runtime.
"""

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import dagster as dg
import duckdb

from kiban.config import Paths
from kiban.load import LoadResult
from pipelines.lake import LakeResource
from quality.rules import Rule
from quality.runner import check_specs
from schemas.contract import Contract


def ge_check_specs(asset: str, contract: Contract, rules: Sequence[Rule]) -> list[dg.AssetCheckSpec]:
    """One asset check per expectation of the dataset's Great Expectations suite."""
    return [
        dg.AssetCheckSpec(name=name, asset=asset, description=description, blocking=blocking)
        for name, description, blocking in check_specs(contract, rules)
    ]


def data_docs_link(entry: dict[str, Any]) -> dg.MetadataValue | None:
    """The GE Data Docs page of one validation: a URL when ``KIBAN_PUBLIC_URL`` (where ``kiban serve`` answers)
    is set, else the HTML file's path."""
    import os

    if not entry.get("data_docs"):
        return None
    public = os.environ.get("KIBAN_PUBLIC_URL", "").rstrip("/")
    if public:
        return dg.MetadataValue.url(public + entry["data_docs"])
    return dg.MetadataValue.path(entry.get("data_docs_file") or entry["data_docs"])


def ge_check_results(asset: str, contract: Contract, rules: Sequence[Rule], loads: Iterable[LoadResult],
                     wanted: Callable[[dg.AssetCheckKey], bool] = lambda key: True
                     ) -> Iterator[dg.AssetCheckResult]:
    """Fold the validation reports of this run's loads for dataset ``asset`` into one result per check.

    A check fails when it failed (or could not run) for any file of the run; the metadata names the files,
    counts and samples. A check that validated no file is not reported at all.
    """
    loads = list(loads)
    for name, _description, blocking in check_specs(contract, rules):
        if not wanted(dg.AssetCheckKey(dg.AssetKey(asset), name)):
            continue
        failed_files, unexpected, samples, validated, rows = [], 0, [], 0, 0
        docs_failed = docs_last = None  # the first failing file's Data Docs page, else the last file's
        for load in loads:
            for report in load.validation:
                if report.get("dataset", asset) != asset:
                    continue
                page = data_docs_link(report)
                docs_last = page or docs_last
                for r in report["results"]:
                    if r["name"] != name:
                        continue
                    validated += 1
                    rows += report.get("row_count") or 0
                    if not r["success"]:
                        docs_failed = docs_failed or page
                        failed_files.append(load.source_file)
                        unexpected += r.get("unexpected_count") or 0
                        samples.extend(r.get("samples", [])[:5])
        if not validated:
            continue
        docs = docs_failed or docs_last
        yield dg.AssetCheckResult(
            asset_key=asset, check_name=name, passed=not failed_files,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                **({"data_docs": docs} if docs is not None else {}),
                "files_validated": validated,
                "rows_validated": rows,
                "failed_files": dg.MetadataValue.json(failed_files),
                "unexpected_count": unexpected,
                "samples": dg.MetadataValue.json(samples[:20]),
            },
        )


def check_wanted(context: dg.AssetExecutionContext) -> Callable[[dg.AssetCheckKey], bool]:
    """Whether a check of a subsettable multi-asset is part of this run."""
    keys = context.selected_asset_check_keys
    return lambda key: key in keys


# -- derived tables ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def lake_reader(paths: Paths) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A reader on the views file, or None when there is no lake yet."""
    from kiban.lake import Lake

    if not Lake(paths).readable():
        yield None
        return

    with contextlib.closing(Lake(paths).reader(spatial=False)) as con:
        yield con


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0])


def key_duplicates(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[int, int, list[dict[str, Any]]]:
    """(rows, rows beyond the first per primary key, up to 5 duplicated keys with their counts)."""
    key = ", ".join(f'"{k}"' for k in contract.primary_key)
    table = f'"{contract.name}"'  # a contract name, never a request value
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    groups = f"SELECT {key}, count(*) AS n FROM {table} GROUP BY ALL HAVING count(*) > 1"
    extra = con.execute(f"SELECT coalesce(sum(n - 1), 0) FROM ({groups})").fetchone()[0]
    cur = con.execute(f"{groups} ORDER BY n DESC LIMIT 5")
    columns = [d[0] for d in cur.description]
    sample = [{c: v if v is None or isinstance(v, int | float | str) else str(v) for c, v in zip(columns, r, strict=True)}
              for r in cur.fetchall()]
    return rows, int(extra), sample


def key_unique_result(paths: Paths, contract: Contract) -> dg.AssetCheckResult:
    """The derived table has one row per primary key (``contract.primary_key``)."""
    with lake_reader(paths) as con:
        if con is None or not has_table(con, contract.name):
            return dg.AssetCheckResult(passed=False, metadata={"reason": f"{contract.name} is not in the lake"})
        rows, extra, sample = key_duplicates(con, contract)
    return dg.AssetCheckResult(passed=extra == 0, metadata={
        "rows": rows, "duplicate_rows": extra, "key": ", ".join(contract.primary_key),
        "duplicated_keys": dg.MetadataValue.json(sample),
    })


def key_unique_check(contract: Contract, **kwargs: Any) -> dg.AssetChecksDefinition:
    """The asset check ``key_unique`` on a derived table (``kwargs``: blocking, automation_condition...)."""

    @dg.asset_check(asset=contract.name, name="key_unique",
                    description=f"One row per primary key ({', '.join(contract.primary_key)}).", **kwargs)
    def _check(lake: LakeResource) -> dg.AssetCheckResult:
        return key_unique_result(lake.paths(), contract)

    return _check
