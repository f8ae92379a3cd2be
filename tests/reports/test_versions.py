from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from registries.reports.versions import history_sql, latest_sql
from schemas.reports import REPORT_VERSIONS

T0 = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)


def version(rid, seq, received_min, *, lg="432016", as_of=T0, control="正規", update="更新", status="accepted",
            dead=0, subject="2026-typhoon-21"):
    row = {c.name: None for c in REPORT_VERSIONS.columns}
    row.update(report_id=rid, report_type="disaster_damage", schema_version="1.0.0", lg_code=lg,
               reporter_lg_code=lg, subject_key=subject, as_of=as_of, received_at=T0 + timedelta(minutes=received_min),
               sequence_no=seq, phase="速報", control=control, update_type=update, channel="file",
               field_status="{}", sha256="0" * 64, source_file="f.csv", payload=f'{{"dead": {dead}}}',
               validation_status=status)
    return row


def run(rows, as_known_at=None):
    con = duckdb.connect()
    con.register("report_versions", pa.Table.from_pylist(rows, schema=REPORT_VERSIONS.arrow_schema()))
    return con.sql(latest_sql(as_known_at)).fetchall(), con


def ids(result):
    return [r[0] for r in result]


def test_later_sequence_replaces_even_when_it_arrives_first():
    rows = [version("a", 1, 0, update="新規"), version("c", 3, 10), version("b", 2, 60 * 24)]  # b is late
    got, _ = run(rows)
    assert ids(got) == ["c"]
    # as known before c arrived: a; after c but before late b: c; after b: still c
    assert ids(run(rows, (T0 + timedelta(minutes=5)).isoformat())[0]) == ["a"]
    assert ids(run(rows, (T0 + timedelta(minutes=11)).isoformat())[0]) == ["c"]
    assert ids(run(rows, "2026-09-13T00:00:00+00:00")[0]) == []


def test_same_sequence_later_arrival_wins():
    got, _ = run([version("x", 2, 30), version("y", 2, 10)])
    assert ids(got) == ["x"]


def test_later_as_of_is_a_new_observation():
    got, _ = run([version("a", 1, 0), version("b", 2, 5, as_of=T0 + timedelta(hours=3))])
    assert sorted(ids(got)) == ["a", "b"]


def test_withdrawal_and_deletion_tombstone_the_key():
    assert ids(run([version("a", 1, 0), version("w", 2, 5, update="取消")])[0]) == []
    assert ids(run([version("a", 1, 0), version("d", 2, 5, control="削除")])[0]) == []
    # before the withdrawal arrived, the report was live
    assert ids(run([version("a", 1, 0), version("w", 2, 5, update="取消")], (T0 + timedelta(minutes=1)).isoformat())[0]) == ["a"]
    # a later version after a tombstone revives the key
    assert ids(run([version("a", 1, 0), version("w", 2, 5, update="取消"), version("n", 3, 9)])[0]) == ["n"]


def test_training_and_rejected_versions_never_count():
    rows = [version("a", 1, 0), version("t", 2, 5, control="訓練"), version("r", 3, 6, status="rejected")]
    assert ids(run(rows)[0]) == ["a"]
    assert ids(run([version("t", 1, 0, control="訓練")])[0]) == []


def test_identical_resend_collapses():
    got, _ = run([version("a", 1, 0), version("a", 1, 0)])
    assert ids(got) == ["a"]


def test_keys_are_separate_per_municipality():
    got, _ = run([version("a", 1, 0), version("b", 1, 0, lg="011002")])
    assert sorted(ids(got)) == ["a", "b"]


def test_history_ranks_versions():
    _, con = run([version("a", 1, 0), version("b", 2, 5), version("t", 3, 6, control="訓練")])
    hist = con.sql(f"SELECT report_id, version_rank, version_count FROM ({history_sql()}) ORDER BY report_id").fetchall()
    assert hist == [("a", 2, 2), ("b", 1, 2)]


@pytest.mark.parametrize("bad", ["yesterday", "2026-09-14 10:00", "2026-09-14'; DROP TABLE x; --"])
def test_as_known_at_must_be_an_aware_iso_timestamp(bad):
    with pytest.raises(ValueError):
        latest_sql(bad)
