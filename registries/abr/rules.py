"""Domain rules for the ABR datasets (SQL over the staged table ``staged``)."""

from __future__ import annotations

from quality.rules import Rule, plain_text_rule
from registries.abr.coords import LAT_RANGE, LON_RANGE
from registries.municipalities.codes import lg_code_valid_sql
from schemas.abr import ABR_CONTRACTS
from schemas.contract import Contract


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _code_set_rules(contract: Contract) -> list[Rule]:
    rules = []
    for col in contract.columns:
        if col.codes is None:
            continue
        allowed = ", ".join(_quote(c) for c in sorted(col.codes.codes))
        rules.append(Rule(
            name=f"{col.name}_code_set",
            description=f"{col.codes.ja}（{col.name}）は {sorted(col.codes.codes)} のいずれか",
            failing_rows=f'SELECT * FROM staged WHERE "{col.name}" IS NOT NULL AND "{col.name}" NOT IN ({allowed})',
            column=col.name,
        ))
    return rules


def rules_for(dataset: str) -> tuple[Rule, ...]:
    """The rules of one ABR dataset (``abr_towns``, ``abr_parcels``…)."""
    contract = ABR_CONTRACTS[dataset]
    keys = ", ".join(f'"{k}"' for k in contract.primary_key)
    rules = [
        Rule(
            name="lg_code_check_digit",
            description="全国地方公共団体コードの検査数字",
            failing_rows=f"SELECT * FROM staged WHERE NOT {lg_code_valid_sql('lg_code')}",
            column="lg_code",
        ),
        Rule(
            name="keys_unique",
            description=f"主キー（{' + '.join(contract.primary_key)}）は一意",
            failing_rows=(
                f"SELECT * FROM staged WHERE ({keys}) IN "
                f"(SELECT ({keys}) FROM staged GROUP BY {keys} HAVING count(*) > 1)"
            ),
        ),
        Rule(
            name="rep_point_in_japan",
            description=f"代表点（JGD2011）は日本の範囲内: 経度 {LON_RANGE[0]:g}–{LON_RANGE[1]:g}, "
                        f"緯度 {LAT_RANGE[0]:g}–{LAT_RANGE[1]:g}",
            failing_rows=(
                "SELECT * FROM staged WHERE rep_lon IS NOT NULL AND (rep_lon NOT BETWEEN "
                f"{LON_RANGE[0]} AND {LON_RANGE[1]} OR rep_lat IS NULL OR rep_lat NOT BETWEEN "
                f"{LAT_RANGE[0]} AND {LAT_RANGE[1]})"
            ),
            column="rep_lon",
        ),
        Rule(
            name="rep_point_has_srid",
            description="代表点の座標参照系が読めない（rep_srid 未知）と代表点は NULL になる",
            failing_rows="SELECT * FROM staged WHERE rep_lon IS NULL AND rep_srid IS NOT NULL",
            column="rep_srid",
            blocking=False,
        ),
        Rule(
            name="rep_lonlat_swapped",
            description="緯度経度が入れ替わって公表された代表点（修正済み、警告のみ）",
            failing_rows="SELECT * FROM staged WHERE rep_lonlat_swapped",
            column="rep_lon",
            blocking=False,
        ),
        Rule(
            name="abolished_after_effective",
            description="廃止日は効力発生日以降",
            failing_rows=(
                "SELECT * FROM staged WHERE TRY_CAST(ablt_date AS DATE) < TRY_CAST(efct_date AS DATE)"
            ),
            column="ablt_date",
            blocking=False,
        ),
    ]
    if "machiaza_id" in contract.column_names:
        rules.append(Rule(
            name="machiaza_id_format",
            description="町字IDは7桁（大字4桁 + 丁目・小字3桁）",
            failing_rows="SELECT * FROM staged WHERE NOT coalesce(regexp_full_match(machiaza_id, '[0-9]{7}'), false)",
            column="machiaza_id",
        ))
    if "real_prop_num" in contract.column_names:
        rules.append(Rule(
            name="real_prop_num_format",
            description="不動産番号は13桁の数字",
            failing_rows=(
                "SELECT * FROM staged WHERE real_prop_num IS NOT NULL "
                "AND NOT regexp_full_match(real_prop_num, '[0-9]{13}')"
            ),
            column="real_prop_num",
        ))
    text = [c.name for c in contract.columns if c.type == "string" and c.pattern is None and c.codes is None
            and not c.name.endswith(("_id", "_code", "_date"))]
    if text:
        rules.append(plain_text_rule(text))
    return tuple(rules + _code_set_rules(contract))


RULES: dict[str, tuple[Rule, ...]] = {name: rules_for(name) for name in ABR_CONTRACTS}
