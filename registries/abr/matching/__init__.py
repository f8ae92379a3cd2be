"""Address normalisation for matching against the ABR (pure functions, no Dagster, no database).

``normalise`` holds the rules as data, applied the same way by Python (:func:`normalise.display`,
:func:`normalise.key`, :func:`numbers.split_numbers`) and rendered as DuckDB SQL for the set-based matcher in
``kiban.addresses`` (:func:`rules.to_sql`): one definition, two executions, tested to agree.
"""
