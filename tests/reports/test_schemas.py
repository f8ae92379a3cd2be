import schemas
from schemas.reports import BUSINESS, CONTRACTS, ENVELOPE_NAMES, ITEMS, MIGRATION_STEP, REPORT_TYPE


def test_every_report_type_has_a_contract_with_the_shared_envelope():
    contracts = schemas.all_contracts()
    assert set(ITEMS) == set(REPORT_TYPE.codes)
    for rt in ITEMS:
        c = contracts[f"report_{rt}"]
        assert c.group == "reports"
        assert tuple(c.column_names[: len(ENVELOPE_NAMES)]) == ENVELOPE_NAMES
    for name in ("report_versions", "reports_latest"):
        c = contracts[name]
        assert c.group == "reports" and "payload" in c.column_names and "validation_status" in c.column_names
        assert tuple(c.column_names[: len(ENVELOPE_NAMES)]) == ENVELOPE_NAMES
    assert contracts["reports_latest"].primary_key == ("report_type", "lg_code", "subject_key", "as_of")


def test_japanese_headers_are_unique_per_contract_and_counts_are_nullable():
    for rt, contract in CONTRACTS.items():
        ja = [c.ja for c in contract.columns]
        assert len(ja) == len(set(ja)), rt
        for col in ITEMS[rt]:
            assert col.nullable, (rt, col.name)  # unknown stays NULL, never 0


def test_code_tables():
    assert len(BUSINESS.codes) == 20 and BUSINESS.codes["01"] == "住民基本台帳" and BUSINESS.codes["20"] == "戸籍の附票"
    assert len(MIGRATION_STEP.codes) == 40
    damage = {c.name for c in ITEMS["disaster_damage"]}
    assert {"dead", "missing", "injured_serious", "injured_minor", "zenkai_buildings", "zenkai_households",
            "zenkai_persons", "yukashita_shinsui_persons", "affected_households", "fires_hazmat",
            "evac_order_level", "power_outage_households", "water_outage_households",
            "disaster_hq_established_at", "alert_hq_dissolved_at"} <= damage
    migration = {c.name for c in ITEMS["system_migration"]}
    assert {"step_01", "step_40", "on_gov_cloud", "difficult_system", "business_code"} <= migration
