"""法人格 read from a corporation's name (the 法人種別 code puts 医療法人 and 社会福祉法人 together under 399).

``legal_form("医療法人社団青葉会")`` -> ``医療法人``; longer forms win (``社会医療法人`` before ``医療法人``,
``地方独立行政法人`` before ``独立行政法人``); any ``…協同組合`` is ``協同組合``; nothing recognised -> ``その他``.
"""

from __future__ import annotations

import re

FORMS = (
    "地方独立行政法人", "特定非営利活動法人", "社会医療法人", "社会福祉法人", "一般社団法人", "一般財団法人",
    "公益社団法人", "公益財団法人", "独立行政法人", "国立大学法人", "農事組合法人", "管理組合法人", "司法書士法人",
    "行政書士法人", "医療法人", "学校法人", "宗教法人", "弁護士法人", "税理士法人", "監査法人", "株式会社", "有限会社",
    "合同会社", "合名会社", "合資会社", "協同組合", "信用金庫",
)
_PATTERN = "(" + "|".join(FORMS) + ")"


def legal_form(name: str | None) -> str:
    m = re.search(_PATTERN, name or "")
    return m.group(1) if m else "その他"


def legal_form_sql(expr: str) -> str:
    """The same as SQL (the pattern is a constant of this module)."""
    return f"coalesce(NULLIF(regexp_extract({expr}, '{_PATTERN}', 1), ''), 'その他')"
