"""総務省 全国地方公共団体コード into the lake: ``municipalities`` and ``municipality_codes``, replaced per load.

The master is small and carries its own history (``history.csv`` validity dates), so each load replaces both
tables whole, in one lake transaction. ``municipality_codes`` maps every code form other sources use
(6-digit 団体コード, 5-digit code = NTA 都道府県コード || 市区町村コード, 2-digit 都道府県コード) to the
6-digit ``lg_code``, with the validity of that 団体: every other dataset joins through it.

Input: the ``.xls`` as published, or a zip holding exactly one ``.xls``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa

from kiban.archive import RawObject
from kiban.duck import quote_literal
from kiban.lake import LakeWriter, contract_select
from kiban.load import Item, Source, Staged, StagedDataset, per_item
from quality.rules import Rule
from registries.errors import SourceError
from registries.municipalities.codes import lg_code_valid_sql
from registries.municipalities.parse import as_records, load_master
from registries.municipalities.resolve import municipality_codes
from registries.municipalities.rules import RULES
from registries.municipalities.stage import to_arrow, write_parquet_atomic
from registries.zipguard import check_zip
from schemas.municipalities import MUNICIPALITIES, MUNICIPALITY_CODES

SOURCE = "municipalities"

CODE_RULES: tuple[Rule, ...] = (
    Rule(name="lg_code_check_digit", description="団体コードの検査数字",
         failing_rows=f"SELECT * FROM staged WHERE NOT {lg_code_valid_sql('lg_code')}", column="lg_code"),
    Rule(name="code_matches_form", description="code は lg_code の先頭（6桁・5桁・2桁）と一致",
         failing_rows="SELECT * FROM staged WHERE code IS DISTINCT FROM substr(lg_code, 1, length(code)) "
                      "OR length(code) <> CASE form WHEN 'lg_code' THEN 6 WHEN 'code5' THEN 5 ELSE 2 END",
         column="code"),
)


def _xls_path(raw: RawObject, workdir: Path) -> Path:
    """The ``.xls`` to parse, under its original name (the ``source`` column cites it)."""
    if zipfile.is_zipfile(raw.path):
        with zipfile.ZipFile(raw.path) as zf:
            members = [i.filename for i in check_zip(zf, raw.original_name)
                       if i.filename.lower().endswith(".xls") and not i.is_dir()]
            if len(members) != 1:
                raise SourceError(raw.original_name, f"expected one .xls in the zip, found {members}",
                                  rule="zip_layout")
            target = workdir / Path(members[0]).name
            target.write_bytes(zf.read(members[0]))
            return target
    target = workdir / raw.original_name
    target.symlink_to(raw.path)
    return target


def stage(raw: RawObject, workdir: Path, load_id: str = "") -> Staged:
    master = load_master(_xls_path(raw, workdir))
    table = to_arrow(as_records(master))
    out = write_parquet_atomic(table, workdir / "municipalities.parquet")
    codes = municipality_codes(master)
    codes = codes.append_column("_source_row", pa.array(range(1, codes.num_rows + 1), pa.int64()))
    codes_out = write_parquet_atomic(codes, workdir / "municipality_codes.parquet")
    current = [m for m in master if m.valid_to is None]
    info = {
        "rows": table.num_rows, "current": len(current),
        "types": {t: sum(m.type == t for m in current) for t in sorted({m.type or "" for m in current})},
        "northern_territories": sum(m.is_northern_territories for m in master),
    }
    return Staged([
        StagedDataset(MUNICIPALITIES, out, RULES, table.num_rows),
        StagedDataset(MUNICIPALITY_CODES, codes_out, CODE_RULES, codes.num_rows),
    ], info)


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    """Replace both tables with the staged master (a master with history: the latest file is the truth)."""
    rows = {}
    for staged in ctx.staged.datasets:
        contract = staged.contract
        select = contract_select(contract, contract.column_names)
        order = ", ".join(contract.sort_by)
        rows[contract.name] = writer.replace(
            contract, f"SELECT {select} FROM read_parquet({quote_literal(str(staged.parquet))}) ORDER BY {order}"
        )
    return rows


def municipalities_source() -> Source:
    """The 総務省 master as a load source."""
    return Source(name=SOURCE, stage=lambda arrival, workdir, load_id: stage(arrival.raw, workdir, load_id),
                  store=per_item(store))
