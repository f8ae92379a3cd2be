"""The lake as a Dagster resource, and lake datasets as Dagster assets described by their contracts.

Every lake dataset asset is declared with :func:`dataset_spec` (description, owner, kinds, ``dagster/column_schema``
with the contract's ja/en column descriptions, ``dagster/table_name``) and reports its materialisations with
:func:`dataset_result` (``dagster/row_count`` of the table as committed, the schema, what this run added).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from kiban.config import Paths
from kiban.config import paths as resolve_paths
from schemas.contract import Contract

#: Every asset that writes the lake runs in this pool; dagster.yaml limits pools to one slot (one writer).
LAKE_POOL = "lake"
#: Kinds shown for a lake dataset (DuckLake catalog, Parquet data files).
DATASET_KINDS = {"duckdb", "parquet"}


class LakeResource(dg.ConfigurableResource):
    """The Kiban lake under ``home`` (``KIBAN_HOME``): raw archive, DuckLake catalog and Parquet files, views file."""

    home: str

    def paths(self) -> Paths:
        """The resolved locations under ``home``; folders are created (the assets write)."""
        return resolve_paths(self.home).ensure()


def lake_resource(home: str | None = None) -> LakeResource:
    """The lake at ``home``, or at ``KIBAN_HOME`` read when a run starts."""
    return LakeResource(home=home if home is not None else dg.EnvVar("KIBAN_HOME"))


def column_schema(contract: Contract) -> dg.TableSchema:
    """The contract's columns as a Dagster table schema: DuckDB type, nullability, ``ja / en`` description."""
    return dg.TableSchema(columns=[
        dg.TableColumn(
            name=c.name, type=c.duckdb_type, description=f"{c.ja} / {c.en}",
            constraints=dg.TableColumnConstraints(nullable=c.nullable),
        )
        for c in contract.columns
    ])


def dataset_metadata(contract: Contract) -> dict[str, Any]:
    """Definition metadata of a lake dataset (the same for every materialisation)."""
    return {
        "dagster/column_schema": column_schema(contract),
        "dagster/table_name": f"lake.{contract.name}",
        "contract_version": contract.version,
        "schema_hash": contract.schema_hash(),
        "cadence": contract.cadence,
        "licence": contract.licence,
        **({"attribution": contract.attribution} if contract.attribution else {}),
    }


def dataset_spec(contract: Contract, *, group: str, deps: Iterable[str | dg.AssetKey] = (),
                 automation_condition: dg.AutomationCondition | None = None, skippable: bool = False
                 ) -> dg.AssetSpec:
    """The asset of one lake dataset, described by its contract."""
    return dg.AssetSpec(
        contract.name, group_name=group, owners=[contract.owner], kinds=set(DATASET_KINDS),
        description=f"{contract.title_ja} ({contract.title_en}). {contract.description}",
        deps=list(deps), metadata=dataset_metadata(contract), automation_condition=automation_condition,
        skippable=skippable,
    )


def row_counts(paths: Paths, names: Sequence[str]) -> dict[str, int]:
    """Rows of each named table in the views file (the committed lake state); tables not in the lake are left out."""
    from kiban.lake import Lake

    if not names or not Lake(paths).readable():
        return {}

    with contextlib.closing(Lake(paths).reader(spatial=False)) as con:
        present = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        # names come from contracts (identifiers), never from a request; quoted all the same
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names if n in present}


def dataset_result(contract: Contract, rows: int | None, extra: Mapping[str, Any] | None = None
                   ) -> dg.MaterializeResult:
    """One lake dataset's materialisation: ``dagster/row_count`` (None: the table is not in the lake yet),
    the column schema, and ``extra`` (what this run did to that table)."""
    metadata: dict[str, Any] = {"dagster/column_schema": column_schema(contract), **(extra or {})}
    if rows is not None:
        metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
    return dg.MaterializeResult(asset_key=contract.name, metadata=metadata)


def selected(context: dg.AssetExecutionContext, key: str) -> bool:
    """Whether this run materialises ``key`` (a subsettable multi-asset reports only what was selected)."""
    return dg.AssetKey(key) in context.selected_asset_keys
