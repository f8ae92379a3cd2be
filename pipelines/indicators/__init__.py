"""Dagster definitions for the indicators (指標): the ``indicator_values`` time series."""
