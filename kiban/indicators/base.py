"""Base relations: one row per reporting municipality and source, as DuckDB SQL over ``report_versions``.

Every relation starts from the latest live version of each natural key as known at T
(:func:`registries.reports.versions.latest_sql`: corrections replace, 取消/削除 tombstone, 訓練 and rejected
versions never take part), then keeps the current observation of each ``(lg_code, subject_key)`` (the latest
``as_of``: a later as_of is a new observation) and folds subjects into one row per municipality.

Each relation has ``lg_code``, ``as_of`` (the oldest as_of among the figures used), ``latest_as_of``,
``received_at`` (latest transaction time used) and its measure columns. Counts come from the JSON payload;
a JSON null (未確認 / blank) stays NULL, and a municipality total over several subjects is NULL as soon as one
subject is NULL (never a partial sum that looks complete).

Values from a request are never pasted into the SQL: the subject is the named parameter ``$subject`` and the
transaction time of a serving query ``$as_known_at`` (:data:`KNOWN_VERSIONS`); :func:`params` gives the values a
statement uses. Quoted literals in this module are constants of the code (statuses, JSON paths).
"""

from __future__ import annotations

from registries.reports.versions import candidate_sql, latest_sql
from schemas.reports import MIGRATION_STEP_COUNT

#: 主要項目 for completeness (報告率): human damage, housing damage, り災, lifelines.
REQUIRED_DAMAGE_FIELDS = (
    "dead", "missing", "injured_serious", "injured_minor", "zenkai_buildings", "hankai_buildings",
    "ichibu_hason_buildings", "yukaue_shinsui_buildings", "yukashita_shinsui_buildings", "affected_households",
    "affected_persons", "power_outage_households", "water_outage_households",
)
_DAMAGE_COUNTS = (
    "dead", "missing", "injured_serious", "injured_minor", "injured_unclassified", "zenkai_buildings",
    "daikibo_hankai_buildings", "hankai_buildings", "ichibu_hason_buildings", "yukaue_shinsui_buildings",
    "yukashita_shinsui_buildings", "affected_households", "affected_persons", "power_outage_households",
    "water_outage_households",
)
#: Cumulative counts whose fall between versions of one key is a downward revision.
_CUMULATIVE = ("dead", "missing", "injured_serious", "injured_minor", "zenkai_buildings", "hankai_buildings",
               "ichibu_hason_buildings")
_POP = ("pop_total", "households", "births", "deaths", "in_migration", "out_migration")


def j_int(field: str) -> str:
    return f"TRY_CAST(json_extract_string(payload, '$.{field}') AS BIGINT)"


def j_text(field: str) -> str:
    return f"json_extract_string(payload, '$.{field}')"


def j_bool(field: str) -> str:
    return f"TRY_CAST(json_extract_string(payload, '$.{field}') AS BOOLEAN)"


def strict_sum(col: str) -> str:
    """Sum over subjects that is NULL when any subject's value is NULL (未確認 is not zero)."""
    return f"CASE WHEN count(*) = count({col}) THEN sum({col}) END"


#: ``report_versions`` as known at ``$as_known_at`` (bound by the caller): the versions received by then.
KNOWN_VERSIONS = "(SELECT * FROM report_versions WHERE received_at <= CAST($as_known_at AS TIMESTAMPTZ))"


def params(sql: str, *, as_known_at: str | None = None, subject: str | None = None) -> dict[str, str]:
    """The named parameters ``sql`` uses (DuckDB refuses values for parameters a statement does not have)."""
    values = {"as_known_at": as_known_at, "subject": subject}
    return {k: v for k, v in values.items() if v is not None and f"${k}" in sql}


def current_sql(report_type: str, as_known_at: str | None, subject: str | None = None,
                per: str = "lg_code, subject_key", latest: str | None = None) -> str:
    """Latest live version per natural key, then the latest as_of per ``per`` (the current observation).

    ``latest`` names a relation holding ``latest_sql(as_known_at)`` already evaluated (shared by all sources).
    With a ``subject``, the statement filters on ``$subject`` (that subject, or its ``subject/...`` children).
    """
    latest = latest or f"({latest_sql(as_known_at)})"
    where = f"report_type = {_lit(report_type)}"
    if subject is not None:
        where += " AND (subject_key = $subject OR starts_with(subject_key, $subject || '/'))"
    return (f"SELECT * EXCLUDE (_cur) FROM (SELECT *, row_number() OVER (PARTITION BY {per} ORDER BY as_of DESC) "
            f"AS _cur FROM {latest} WHERE {where}) WHERE _cur = 1")


def _lit(value: str) -> str:
    """A constant of this module as an SQL literal (never a request value: those are bound)."""
    return "'" + value.replace("'", "''") + "'"


def disaster_damage(as_known_at: str | None, subject: str | None = None, latest: str | None = None) -> str:
    counts = ", ".join(f"{j_int(c)} AS {c}" for c in _DAMAGE_COUNTS)
    sums = ", ".join(f"{strict_sum(c)} AS {c}" for c in _DAMAGE_COUNTS)
    return (
        f"WITH cur AS ({current_sql('disaster_damage', as_known_at, subject, latest=latest)}), "
        f"d AS (SELECT lg_code, as_of, received_at, {counts}, {j_text('hq_type')} AS hq_type, "
        f"{j_text('hq_status')} AS hq_status, TRY_CAST({j_text('evac_order_level')} AS INTEGER) AS evac_level "
        "FROM cur) "
        "SELECT lg_code, min(as_of) AS as_of, max(as_of) AS latest_as_of, max(received_at) AS received_at, "
        f"{sums}, arg_max(hq_type, as_of) AS hq_type, arg_max(hq_status, as_of) AS hq_status, "
        "max(evac_level) AS evac_level FROM d GROUP BY lg_code"
    )


def shelter_status(as_known_at: str | None, subject: str | None = None, latest: str | None = None) -> str:
    is_open = "open_status IN ('開設', '常設')"
    return (
        f"WITH cur AS ({current_sql('shelter_status', as_known_at, subject, latest=latest)}), "
        f"s AS (SELECT lg_code, as_of, received_at, {j_text('open_status')} AS open_status, "
        f"{j_int('evacuees')} AS evacuees, {j_int('capacity')} AS capacity, {j_text('crowding')} AS crowding "
        "FROM cur) "
        "SELECT lg_code, min(as_of) AS as_of, max(as_of) AS latest_as_of, max(received_at) AS received_at, "
        f"count(*) FILTER ({is_open}) AS shelters_open, "
        f"CASE WHEN count(*) FILTER ({is_open} AND evacuees IS NULL) > 0 THEN NULL "
        f"ELSE coalesce(sum(evacuees) FILTER ({is_open}), 0) END AS evacuees, "
        f"sum(evacuees) FILTER ({is_open} AND capacity > 0 AND evacuees IS NOT NULL) AS occ_evacuees, "
        f"sum(capacity) FILTER ({is_open} AND capacity > 0 AND evacuees IS NOT NULL) AS occ_capacity, "
        f"count(*) FILTER ({is_open} AND (crowding = '定員一杯' OR evacuees >= capacity)) AS shelters_full "
        "FROM s GROUP BY lg_code"
    )


def population_monthly(as_known_at: str | None, subject: str | None = None, latest: str | None = None) -> str:
    cols = ", ".join(f"{j_int('all_' + c)} AS {c}" for c in _POP)
    return (
        f"WITH cur AS ({current_sql('population_monthly', as_known_at, None, per='lg_code', latest=latest)}) "
        "SELECT lg_code, as_of, as_of AS latest_as_of, received_at, subject_key AS year_month, "
        f"{cols}, {j_int('foreign_pop_total')} AS foreign_pop_total FROM cur"
    )


_STEP_PATHS = "[" + ", ".join(f"'$.step_{i:02d}'" for i in range(1, MIGRATION_STEP_COUNT + 1)) + "]"


def _step_sum(statuses: tuple[str, ...]) -> str:
    vals = ", ".join(_lit(s) for s in statuses)
    return f"len(list_filter(steps, x -> x IN ({vals})))"


def system_migration(as_known_at: str | None, subject: str | None = None, latest: str | None = None) -> str:
    return (
        f"WITH cur AS ({current_sql('system_migration', as_known_at, subject, latest=latest)}), "
        f"st AS (SELECT *, json_extract_string(payload, {_STEP_PATHS}) AS steps FROM cur), "
        f"s AS (SELECT lg_code, as_of, received_at, len(list_filter(steps, x -> x IS NOT NULL)) = "
        f"{MIGRATION_STEP_COUNT} AS all_known, "
        f"{_step_sum(('完了済み', '対象外'))} AS done, {_step_sum(('作業中',))} AS in_progress, "
        f"{j_bool('difficult_system')} AS difficult FROM st) "
        "SELECT lg_code, min(as_of) AS as_of, max(as_of) AS latest_as_of, max(received_at) AS received_at, "
        "count(*) AS systems, sum(done) FILTER (all_known) AS steps_done, "
        "sum(in_progress) FILTER (all_known) AS steps_in_progress, "
        f"{MIGRATION_STEP_COUNT} * count(*) FILTER (all_known) AS steps_total, "
        "CASE WHEN count(difficult) = count(*) THEN count(*) FILTER (difficult) END AS difficult_systems, "
        f"count(*) FILTER (all_known AND done = {MIGRATION_STEP_COUNT}) AS systems_complete "
        "FROM s GROUP BY lg_code"
    )


def system_cost(as_known_at: str | None, subject: str | None = None, latest: str | None = None) -> str:
    return (
        f"WITH cur AS ({current_sql('system_cost', as_known_at, subject, latest=latest)}), "
        f"c AS (SELECT lg_code, as_of, received_at, TRY_CAST({j_text('fiscal_year')} AS INTEGER) AS fiscal_year, "
        f"{j_int('annual_operating_cost_yen')} AS cost, {j_bool('shared_saas')} AS shared FROM cur), "
        "fy AS (SELECT * FROM c WHERE (lg_code, fiscal_year) IN "
        "(SELECT (lg_code, max(fiscal_year)) FROM c GROUP BY lg_code)), "
        "agg AS (SELECT lg_code, min(as_of) AS as_of, max(as_of) AS latest_as_of, max(received_at) AS received_at, "
        f"max(fiscal_year) AS fiscal_year, {strict_sum('cost')} AS cost_total, "
        "count(*) FILTER (shared) AS saas_systems, count(shared) AS saas_known FROM fy GROUP BY lg_code) "
        f"SELECT agg.*, p.pop_total AS population FROM agg LEFT JOIN ({population_monthly(as_known_at, None, latest)}) p "
        "USING (lg_code)"
    )


def reporting_health(as_known_at: str | None, subject: str | None = None, latest: str | None = None,
                     versions: str | None = None) -> str:
    """First-report timeliness, completeness of the latest report, revision counts (被害即報).

    ``versions`` replaces ``report_versions`` filtered by ``as_known_at`` (e.g. :data:`KNOWN_VERSIONS`).
    """
    where = "report_type = 'disaster_damage'"
    if subject is not None:
        where += " AND subject_key = $subject"
    status = " + ".join(f"(json_extract_string(field_status, '$.{f}') = 'reported')::INTEGER"
                        for f in REQUIRED_DAMAGE_FIELDS)
    falls = " OR ".join(f"{j_int(c)} < lag({j_int(c)}) OVER w" for c in _CUMULATIVE)
    return (
        f"WITH v AS ({candidate_sql(None, versions) if versions else candidate_sql(as_known_at)} AND {where}), "
        "first AS (SELECT lg_code, min(received_at) AS first_received, "
        f"arg_min(coalesce(TRY_CAST({j_text('occurred_at')} AS TIMESTAMPTZ), as_of), received_at) AS aware_at "
        "FROM v GROUP BY lg_code), "
        "keys AS (SELECT lg_code, count(*) - 1 AS revisions FROM v "
        "GROUP BY lg_code, report_type, subject_key, as_of), "
        "rev AS (SELECT lg_code, sum(revisions) AS revisions, count(*) AS report_keys FROM keys GROUP BY lg_code), "
        f"ordered AS (SELECT lg_code, ({falls}) AS fell FROM v WINDOW w AS (PARTITION BY lg_code, subject_key, "
        "as_of ORDER BY sequence_no, received_at)), "
        "down AS (SELECT lg_code, max(coalesce(fell, false))::INTEGER AS downward FROM ordered GROUP BY lg_code), "
        f"cur AS ({current_sql('disaster_damage', as_known_at, subject, per='lg_code', latest=latest)}), "
        f"comp AS (SELECT lg_code, as_of, received_at, {status} AS fields_reported, "
        f"{len(REQUIRED_DAMAGE_FIELDS)} AS fields_required FROM cur) "
        "SELECT comp.lg_code, comp.as_of, comp.as_of AS latest_as_of, comp.received_at, fields_reported, "
        "fields_required, date_diff('second', aware_at, first_received) / 60.0 AS first_delay_minutes, "
        "(date_diff('second', aware_at, first_received) <= 1800)::INTEGER AS on_time, "
        "revisions, report_keys, downward "
        "FROM comp JOIN first USING (lg_code) JOIN rev USING (lg_code) JOIN down USING (lg_code)"
    )


BUILDERS = {
    "disaster_damage": disaster_damage, "shelter_status": shelter_status, "population_monthly": population_monthly,
    "system_migration": system_migration, "system_cost": system_cost, "reporting_health": reporting_health,
}


def base_sql(source: str, as_known_at: str | None = None, subject: str | None = None,
             latest: str | None = None, versions: str | None = None) -> str:
    """The base relation of one source as known at ``as_known_at`` (ISO with offset; None = now).

    ``versions``: a relation standing for ``report_versions`` as known at ``as_known_at`` (used by the sources
    that read versions rather than ``latest``).
    """
    if source == "reporting_health":
        return reporting_health(as_known_at, subject, latest, versions)
    return BUILDERS[source](as_known_at, subject, latest)
