"""法人格 read from names, in Python and SQL."""

from __future__ import annotations

import pytest

from kiban.addresses.kinds import legal_form, legal_form_sql
from kiban.duck import connect


@pytest.mark.parametrize(("name", "form"), [
    ("医療法人社団青葉会", "医療法人"), ("社会医療法人財団大和会", "社会医療法人"), ("社会福祉法人さくら福祉会", "社会福祉法人"),
    ("地方独立行政法人東京都立病院機構", "地方独立行政法人"), ("独立行政法人国立病院機構", "独立行政法人"),
    ("株式会社サンプル", "株式会社"), ("サンプル商事有限会社", "有限会社"), ("青葉農業協同組合", "協同組合"),
    ("東京都", "その他"), ("", "その他"),
])
def test_the_legal_form_is_read_from_the_name_longest_form_first(name, form):
    assert legal_form(name) == form
    assert connect().execute(f"SELECT {legal_form_sql('?')}", [name]).fetchone()[0] == form
