"""A ``Source.stage`` for the staging-worker tests: it kills its process on a file named ``die*``."""

from __future__ import annotations

import os

from registries.moj_map.load import stage_arrival


def stage(arrival, workdir, load_id):
    if arrival.raw.original_name.startswith("die"):
        os._exit(7)
    return stage_arrival(arrival, workdir, load_id)
