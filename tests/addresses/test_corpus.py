"""The address corpus (tests/addresses/corpus.tsv): >= 300 addresses over all 47 prefectures, every variant."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kiban.addresses.service import match_many

CORPUS = Path(__file__).with_name("corpus.tsv")


def _rows() -> list[list[str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if not line.startswith("#")]


def test_the_corpus_covers_every_prefecture_and_every_variant():
    rows = _rows()
    assert len(rows) >= 300
    assert {r[1][:2] for r in rows if r[1]} == {f"{i:02d}" for i in range(1, 48)}
    variants = Counter(r[4] for r in rows)
    for v in ("full_width", "arabic_dash", "kanji_numerals", "no_prefecture", "dash_lookalike", "building",
              "oaza_prefix", "ke_variant", "itaiji", "half_width_kana", "ward_without_city", "kyoto_street"):
        assert variants[v] > 0, v


def test_every_corpus_address_matches_its_expected_municipality_town_and_level(abr_con):
    rows = _rows()
    results = match_many(abr_con, [r[0] for r in rows])
    wrong = []
    for r, got in zip(rows, results, strict=True):
        expected = (r[1] or None, r[2] or None, r[3])
        actual = (got["lg_code"], got["machiaza_id"], got["match_level"])
        if expected != actual:
            wrong.append(f"{r[0]!r} [{r[4]}]: expected {expected}, got {actual} others={got['others']}")
    assert not wrong, f"{len(wrong)} of {len(rows)} wrong:\n" + "\n".join(wrong)
