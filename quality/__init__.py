"""quality: Great Expectations suites generated from contracts, run on DuckDB with SQL pushdown.

Importing any ``quality`` module switches Great Expectations' usage statistics off before GE is imported.
"""

import os

os.environ["GX_ANALYTICS_ENABLED"] = "False"
