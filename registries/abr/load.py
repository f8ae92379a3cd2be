"""デジタル庁 アドレス・ベース・レジストリ (ABR) into the lake: one table per ABR master, replaced by scope.

**The load unit is an ABR set**: one master file (``mt_town_all.csv.zip``) together with the 位置参照拡張
``_pos`` files whose scope overlaps it (``mt_town_pos_pref13.csv.zip``…), because the parser joins the
representative point onto the master. A set travels as a deterministic zip of the files exactly as published
(``mt_town_all.set.zip``: members stored, sorted, fixed timestamps), so the same files always give the same
sha256: a set whose files did not change is recognised as a duplicate before parsing. :func:`build_sets`
groups loose files into sets (:mod:`registries.abr.sets`); any zip of ABR files (several masters) is accepted as
well, and so is a lone master (no representative points). Finding and archiving the files (the DCAT feed, sample
folders, paths and URLs given to ``kiban ingest abr``) is :mod:`registries.abr.fetch`.

**Scope replacement**: ABR files are slices (``all`` / ``prefNN`` / ``cityNNNNNN``). Loading a master replaces
the rows of its scope in its table (all rows, the prefecture's, or the 団体's) and keeps the others: inside the
lake transaction a DELETE of the scope's rows (DuckLake delete files, which every reader honours; a file whose
rows all go leaves the table) and an INSERT of the file's rows. A scope loaded for the first time only appends.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import httpx

from kiban.archive import RawObject
from kiban.config import Paths
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, LakeWriter, contract_select
from kiban.load import Item, LoadResult, Source, Staged, StagedDataset, per_item
from kiban.load.files import load_raw
from kiban.load.guards import check_scope_replacement
from registries.abr.layout import FileName, parse_file_name
from registries.abr.rules import RULES
from registries.abr.sets import SET_SUFFIX, AbrSet, abr_name, build_sets, load_order, write_set
from registries.abr.stage import stage_abr_file
from registries.errors import SourceError
from registries.zipguard import check_zip
from schemas.abr import ABR_CONTRACTS

__all__ = ["SET_SUFFIX", "AbrSet", "abr_source", "build_sets", "ingest_targets", "load_order", "stage", "store",
           "write_set"]

SOURCE = "abr"


# -- stage -----------------------------------------------------------------------------------------------------
def _members(raw: RawObject, folder: Path) -> list[Path]:
    """The ABR files of the input, under their published names, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if abr_name(Path(raw.original_name)) is not None:  # a single published file
        link = folder / raw.original_name
        link.symlink_to(raw.path)
        return [link]
    data = raw.path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [i.filename for i in check_zip(zf, raw.original_name)
                     if not i.is_dir() and abr_name(Path(i.filename)) is not None]
            out = []
            for n in names:
                target = folder / Path(n).name
                target.write_bytes(zf.read(n))
                out.append(target)
    except zipfile.BadZipFile as exc:
        raise SourceError(raw.original_name, f"neither an ABR file name nor a zip of ABR files: {exc}",
                          rule="not_a_zip") from exc
    if not out:
        raise SourceError(raw.original_name, "the zip holds no ABR file (mt_*.csv.zip)", rule="zip_layout")
    return out


def stage(raw: RawObject, workdir: Path, load_id: str = "") -> Staged:
    members = _members(raw, workdir / "in")
    sets = build_sets(members)
    if not sets:
        names = [m.name for m in members]
        raise SourceError(raw.original_name, f"only 位置参照拡張 (_pos) files {names}: load them with their master",
                          rule="pos_without_master")
    datasets, files = [], []
    swapped, srids = 0, Counter()
    for s in sets:
        out = workdir / (s.master.name + ".parquet")
        r = stage_abr_file(s.master, out, pos_paths=s.pos)
        contract = ABR_CONTRACTS[r.dataset]
        datasets.append(StagedDataset(contract, out, RULES[r.dataset], r.rows))
        files.append({"master": s.master.name, "dataset": r.dataset, "rows": r.rows, "pos_files": list(r.pos_files),
                      "swapped_fixed": r.swapped_fixed, "srid_counts": r.srid_counts,
                      "unknown_srid": r.unknown_srid})
        swapped += r.swapped_fixed
        srids.update(r.srid_counts)
    shutil.rmtree(workdir / "in", ignore_errors=True)
    return Staged(datasets, {"files": files, "swapped_fixed": swapped, "srid_counts": dict(srids)})


# -- store -----------------------------------------------------------------------------------------------------
def scope_predicate(name: FileName) -> tuple[str, list[object]]:
    """SQL over ``lg_code`` selecting the rows a master file of this scope replaces, with its bound parameters."""
    if name.scope == "all":
        return "true", []
    if name.scope == "pref":
        return "substr(lg_code, 1, 2) = ?", [name.code or ""]
    return "lg_code = ?", [name.code or ""]


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    """Per staged master: delete the table's rows in the file's scope (if any), insert the file's rows -- work in
    proportion to the file (a per-municipality set of a national load), never a rewrite of the whole table."""
    con = writer.con
    rows: dict[str, int] = {}
    for staged, file in zip(ctx.staged.datasets, ctx.staged.info["files"], strict=True):
        contract = staged.contract
        table = f"{LAKE}.{quote_ident(contract.name)}"
        writer.ensure_table(contract)
        scope, params = scope_predicate(parse_file_name(file["master"]))  # type: ignore[arg-type]
        if check_scope_replacement(writer, contract.name, scope, staged.rows, file["master"], params):
            con.execute(f"DELETE FROM {table} WHERE {scope}", params)
        select = contract_select(contract, contract.column_names)
        order = ", ".join(quote_ident(k) for k in contract.sort_by)
        writer.append(contract, f"SELECT {select} FROM read_parquet({quote_literal(str(staged.parquet))}) "
                                f"ORDER BY {order}")
        rows[contract.name] = rows.get(contract.name, 0) + staged.rows
    return rows


def ingest_targets(paths: Paths, targets: Iterable[str], *, client: httpx.Client | None = None
                   ) -> list[LoadResult]:
    """``kiban ingest abr``: archive the targets as sets (:func:`registries.abr.fetch.archive_targets`: files,
    folders, zips of ABR files, file URLs or a DCAT feed URL) and load them in :func:`load_order`."""
    from registries.abr.fetch import archive_targets

    return [load_raw(paths, abr_source(), raw) for raw in archive_targets(paths, targets, client=client)]


def abr_source() -> Source:
    """ABR sets (or single ABR files, or zips of them) as a load source."""
    return Source(name=SOURCE, stage=lambda arrival, workdir, load_id: stage(arrival.raw, workdir, load_id),
                  store=per_item(store))
