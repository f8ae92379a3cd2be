"""National fan-out (the cluster profile): 地図XML and ABR loads partitioned by the area each published file covers.

With ``KIBAN_FANOUT=area`` the load assets ``parcels_load`` and ``abr_tables`` are partitioned by dynamic
partitions that the fetch assets register from the files they found:

- ``moj_map_area``: the 5-digit 市区町村コード a 地図XML zip is named by (``13101-0001.zip`` -> ``13101``);
- ``abr_area``: the scope of an ABR set (``all``, ``pref13``, ``city131016``, as in ``mt_town_city131016``).

A partition's run loads only the pending files of its areas, so a national load is **one Dagster backfill** of
every partition, run N at a time across run workers (the K8sRunLauncher: one pod per run); the run coordinator's
tag limit on ``dagster/partition`` keeps two runs off one area. The backfill policy gives each run up to
``KIBAN_FANOUT_AREAS_PER_RUN`` areas (default 10): a run costs a process, the imports (Great Expectations alone
is seconds) and Dagster's run bookkeeping, so one area per run would spend more on that than on small areas. On one machine the default (no fan-out: one run
loads every pending file) is faster -- a run costs a process start and a Dagster instance (docs/benchmarks.md).
Each partition's commit replaces rows of one shared table, which DuckLake serialises (a delete conflicts with
any concurrent write to the table): the load retries on the new snapshot (``kiban.lakeconfig``), while the
expensive part -- parsing, coordinate transformation, validation -- runs in parallel.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import dagster as dg

FANOUT_ENV = "KIBAN_FANOUT"
AREAS_PER_RUN_ENV = "KIBAN_FANOUT_AREAS_PER_RUN"
DEFAULT_AREAS_PER_RUN = 10
MOJ_MAP_AREAS = dg.DynamicPartitionsDefinition(name="moj_map_area")
ABR_AREAS = dg.DynamicPartitionsDefinition(name="abr_area")
#: the partition of a file whose name tells no area (still loaded: by that partition's run)
OTHER = "other"
_MOJ_CODE = re.compile(r"^(\d{5})(?:\D|$)")


def enabled() -> bool:
    """``KIBAN_FANOUT=area`` (the cluster profile); unset: one run loads every pending file."""
    value = dg.EnvVar(FANOUT_ENV).get_value("") or ""
    if value not in ("", "area"):
        raise ValueError(f"{FANOUT_ENV}={value!r}: expected 'area' or nothing")
    return value == "area"


def areas_per_run() -> int:
    """How many areas one run of a backfill loads (``KIBAN_FANOUT_AREAS_PER_RUN``, a positive integer)."""
    value = dg.EnvVar(AREAS_PER_RUN_ENV).get_value("") or str(DEFAULT_AREAS_PER_RUN)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{AREAS_PER_RUN_ENV}={value!r}: expected a positive integer")
    return int(value)


def backfill_policy() -> dg.BackfillPolicy | None:
    """Backfills of the area partitions: runs of up to :func:`areas_per_run` areas (None without fan-out)."""
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=areas_per_run()) if enabled() else None


def moj_map_area(original_name: str) -> str:
    """``13101-0001.zip`` -> ``13101`` (the 市区町村コード without check digit the file is named by)."""
    m = _MOJ_CODE.match(os.path.basename(original_name))
    return m.group(1) if m else OTHER


def abr_area(original_name: str) -> str:
    """``mt_town_city131016.set.zip`` -> ``city131016``; ``mt_pref_all.set.zip`` -> ``all``."""
    from registries.abr.layout import parse_file_name
    from registries.abr.sets import SET_SUFFIX

    parsed = parse_file_name(original_name.removesuffix(SET_SUFFIX) + ".csv.zip") or parse_file_name(original_name)
    if parsed is None:
        return OTHER
    return "all" if parsed.scope == "all" else f"{parsed.scope}{parsed.code}"


def register(context: dg.AssetExecutionContext, partitions: dg.DynamicPartitionsDefinition,
             names: Iterable[str], area: Callable[[str], str]) -> list[str]:
    """Add the areas of ``names`` as partitions (fetch assets, when fan-out is on); returns the new keys."""
    if not enabled():
        return []
    keys = sorted({area(n) for n in names})
    have = set(context.instance.get_dynamic_partitions(partitions.name))
    new = [k for k in keys if k not in have]
    if new:
        context.instance.add_dynamic_partitions(partitions.name, new)
    return new


def only_area(context: dg.AssetExecutionContext, area: Callable[[str], str]) -> Callable[[dict[str, Any]], bool] | None:
    """A fetch-log filter for the run's partitions, one area or a backfill's range of them (None: an
    unpartitioned run loads everything)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    keys = frozenset(context.partition_keys)
    return lambda entry: area(entry["original_name"]) in keys
