"""Municipal operational reports (市区町村報告): parse, template, validate, versions, scenario.

Pure Python, no Dagster. Entry points:

- ``parse.parse(data, filename, ...)`` -> list of :class:`model.Submission`; ``parse.staged_table(...)``
- ``template.write_template(report_type, fmt, path)``
- ``validate.validate(sub, master=...)`` and ``rules.rules_for(report_type)`` (SQL for the GE runner)
- ``versions.latest_sql(as_known_at)``
- ``python -m registries.reports.scenario --out DIR --seed N``
"""
