"""On a shared lake each load appends one small file to the ledger (``loads``) and every load reads the ledger:
once it holds ``COMPACT_AT_FILES`` files they are merged after a commit, so reading it does not cost one S3
object per load ever made. The rows stay exactly the same."""

from __future__ import annotations

import pytest

from kiban.lake import LAKE
from kiban.load import ledger
from kiban.load.files import ingest_file
from registries.moj_map import synth
from registries.moj_map.load import moj_map_source

pytestmark = pytest.mark.cluster


def test_the_ledgers_small_files_are_merged_and_its_rows_kept(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(ledger, "COMPACT_AT_FILES", 4)
    lake = cluster.lake()
    paths = lake.paths
    paths.ensure()
    results = []
    for code in ("13101", "13102", "13103", "13104", "13105", "13106"):
        xml = synth.grid_xml_bytes(2, 2, header=synth.SynthHeader(code, f"市{code}", "図"))
        zip_path = tmp_path / f"{code}-0001.zip"
        zip_path.write_bytes(synth.nested_zip(f"{code}-0001", [(f"{code}-0001-1", xml)]))
        results.append(ingest_file(paths, moj_map_source(), zip_path))
    assert [r.status for r in results] == ["loaded"] * 6
    con = lake.reader(spatial=False)
    try:
        ledger_rows = con.execute("SELECT load_id FROM loads ORDER BY load_id").fetchall()
        n_files = con.execute("SELECT count(*) FROM ducklake_list_files(?, 'loads')", [LAKE]).fetchone()[0]
    finally:
        con.close()
    assert sorted(r.load_id for r in results) == [r[0] for r in ledger_rows]  # each load once, none lost
    assert n_files < 4  # merged at the 4th file: 1 merged file plus those appended since
