"""Dataset contracts: the single source of truth for every dataset Kiban stores and publishes.

A contract names the columns (types, Japanese and English descriptions, code tables, patterns), the keys,
the partitioning and the licence of one dataset. Parsers build their output schema from it, the lake derives
its DDL from it, ``quality/`` generates the Great Expectations suite from it, and the catalog and data
dictionary are rendered from it. Contracts hold no logic beyond these derivations.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

import pyarrow as pa

ColumnType = Literal["string", "int32", "int64", "double", "bool", "date", "timestamp", "json", "geometry"]

#: How often a dataset is expected to change (更新頻度): drives Dagster freshness policies and DCAT
#: ``accrualPeriodicity``. ``continuous``: as reports arrive (minutes); ``irregular``: no promise.
Cadence = Literal["continuous", "daily", "weekly", "monthly", "semiannual", "irregular"]

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
    "geometry": pa.binary(),  # WKB; written as GeoParquet where the dataset is spatial
}

_DUCKDB: dict[str, str] = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "json": "VARCHAR",
    "geometry": "BLOB",
}


@dataclass(frozen=True)
class CodeTable:
    """A code list published with a source (e.g. 処理区分). ``codes`` maps code -> Japanese label."""

    name: str
    ja: str
    en: str
    codes: dict[str, str]
    en_labels: dict[str, str] = field(default_factory=dict)

    def label(self, code: str) -> str | None:
        return self.codes.get(code)


@dataclass(frozen=True)
class Column:
    """One column of a dataset.

    ``pattern`` is a full-match regular expression for string columns; ``codes`` names a :class:`CodeTable`
    whose keys are the only allowed values; ``min_value``/``max_value`` bound numbers and ISO dates.
    """

    name: str
    type: ColumnType
    ja: str
    en: str
    nullable: bool = True
    pattern: str | None = None
    codes: CodeTable | None = None
    min_value: float | str | None = None
    max_value: float | str | None = None
    source_name: str | None = None  # the field name in the official layout, where it differs

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.type]

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.type]


@dataclass(frozen=True)
class Contract:
    """The contract of one dataset."""

    name: str
    version: str
    title_ja: str
    title_en: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    sort_by: tuple[str, ...] = ()
    group: str = "default"
    owner: str = "team:kiban"
    licence: str = "CC BY 4.0"
    attribution: str = ""
    spatial: bool = False
    cadence: Cadence = "irregular"
    #: How the column checks are compiled (``quality.suite.build_suite``): one per column and kind, or one per
    #: kind over all columns (wide forms validated at a high rate).
    checks: Literal["column", "kind"] = "column"
    #: A dataset that is a view over other datasets (no table of its own): its SELECT, and the tables it reads.
    derived_sql: str | None = None
    derived_from: tuple[str, ...] = ()
    #: the column whose range is the dataset's temporal coverage (DCAT ``dct:temporal``): a date or timestamp
    #: column, or an integer year
    temporal: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate column names")
        for key in (*self.primary_key, *self.partition_by, *self.sort_by):
            if key not in names:
                raise ValueError(f"{self.name}: key column {key!r} is not a column")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        fields = [
            pa.field(c.name, c.arrow_type, nullable=c.nullable, metadata={"ja": c.ja, "en": c.en})
            for c in self.columns
        ]
        return pa.schema(fields, metadata={"contract": self.name, "version": self.version})

    def row(self, **values: object) -> dict[str, object]:
        """One row of this dataset, in column order; an unknown or a missing column raises ``KeyError``."""
        names = self.column_names
        unknown = [k for k in values if k not in names]
        missing = [n for n in names if n not in values]
        if unknown or missing:
            raise KeyError(f"{self.name}: unknown columns {unknown}, missing columns {missing}")
        return {n: values[n] for n in names}

    def arrow_table(self, rows: list[dict[str, object]]) -> pa.Table:
        """Rows built with :meth:`row` as an Arrow table of the contract's schema."""
        return pa.Table.from_pylist(rows, schema=self.arrow_schema())

    def duckdb_columns(self) -> str:
        """Column list for ``CREATE TABLE name (...)``."""
        return ", ".join(f'"{c.name}" {c.duckdb_type}' for c in self.columns)

    def code_tables(self) -> list[CodeTable]:
        seen: dict[str, CodeTable] = {}
        for c in self.columns:
            if c.codes is not None:
                seen.setdefault(c.codes.name, c.codes)
        return list(seen.values())

    def schema_hash(self) -> str:
        """Stable hash over names, types, nullability and code sets: changes iff the data shape changes."""
        shape = [
            (c.name, c.type, c.nullable, c.pattern, sorted(c.codes.codes) if c.codes else None)
            for c in self.columns
        ]
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["schema_hash"] = self.schema_hash()
        return d
