"""Code tables of the 法人番号 registry (data only; defined with the contracts in ``schemas.corporate``)."""

from __future__ import annotations

from schemas.contract import CodeTable
from schemas.corporate import CLOSE_CAUSE, CODE_TABLES, CORRECT, HIHYOJI, KIND, LATEST, PROCESS

# Web-API request filter ``kind`` (differs from the response's 法人種別 codes).
API_KIND_FILTER = CodeTable(
    name="nta_api_kind_filter",
    ja="法人種別 (検索条件)",
    en="kind filter of the Web-API",
    codes={"01": "国の機関", "02": "地方公共団体", "03": "設立登記法人", "04": "外国会社等・その他"},
)

# JIS X 0401 都道府県コード by name, as the download pages label their rows (全国 = 00, 国外 = 99).
_PREFECTURE_NAMES = ["北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"]
PREFECTURE_CODES: dict[str, str] = {
    "全国": "00", **{name: f"{i:02d}" for i, name in enumerate(_PREFECTURE_NAMES, start=1)}, "国外": "99",
}

__all__ = ["PREFECTURE_CODES", "API_KIND_FILTER", "CLOSE_CAUSE", "CODE_TABLES", "CORRECT", "HIHYOJI", "KIND", "LATEST", "PROCESS"]
