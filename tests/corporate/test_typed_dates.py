"""A staged file without non-canonical text is validated with its dates as DATE: the same results as the text.

The loader picks the view by :func:`has_noncanonical_text`; a file with a date that is not ``YYYY-MM-DD`` text
(``2024-1-5``, ``2024-02-30``) keeps the text view, so its quarantine reasons and values are those of the text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from kiban.archive import RawObject
from quality.runner import validate
from registries.corporate import load as corporate
from registries.corporate.parse import has_noncanonical_text, stage_corporate_file


def _outcome(parquet: Path, view: str) -> list[tuple]:
    report = validate(corporate.STAGED_EVENTS, parquet, corporate.STAGED_RULES, source_file="f.csv", view=view)
    return [(r.name, r.success, r.unexpected_count, [(s["row"], s["value"]) for s in r.samples])
            for r in report.results]


@pytest.mark.parametrize("name", ["00_zenkoku_all_20261030.zip", "diff_20261102.zip", "broken/diff_20261106.zip"])
def test_typed_dates_view_gives_the_text_views_results(samples: Path, tmp_path: Path, name: str) -> None:
    parquet = tmp_path / "staged.parquet"
    stage_corporate_file(samples / name, parquet)
    assert not has_noncanonical_text(parquet)
    text = _outcome(parquet, corporate.STAGED_TEXT)
    assert _outcome(parquet, corporate.STAGED_TYPED_DATES) == text
    if name.startswith("broken/"):
        assert any(not ok for _, ok, _, _ in text)


def test_a_file_with_a_non_canonical_date_keeps_the_text_view_and_its_reason(samples: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    stage_corporate_file(samples / "diff_20261102.zip", good)
    csv = tmp_path / "diff_20261199.csv"
    con = duckdb.connect()
    rows = con.execute(f"SELECT * FROM ({corporate.STAGED_TEXT.replace('{source}', f'read_parquet({str(good)!r})')})"
                       " ORDER BY _source_row").fetchall()
    lines = []
    for i, row in enumerate(rows):
        values = ["" if v is None else str(v) for v in row[:30]]
        if i == 1:
            values[4] = "2024-1-5"  # 更新年月日, a date polars would read but not its canonical text
        lines.append(",".join(f'"{v}"' for v in values))
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    staged = tmp_path / "bad.parquet"
    stage_corporate_file(csv, staged)
    assert has_noncanonical_text(staged)
    (tmp_path / "work").mkdir()
    item = corporate.stage(_raw(csv), tmp_path / "work", "load-1", kind="diff")
    assert item.datasets[0].view == corporate.STAGED_TEXT
    result = {r.name: r for r in validate(corporate.STAGED_EVENTS, staged, corporate.STAGED_RULES,
                                          source_file=csv.name, view=item.datasets[0].view).results}
    assert not result["update_date__castable"].success
    assert [(s["row"], s["value"]) for s in result["update_date__castable"].samples] == [(2, "2024-1-5")]


def _raw(path: Path) -> RawObject:
    """The archive's record of a received file, as ``kiban.archive`` writes it."""
    data = path.read_bytes()
    return RawObject(sha256=hashlib.sha256(data).hexdigest(), path=path, bytes=len(data), original_name=path.name,
                     source="test", received_at="2026-11-30T00:00:00+00:00", new=True)


def _outcome_typed(parquet: Path) -> list[tuple]:
    report = validate(corporate.STAGED_EVENTS, parquet, corporate.STAGED_RULES, source_file="f.csv",
                      view=corporate.STAGED_TYPED, detail_view=corporate.STAGED_TEXT)
    return [(r.name, r.success, r.unexpected_count, [(s["row"], s["value"]) for s in r.samples])
            for r in report.results]


@pytest.mark.parametrize("name", ["00_zenkoku_all_20261030.zip", "diff_20261102.zip", "broken/diff_20261106.zip"])
def test_the_typed_view_with_text_details_gives_the_text_views_results(samples: Path, tmp_path: Path,
                                                                        name: str) -> None:
    parquet = tmp_path / "staged.parquet"
    stage_corporate_file(samples / name, parquet)
    assert _outcome_typed(parquet) == _outcome(parquet, corporate.STAGED_TEXT)


def _with_duplicate_sequence_number(samples: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The 差分 sample rewritten as CSV with record 2 numbered 1 (canonical text, so the file stays typed)."""
    good = tmp_path / "good.parquet"
    stage_corporate_file(samples / "diff_20261102.zip", good)
    rows = duckdb.connect().execute(
        f"SELECT * FROM ({corporate.STAGED_TEXT.replace('{source}', f'read_parquet({str(good)!r})')})"
        " ORDER BY _source_row").fetchall()
    lines = []
    for i, row in enumerate(rows):
        values = ["" if v is None else str(v) for v in row[:30]]
        if i == 1:
            values[0] = "1"
        lines.append(",".join(f'"{v}"' for v in values))
    csv = tmp_path / "diff_20261198.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    staged = tmp_path / "dup.parquet"
    stage_corporate_file(csv, staged)
    return csv, staged


def test_a_failing_check_on_the_typed_view_reports_the_received_text(samples: Path, tmp_path: Path) -> None:
    csv, staged = _with_duplicate_sequence_number(samples, tmp_path)
    assert not has_noncanonical_text(staged)
    (tmp_path / "work").mkdir()
    item = corporate.stage(_raw(csv), tmp_path / "work", "load-1", kind="diff")
    dataset = item.datasets[0]
    assert (dataset.view, dataset.detail_view) == (corporate.STAGED_TYPED, corporate.STAGED_TEXT)
    typed = validate(corporate.STAGED_EVENTS, staged, corporate.STAGED_RULES, source_file=csv.name,
                     view=dataset.view, detail_view=dataset.detail_view)
    text = validate(corporate.STAGED_EVENTS, staged, corporate.STAGED_RULES, source_file=csv.name,
                    view=corporate.STAGED_TEXT)
    assert not typed.success and typed.to_dict() == text.to_dict()
    unique = typed.result("sequence_number_unique")
    assert [(s["row"], s["value"]) for s in unique.samples] == [(1, "1"), (2, "1")]
    # without the text details the same check would report the stored number
    bare = validate(corporate.STAGED_EVENTS, staged, corporate.STAGED_RULES, source_file=csv.name,
                    view=corporate.STAGED_TYPED)
    assert [(s["row"], s["value"]) for s in bare.result("sequence_number_unique").samples] == [(1, 1), (2, 1)]
