from __future__ import annotations

import schemas
from registries.corporate.codes import API_KIND_FILTER, PREFECTURE_CODES
from schemas.corporate import CODE_TABLES, OFFICIAL_COLUMN_NAMES

OFFICIAL = ["sequence_number", "corporate_number", "process", "correct", "update_date", "change_date", "name", "name_image_id", "kind", "prefecture_name", "city_name", "street_number", "address_image_id", "prefecture_code", "city_code", "post_code", "address_outside", "address_outside_image_id", "close_date", "close_cause", "successor_corporate_number", "change_cause", "assignment_date", "latest", "en_name", "en_prefecture_name", "en_city_name", "en_address_outside", "furigana", "hihyoji"]


def test_events_contract_has_the_30_columns_in_order_then_lineage() -> None:
    c = schemas.get("corporate_events")
    assert list(OFFICIAL_COLUMN_NAMES) == OFFICIAL
    assert c.column_names == [*OFFICIAL, "source_file", "source_sha256", "load_id", "source_kind"]
    assert c.primary_key == ("source_sha256", "sequence_number")
    assert c.group == "corporate"
    assert "国税庁法人番号公表サイト" in c.attribution
    assert c.column("sequence_number").type == "int64"
    assert {c.column(n).type for n in ("update_date", "change_date", "close_date", "assignment_date")} == {"date"}
    assert c.column("corporate_number").ja == "法人番号"
    assert c.column("en_city_name").source_name == "enCityName"
    assert c.column("source_kind").codes is not None
    assert set(c.column("source_kind").codes.codes) == {"full", "diff", "api"}


def test_corporations_and_reconciliation_contracts() -> None:
    cur = schemas.get("corporations")
    assert cur.column_names == [*OFFICIAL[1:], "is_closed", "source_file", "load_id"]
    assert cur.primary_key == ("corporate_number",)
    assert cur.column("is_closed").type == "bool"
    rec = schemas.get("corporate_reconciliation")
    assert rec.column_names == ["corporate_number", "status", "differing_columns", "full_file", "reconciled_at"]
    assert set(rec.column("status").codes.codes) == {"missing", "extra", "differs"}


def test_code_tables_are_complete() -> None:
    tables = {t.ja: t for t in CODE_TABLES}
    assert set(tables["処理区分"].codes) == {"01", "11", "12", "13", "21", "22", "71", "72", "81", "99"}
    assert set(tables["法人種別"].codes) == {"101", "201", "301", "302", "303", "304", "305", "399", "401", "499"}
    assert set(tables["登記記録の閉鎖等の事由"].codes) == {"01", "11", "21", "31"}
    assert tables["訂正区分"].label("1") == "訂正"
    assert tables["最新履歴"].label("1") == "最新情報"
    assert tables["検索対象除外"].label("1") == "検索対象除外"
    assert set(API_KIND_FILTER.codes) == {"01", "02", "03", "04"}
    assert PREFECTURE_CODES["鳥取県"] == "31" and PREFECTURE_CODES["沖縄県"] == "47"
    assert PREFECTURE_CODES["全国"] == "00" and len(PREFECTURE_CODES) == 49
