"""The indicators (指標): the ``indicator_values`` time series, recomputed after report versions change."""
