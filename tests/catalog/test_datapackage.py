"""frictionless (the Data Package reference implementation) accepts a published release: descriptor and rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import frictionless
import pyarrow as pa
import pyarrow.parquet as pq


def test_frictionless_validates_the_descriptor_and_every_row_of_a_release(release_root):
    report = frictionless.validate(str(release_root / "datapackage.json"))
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])[:10]
    manifest = json.loads((release_root / "manifest.json").read_text())
    rows = {t.name: t.stats["rows"] for t in report.tasks}
    files = {f["path"]: f["rows"] for f in manifest["files"] if f["path"].endswith(".parquet")}
    package = json.loads((release_root / "datapackage.json").read_text())
    assert sorted(r["path"] for r in package["resources"]) == sorted(files)
    assert {r["name"]: files[r["path"]] for r in package["resources"]} == rows  # every row was read and checked


def test_the_frictionless_command_line_reports_the_package_valid(release_root):
    cli = Path(sys.executable).with_name("frictionless")
    out = subprocess.run([str(cli), "validate", "datapackage.json"], cwd=release_root, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "VALID" in out.stdout.upper() and "INVALID" not in out.stdout.upper()


def test_a_row_that_breaks_its_schema_makes_frictionless_fail_at_that_row(release_root, tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(release_root, copy, ignore=shutil.ignore_patterns("*.duckdb", "quality"))
    target = copy / "corporate_reconciliation" / "data_0.parquet"
    table = pq.read_table(target)
    status = table.column("status").to_pylist()
    status[2] = "vanished"  # not a 突合結果 code
    column = table.schema.get_field_index("status")
    table = table.set_column(column, table.schema.field(column), pa.array(status, table.schema.field(column).type))
    pq.write_table(table, target)
    report = frictionless.validate(str(copy / "datapackage.json"))
    errors = report.flatten(["taskNumber", "rowNumber", "fieldName", "type"])
    assert not report.valid
    assert [e[1:] for e in errors] == [[4, "status", "constraint-error"]]  # row 1 is the header


def test_json_and_geometry_columns_are_declared_with_table_schema_types(release_root):
    package = json.loads((release_root / "datapackage.json").read_text())
    fields = {(r["kiban"]["dataset"], f["name"]): f for r in package["resources"] for f in r["schema"]["fields"]}
    differing = fields[("corporate_reconciliation", "differing_columns")]
    assert differing["type"] == "string" and "format" not in differing and "JSON" in differing["description"]
    geometry = fields[("parcels", "geometry")]
    assert geometry["type"] == "any" and "format" not in geometry
    assert fields[("corporate_reconciliation", "reconciled_at")]["type"] == "datetime"
