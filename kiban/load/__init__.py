"""The one load use case (取込): every source, every door (CLI, Dagster, landing folder, HTTP) goes through
:func:`run_batch`. See :mod:`kiban.load.runner` for the steps and ``docs/adr/0007-one-load-use-case.md``."""

from kiban.load.model import Arrival, Item, LoadResult, Source, Staged, StagedDataset, describe, per_item

__all__ = ["Arrival", "Item", "LoadResult", "Source", "Staged", "StagedDataset", "describe", "per_item"]
