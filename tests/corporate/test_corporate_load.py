"""法人番号 through the whole load path: archive, stage, Great Expectations, lake; and every bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from kiban import query
from kiban.load.files import ingest_file
from registries.corporate.load import corporate_source

FULL = "00_zenkoku_all_20261030.zip"
DIFFS = ["diff_20261102.zip", "diff_20261104.zip", "diff_20261105.zip"]


def _csv_lines(zip_path: Path) -> tuple[str, list[str]]:
    with zipfile.ZipFile(zip_path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        return name, zf.read(name).decode("utf-8").splitlines()


def _zip(path: Path, inner: str, lines: list[str]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(inner, ("\n".join(lines) + "\n").encode("utf-8"))
    path.write_bytes(buf.getvalue())
    return path


def _count(home, table="corporations") -> int:
    return int(query.run(home, f"SELECT count(*) AS n FROM {table}", fmt="csv").split()[1])


@pytest.fixture
def loaded(home, samples):
    r = ingest_file(home, corporate_source(), samples / FULL)
    assert r.status == "loaded", r.summary()
    return home


def test_full_then_diffs_builds_current_state(home, samples):
    results = [ingest_file(home, corporate_source(), samples / f) for f in [FULL, *DIFFS]]
    assert [r.status for r in results] == ["loaded"] * 4
    events = _count(home, "corporate_events")
    assert events == sum(r.rows["corporate_events"] for r in results)
    # one row per corporate number, closed corporations kept and flagged, 削除 (99) dropped
    out = query.run(home, """
        SELECT count(*) = count(DISTINCT corporate_number) AS unique_numbers,
               bool_and(is_closed = (close_date IS NOT NULL)) AS flags_ok,
               count(*) FILTER (WHERE process = '99') AS deleted
        FROM corporations""", fmt="json")
    assert json.loads(out) == [{"unique_numbers": True, "flags_ok": True, "deleted": 0}]
    # every number ever seen is in the state, except those whose latest event is a 削除 (99)
    expected = query.run(home, """
        SELECT count(*) AS n FROM (
          SELECT corporate_number, arg_max(process, (update_date, source_file, sequence_number)) AS last_process
          FROM corporate_events WHERE latest = '1' GROUP BY 1) WHERE last_process <> '99'""", fmt="csv")
    assert _count(home) == int(expected.split()[1]) > 250
    # every event is kept with its lineage
    lineage = json.loads(query.run(home, "SELECT DISTINCT source_kind, source_file FROM corporate_events "
                                         "ORDER BY source_file", fmt="json"))
    assert {x["source_kind"] for x in lineage} == {"full", "diff"}
    assert len(lineage) == 4


def test_diff_changes_win_over_the_older_full_row(home, samples):
    ingest_file(home, corporate_source(), samples / FULL)
    _, lines = _csv_lines(samples / DIFFS[0])
    changed = next(line for line in lines if ",11," in line.split('"')[0])  # a 商号変更 event
    number = changed.split(",")[1]
    ingest_file(home, corporate_source(), samples / DIFFS[0])
    row = json.loads(query.run(home, f"SELECT process, load_id FROM corporations WHERE corporate_number = '{number}'",
                               fmt="json"))
    assert row[0]["process"] == "11"


def test_reconciliation_reports_missing_extra_and_differing(loaded, samples, tmp_path):
    inner, lines = _csv_lines(samples / FULL)
    dropped = lines[0].split(",")[1]
    fields = lines[1].split(",")
    fields[6] = '"改名後株式会社"'
    fields[4] = "2026-11-30"
    changed_number = fields[1]
    new_lines = [",".join(fields), *lines[2:]]
    later = _zip(tmp_path / "00_zenkoku_all_20261130.zip", "00_zenkoku_all_20261130.csv", new_lines)
    r = ingest_file(loaded, corporate_source(), later)
    assert r.status == "loaded", r.summary()
    rec = {x["corporate_number"]: x for x in json.loads(
        query.run(loaded, "SELECT * FROM corporate_reconciliation", fmt="json"))}
    assert rec[dropped]["status"] == "extra"
    assert rec[changed_number]["status"] == "differs"
    assert "name" in json.loads(rec[changed_number]["differing_columns"])
    assert len(rec) == 2


def test_next_full_file_is_reconciled_against_the_diff_built_state(home, samples):
    for f in [FULL, *DIFFS, "00_zenkoku_all_20261130.zip"]:
        assert ingest_file(home, corporate_source(), samples / f).status == "loaded"
    rec = json.loads(query.run(home, "SELECT status, differing_columns FROM corporate_reconciliation "
                                     "ORDER BY status", fmt="json"))
    assert [r["status"] for r in rec] == ["differs", "extra", "missing"]
    assert set(json.loads(rec[0]["differing_columns"])) >= {"name", "kind", "update_date"}
    # the full file's newer 更新年月日 wins for the drifted corporation; the extra number is kept and reported
    state = json.loads(query.run(home, """
        SELECT c.kind, r.status FROM corporate_reconciliation r JOIN corporations c USING (corporate_number)
        ORDER BY r.status""", fmt="json"))
    assert state == [{"kind": "305", "status": "differs"}, {"kind": "301", "status": "extra"},
                     {"kind": "302", "status": "missing"}]


def test_same_file_twice_is_loaded_once(loaded, samples):
    before = _count(loaded, "corporate_events")
    r = ingest_file(loaded, corporate_source(), samples / FULL)
    assert r.status == "duplicate" and r.ok
    assert _count(loaded, "corporate_events") == before
    statuses = query.run(loaded, "SELECT status FROM loads ORDER BY started_at", fmt="csv").split()[1:]
    assert statuses == ["loaded", "duplicate"]


def _assert_quarantined(home, result, *, rule: str, file: str):
    assert result.status == "quarantined", result.summary()
    assert any(e["rule"] == rule for e in result.errors), result.errors
    assert all(e.get("file") == file for e in result.errors)
    report = json.loads(result.quarantine_report.read_text())
    assert report["file"] == file and report["errors"] and Path(report["raw_path"]).exists()
    assert file in result.summary() and rule in result.summary()


def _published(home) -> tuple[int, int]:
    return _count(home), _count(home, "corporate_events")


def test_truncated_zip(loaded, samples, tmp_path):
    before = _published(loaded)
    data = (samples / FULL).read_bytes()
    bad = tmp_path / "00_zenkoku_all_20261130.zip"
    bad.write_bytes(data[: len(data) // 2])
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(), bad), rule="truncated_zip",
                        file=bad.name)
    assert _published(loaded) == before


def test_html_error_page_instead_of_zip(loaded, tmp_path):
    before = _published(loaded)
    bad = tmp_path / "diff_20261110.zip"
    bad.write_text("<!DOCTYPE html><html><head><title>エラー</title></head><body>503</body></html>")
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(), bad), rule="not_a_zip", file=bad.name)
    assert _published(loaded) == before


def test_wrong_column_count(loaded, samples, tmp_path):
    before = _published(loaded)
    inner, lines = _csv_lines(samples / DIFFS[0])
    lines[1] = lines[1] + ",extra"
    bad = _zip(tmp_path / "diff_20261110.zip", inner, lines)
    result = ingest_file(loaded, corporate_source(), bad)
    _assert_quarantined(loaded, result, rule="column_count", file=bad.name)
    assert result.errors[0]["row"] == 2
    assert _published(loaded) == before


def test_shift_jis_file_declared_as_utf8(loaded, samples):
    before = _published(loaded)
    sjis = samples / "sjis" / "00_zenkoku_all_20261030.zip"
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(encoding="utf-8"), sjis), rule="encoding",
                        file=sjis.name)
    assert _published(loaded) == before


def test_utf8_file_declared_as_shift_jis(loaded, samples, tmp_path):
    before = _published(loaded)
    inner, lines = _csv_lines(samples / DIFFS[0])
    bad = _zip(tmp_path / "diff_20261110.zip", inner, lines)
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(encoding="cp932"), bad), rule="encoding",
                        file=bad.name)
    assert _published(loaded) == before


def test_both_encodings_are_detected_and_give_the_same_rows(home, samples):
    u = ingest_file(home, corporate_source(), samples / FULL)
    s = ingest_file(home, corporate_source(), samples / "sjis" / "00_zenkoku_all_20261030.zip")
    assert (u.info["encoding"], s.info["encoding"]) == ("utf-8", "cp932")
    diff = query.run(home, f"""
        SELECT count(*) AS n FROM (
          (SELECT * EXCLUDE (source_sha256, load_id) FROM corporate_events WHERE source_sha256 = '{u.sha256}')
          EXCEPT ALL
          (SELECT * EXCLUDE (source_sha256, load_id) FROM corporate_events WHERE source_sha256 = '{s.sha256}'))
    """, fmt="csv")
    assert diff == "n\n0\n"
    names = query.run(home, "SELECT count(*) AS n FROM corporations WHERE name LIKE '%㈱%' OR name LIKE '%①%'",
                      fmt="csv")
    assert int(names.split()[1]) > 0


def test_bad_check_digit(loaded, samples, tmp_path):
    before = _published(loaded)
    inner, lines = _csv_lines(samples / DIFFS[0])
    fields = lines[0].split(",")
    number = fields[1]
    fields[1] = str((int(number[0]) % 9) + 1) + number[1:]  # a different leading (check) digit
    lines[0] = ",".join(fields)
    bad = _zip(tmp_path / "diff_20261110.zip", inner, lines)
    result = ingest_file(loaded, corporate_source(), bad)
    _assert_quarantined(loaded, result, rule="corporate_number_check_digit", file=bad.name)
    sample = next(e for e in result.errors if e["rule"] == "corporate_number_check_digit")
    assert sample["row"] == 1 and sample["column"] == "corporate_number" and sample["value"] == fields[1]
    assert _published(loaded) == before


def test_unknown_code(loaded, samples, tmp_path):
    before = _published(loaded)
    inner, lines = _csv_lines(samples / DIFFS[0])
    fields = lines[0].split(",")
    fields[2] = "55"  # no such 処理区分
    lines[0] = ",".join(fields)
    bad = _zip(tmp_path / "diff_20261110.zip", inner, lines)
    result = ingest_file(loaded, corporate_source(), bad)
    _assert_quarantined(loaded, result, rule="process__in_codes", file=bad.name)
    assert _published(loaded) == before


def test_empty_file(loaded, tmp_path):
    before = _published(loaded)
    bad = tmp_path / "diff_20261110.csv"
    bad.write_bytes(b"")
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(), bad), rule="empty", file=bad.name)
    assert _published(loaded) == before


def _table(home, table: str) -> set[tuple]:
    from kiban.lake import Lake

    con = Lake(home).reader(spatial=False)
    try:
        return set(con.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        con.close()


def _data_files(home, table: str) -> list[Path]:
    from kiban.lake import LAKE, Lake

    with Lake(home).catalog_reader() as con:
        return [Path(r[0]) for r in con.execute(f"SELECT data_file FROM ducklake_list_files('{LAKE}', '{table}')")
                .fetchall()]


def test_a_complete_full_file_is_adopted_not_rewritten_and_equals_the_merged_state(home, samples, tmp_path,
                                                                                  monkeypatch):
    from kiban.config import paths as resolve
    from registries.corporate import load as corporate

    r = ingest_file(home, corporate_source(), samples / FULL)
    assert r.status == "loaded"
    events, state = _data_files(home, "corporate_events"), _data_files(home, "corporations")
    # one file, the staged one, in both tables: the same bytes (a hard link), nothing rewritten
    assert len(events) == len(state) == 1 and events[0].stat().st_ino == state[0].stat().st_ino
    # the extra staging columns stay invisible
    cols = query.run(home, "SELECT * FROM corporations LIMIT 0", fmt="csv").strip().split(",")
    assert "_source_row" not in cols and "sequence_number" not in cols and "is_closed" in cols
    fast_events, fast_state = _table(home, "corporate_events"), _table(home, "corporations")

    # the same file through the general SQL merge and SQL casts gives exactly the same tables
    other = resolve(tmp_path / "general").ensure()
    monkeypatch.setattr(corporate, "_file_is_new_state", lambda con: False)
    monkeypatch.setattr(corporate, "has_noncanonical_text", lambda parquet: True)
    assert ingest_file(other, corporate_source(), samples / FULL).status == "loaded"
    strip = lambda rows: {tuple(v for i, v in enumerate(r) if i != lid) for r in rows}  # noqa: E731
    ev_cols = query.run(home, "SELECT * FROM corporate_events LIMIT 0", fmt="csv").strip().split(",")
    lid = ev_cols.index("load_id")
    assert strip(_table(other, "corporate_events")) == strip(fast_events)
    lid = cols.index("load_id")
    assert strip(_table(other, "corporations")) == strip(fast_state)
    assert len(fast_state) > 250


def test_diffs_update_the_state_in_place_exactly_like_a_rewrite(home, samples, tmp_path, monkeypatch):
    from kiban.config import paths as resolve
    from kiban.lake import LAKE, Lake
    from registries.corporate import load as corporate

    ingest_file(home, corporate_source(), samples / FULL)
    state_file, events = _data_files(home, "corporations")[0], _data_files(home, "corporate_events")
    for diff in DIFFS:
        assert ingest_file(home, corporate_source(), samples / diff).status == "loaded"
    with Lake(home).catalog_reader() as con:
        files = con.execute(f"SELECT data_file, delete_file FROM ducklake_list_files('{LAKE}', 'corporations')"
                            ).fetchall()
    # small updates: the shared full-file bytes stay, superseded rows are masked by a delete file, new rows appended
    assert (str(state_file), ) in [(f[0],) for f in files] and any(f[1] for f in files) and len(files) == 4
    assert events[0] in _data_files(home, "corporate_events") and events[0].exists()

    # the same loads with every update rewriting the table give the same state, row for row
    other = resolve(tmp_path / "rewrite").ensure()
    monkeypatch.setattr(corporate, "INCREMENTAL_SHARE", -1.0)
    for f in [FULL, *DIFFS]:
        assert ingest_file(other, corporate_source(), samples / f).status == "loaded"
    with Lake(other).catalog_reader() as con:
        assert all(f[1] is None for f in con.execute(
            f"SELECT data_file, delete_file FROM ducklake_list_files('{LAKE}', 'corporations')").fetchall())
    cols = query.run(home, "SELECT * FROM corporations LIMIT 0", fmt="csv").strip().split(",")
    lid = cols.index("load_id")
    strip = lambda rows: sorted(tuple(v for i, v in enumerate(r) if i != lid) for r in rows)  # noqa: E731
    incremental, rewritten = strip(_table(home, "corporations")), strip(_table(other, "corporations"))
    assert incremental == rewritten and len(incremental) > 250
    with Lake(home).catalog_reader() as con:  # the views apply the delete file as DuckLake does
        assert strip(con.execute("SELECT * FROM corporations").fetchall()) == incremental


def test_non_canonical_but_valid_text_is_stored_through_sql_casts(home, samples, tmp_path):
    inner, lines = _csv_lines(samples / DIFFS[0])
    assert lines[0].startswith("1,")
    lines[0] = "0001" + lines[0][1:]  # 一連番号 with leading zeros: valid, not the canonical text
    result = ingest_file(home, corporate_source(), _zip(tmp_path / "diff_20261110.zip", inner, lines))
    assert result.status == "loaded", result.summary()
    out = json.loads(query.run(home, "SELECT min(sequence_number) AS lo, count(*) AS n, "
                                     "count(*) FILTER (WHERE sequence_number = 1) AS ones FROM corporate_events",
                               fmt="json"))
    assert out == [{"lo": 1, "n": len(lines), "ones": 1}]


def test_sequence_numbers_are_compared_as_numbers(loaded, samples, tmp_path):
    inner, lines = _csv_lines(samples / DIFFS[0])
    lines[0] = "0" + lines[1].split(",")[0] + lines[0][lines[0].index(","):]  # "02" next to "2"
    result = ingest_file(loaded, corporate_source(), _zip(tmp_path / "diff_20261112.zip", inner, lines))
    assert result.status == "quarantined"
    assert {e["rule"] for e in result.errors} == {"sequence_number_unique"}


def test_corrupt_member_data_inside_an_intact_zip(loaded, samples, tmp_path):
    before = _published(loaded)
    data = bytearray((samples / DIFFS[0]).read_bytes())
    with zipfile.ZipFile(samples / DIFFS[0]) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 40, start + 60):  # damage the deflate stream; the zip directory stays readable
        data[i] ^= 0x5A
    bad = tmp_path / "diff_20261111.zip"
    bad.write_bytes(bytes(data))
    _assert_quarantined(loaded, ingest_file(loaded, corporate_source(), bad), rule="truncated_zip", file=bad.name)
    assert _published(loaded) == before


@pytest.mark.parametrize(("column", "index", "value"), [
    ("close_date", 18, "2024-13-45"), ("close_date", 18, "2024-1-5"), ("update_date", 4, "令和6年4月1日"),
    ("sequence_number", 0, "1.5"),
])
def test_a_typed_field_that_is_no_value_is_reported_as_received(loaded, samples, tmp_path, column, index, value):
    before = _published(loaded)
    inner, lines = _csv_lines(samples / DIFFS[0])
    fields = lines[2].split(",")
    fields[index] = value
    lines[2] = ",".join(fields)
    result = ingest_file(loaded, corporate_source(), _zip(tmp_path / "diff_20261113.zip", inner, lines))
    assert result.status == "quarantined"
    errors = [e for e in result.errors if e["rule"] == f"{column}__castable"]
    assert errors and errors[0]["row"] == 3 and errors[0]["value"] == value and errors[0]["column"] == column
    assert _published(loaded) == before


def test_a_failure_after_adoption_rolls_back_removes_the_placed_file_and_quarantines_the_input(loaded, samples, monkeypatch):
    from registries.corporate import load as corporate

    before = _published(loaded)
    events_before = set(_data_files(loaded, "corporate_events"))
    data_dir = loaded.lake_data / "main"
    files_before = {p for p in data_dir.rglob("*.parquet") if p.parent.name != "loads"}

    def boom(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(corporate, "_file_is_new_state", boom)
    result = ingest_file(loaded, corporate_source(), samples / "00_zenkoku_all_20261130.zip")
    assert result.status == "quarantined"  # the failure is this input's alone: quarantined with the reason
    assert result.errors[0]["rule"] == "storing_failed" and "disk full" in result.errors[0]["message"]
    assert result.quarantine_report is not None and result.quarantine_report.exists()
    assert _published(loaded) == before
    assert set(_data_files(loaded, "corporate_events")) == events_before
    # the adopted file did not stay behind (the ledger row of the quarantined input is the one new file)
    assert {p for p in data_dir.rglob("*.parquet") if p.parent.name != "loads"} == files_before


def test_lake_maintenance_removing_the_old_state_keeps_the_shared_events_file(home, samples, monkeypatch):
    from kiban.lake import LAKE, Lake
    from registries.corporate import load as corporate

    monkeypatch.setattr(corporate, "INCREMENTAL_SHARE", -1.0)  # the diff rewrites the state
    ingest_file(home, corporate_source(), samples / FULL)
    events_file = _data_files(home, "corporate_events")[0]
    old_state_link = _data_files(home, "corporations")[0]
    ingest_file(home, corporate_source(), samples / DIFFS[0])  # corporations rewritten, the link superseded
    events = _count(home, "corporate_events")
    lake = Lake(home)
    with lake.writer() as writer:  # DuckLake's own clean-up of files no snapshot needs any more
        writer.con.execute("COMMIT")
        writer.con.execute(f"CALL ducklake_expire_snapshots('{LAKE}', older_than => now() + INTERVAL 1 DAY)")
        writer.con.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', cleanup_all => true)")
        writer.con.execute("BEGIN TRANSACTION")
    assert not old_state_link.exists()  # the state's name for the shared bytes is gone...
    assert events_file.exists() and events_file in _data_files(home, "corporate_events")  # ...the events' is not
    assert _count(home, "corporate_events") == events
    with lake.catalog_reader() as con:
        assert con.execute("SELECT count(*) FROM corporate_events").fetchone()[0] == events
