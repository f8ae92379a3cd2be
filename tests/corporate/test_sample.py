from __future__ import annotations

from pathlib import Path

from registries.corporate.checkdigit import is_valid_corporate_number
from registries.corporate.sample import PREFECTURES, build_corporations, build_diffs, generate


def test_generator_is_deterministic_and_matches_the_bundled_files(samples: Path, tmp_path: Path) -> None:
    written = generate(tmp_path)
    rel = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert rel == sorted(str(p.relative_to(samples)) for p in samples.rglob("*.zip"))
    for p in written:
        assert p.read_bytes() == (samples / p.relative_to(tmp_path)).read_bytes(), p
    assert sum(p.stat().st_size for p in samples.rglob("*") if p.is_file()) < 1_000_000


def test_generated_rows_are_valid() -> None:
    corps = build_corporations()
    numbers = [c.v["corporate_number"] for c in corps]
    assert len(numbers) == len(set(numbers)) and all(is_valid_corporate_number(n) for n in numbers)
    assert len({p[0] for p in PREFECTURES}) == 47
    diffs = build_diffs(corps)
    assert list(diffs) == ["20261102", "20261104", "20261105"]
    assert all(is_valid_corporate_number(r["corporate_number"]) for rows in diffs.values() for r in rows)
