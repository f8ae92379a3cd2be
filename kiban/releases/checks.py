"""Blocking checks on the data being released (公開前検査): the contract's Great Expectations suite, re-run.

Loads are validated before they reach the lake, but derived tables (e.g. ``corporations``) and the combination of
many loads are only checked here. The suite runs through :func:`quality.runner.validate` on exactly the release
files: a view over them adds ``_source_row`` (the staging convention: each file's first row number, from the
footers, plus ``file_row_number``), so nothing is copied before the check. Datasets with a geometry column are
checked on a staged copy instead, where the geometry is turned into WKB by the lake connection (spatial
extension). A blocking failure stops the publish.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from kiban.duck import quote_ident, quote_literal
from quality.rules import Rule
from quality.runner import ValidationReport, validate
from schemas.contract import Contract


class PublishBlocked(RuntimeError):
    """Blocking checks failed on the data to be released; nothing was published."""

    def __init__(self, failures: Mapping[str, list[str]]) -> None:
        self.failures = dict(failures)
        detail = "; ".join(f"{ds}: {', '.join(names)}" for ds, names in self.failures.items())
        super().__init__(f"blocking checks failed, release not published ({detail})")


def _starts(files: Sequence[Path]) -> str:
    """``(file, first_row)`` rows (SQL VALUES) giving each file's first row number across the files in order."""
    starts, start = [], 0
    for f in files:
        starts.append(f"({quote_literal(str(f))}, {start})")
        start += pq.read_metadata(f).num_rows
    return ", ".join(starts)


def release_view_sql(contract: Contract, files: Sequence[Path]) -> str:
    """A SELECT over the release files in the staging shape (contract columns + ``_source_row``), read in place.

    One single-file scan per file, ``UNION ALL``: each file's ``_source_row`` is its ``file_row_number`` plus a
    constant (the rows of the files before it, from the footers), so no row is joined to its file name. DuckDB
    runs the branches in parallel and, as on any single-file read, takes each file's footer statistics for what
    they are: a ``col IS NULL`` test on a column whose statistics say no NULL is false without reading the column.
    """
    cols = ", ".join(quote_ident(c.name) for c in contract.columns)
    scans, start = [], 0
    for f in files:
        scans.append(f"SELECT {cols}, file_row_number + {start + 1} AS _source_row "
                     f"FROM read_parquet({quote_literal(str(f))}, hive_partitioning = false, file_row_number = true)")
        start += pq.read_metadata(f).num_rows
    return "\nUNION ALL ".join(scans)


def stage_for_checks(con: duckdb.DuckDBPyConnection, contract: Contract, files: Sequence[Path], workdir: Path
                     ) -> Path:
    """A Parquet of the release rows in the staging shape: contract columns (geometry as WKB) + ``_source_row``."""
    out = workdir / f"{contract.name}.{uuid.uuid4().hex[:6]}.parquet"
    listing = ", ".join(quote_literal(str(f)) for f in files)
    cols = ", ".join(
        f"ST_AsWKB({quote_ident(c.name)}) AS {quote_ident(c.name)}" if c.type == "geometry"
        and _is_geometry(con, files, c.name) else quote_ident(c.name)
        for c in contract.columns
    )
    # _source_row: the row's position across the files in order -- each file's first row number (from the footers)
    # plus its file_row_number; a window over all rows (row_number() OVER ()) would run on one thread
    con.execute(
        f"COPY (SELECT {cols}, file_row_number + s.first_row + 1 AS _source_row "
        f"FROM read_parquet([{listing}], hive_partitioning = false, filename = true, file_row_number = true) r "
        f"JOIN (VALUES {_starts(files)}) s(file, first_row) ON r.filename = s.file) "
        f"TO {quote_literal(str(out))} (FORMAT parquet, COMPRESSION snappy)"
    )
    return out


def _is_geometry(con: duckdb.DuckDBPyConnection, files: Sequence[Path], column: str) -> bool:
    rows = con.execute(
        f"SELECT typeof({quote_ident(column)}) FROM read_parquet(?, hive_partitioning = false) LIMIT 1",
        [str(files[0])],
    ).fetchall()
    return bool(rows) and rows[0][0].upper().startswith("GEOMETRY")


def check_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, files: Sequence[Path],
                  rules: Sequence[Rule], workdir: Path) -> ValidationReport:
    """Run the suite of ``contract`` (+ ``rules``) over the release files of one dataset (none when empty)."""
    rows = con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = false)",
                       [[str(f) for f in files]]).fetchone()[0] if files else 0
    if rows == 0:
        return ValidationReport(contract.name, f"release:{contract.name}", 0, True, [], "none (no rows)")
    label = f"release:{contract.name}"
    if not any(c.type == "geometry" for c in contract.columns):
        return validate(contract, list(files), rules, source_file=label, sample_size=5,
                        view=release_view_sql(contract, files))
    workdir.mkdir(parents=True, exist_ok=True)
    staged = stage_for_checks(con, contract, files, workdir)
    try:
        return validate(contract, staged, rules, source_file=label, sample_size=5)
    finally:
        staged.unlink(missing_ok=True)


def summary(report: ValidationReport) -> dict[str, Any]:
    """The quality summary stored in the manifest and shown in the data dictionary."""
    return {
        "engine": f"great_expectations ({report.engine})",
        "rows": report.row_count,
        "success": report.success,
        "checks": len(report.results),
        "passed": sum(r.success for r in report.results),
        "blocking_failures": [r.name for r in report.blocking_failures()],
        "warnings": [r.name for r in report.warnings()],
        "results": [
            {"name": r.name, "column": r.column, "blocking": r.blocking, "success": r.success,
             "unexpected_count": r.unexpected_count, "description": r.rule_description,
             "samples": r.samples[:3], **({"error": r.error} if r.error else {})}
            for r in report.results
        ],
    }


def clean(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
