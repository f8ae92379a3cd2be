"""デジタル庁 アドレス・ベース・レジストリ (ABR) into the lake: one table per ABR master, replaced by scope.

**The load unit is an ABR set**: one master file (``mt_town_all.csv.zip``) together with the 位置参照拡張
``_pos`` files whose scope overlaps it (``mt_town_pos_pref13.csv.zip``…), because the parser joins the
representative point onto the master. A set travels as a deterministic zip of the files exactly as published
(``mt_town_all.set.zip``: members stored, sorted, fixed timestamps), so the same files always give the same
sha256: a set whose files did not change is recognised as a duplicate before parsing. :func:`build_sets`
groups loose files into sets; any zip of ABR files (several masters) is accepted as well, and so is a lone
master (no representative points).

**Scope replacement**: ABR files are slices (``all`` / ``prefNN`` / ``cityNNNNNN``). Loading a master replaces
the rows of its scope in its table (all rows, the prefecture's, or the 団体's) and keeps the others, as one
whole-table rewrite inside the lake transaction (no DuckLake delete files, see ``kiban.lake``).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from kiban.duck import quote_ident, quote_literal
from kiban.lake import LAKE, LakeWriter, contract_select
from kiban.load import Item, LoadResult, Source, Staged, StagedDataset, per_item
from kiban.load.files import load_raw
from kiban.load.guards import check_scope_replacement
from registries.abr.catalog import Resource, parse_catalog, select
from registries.abr.fetch import fetch_resources
from registries.abr.layout import DATASETS, FileName, parse_file_name
from registries.abr.rules import RULES
from registries.abr.stage import sibling_pos_files, stage_abr_file
from registries.errors import SourceError
from registries.zipguard import check_zip
from schemas.abr import ABR_CONTRACTS

SOURCE = "abr"
SET_SUFFIX = ".set.zip"
_SCOPE_ORDER = {"all": 0, "pref": 1, "city": 2}  # wider scopes first: a narrower slice loaded later wins
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class AbrSet:
    """One master file and its overlapping ``_pos`` files (all in one folder)."""

    master: Path
    pos: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.master.name.removesuffix(".zip").removesuffix(".csv") + SET_SUFFIX


def _abr_name(path: Path) -> FileName | None:
    return parse_file_name(path.name)


def load_order(name: str) -> tuple:
    """Sort key for loading: by dataset, wider scope first (a set, a master file or any other name)."""
    parsed = parse_file_name(name.removesuffix(SET_SUFFIX) + ".csv.zip") or parse_file_name(name)
    if parsed is None:
        return ("~", 0, name)
    return (DATASETS[parsed.type], _SCOPE_ORDER[parsed.scope], name)


def build_sets(files: Iterable[Path]) -> list[AbrSet]:
    """Group ABR files into sets: each master with the ``_pos`` files next to it that overlap its scope.

    A ``_pos`` file given without its master pulls in the masters beside it that it overlaps. Files whose
    names are not ABR names are ignored.
    """
    masters: set[Path] = set()
    for f in files:
        name = _abr_name(f)
        if name is None:
            continue
        if not name.pos:
            masters.add(f.absolute())  # not resolve(): a link keeps its published name
            continue
        for other in f.parent.glob(f"mt_{name.type}_*.csv.zip"):
            o = _abr_name(other)
            if o is not None and not o.pos and o.overlaps(name):
                masters.add(other.absolute())
    out = [AbrSet(m, tuple(sibling_pos_files(m, _abr_name(m)))) for m in masters]  # type: ignore[arg-type]
    return sorted(out, key=lambda s: load_order(s.master.name))


def write_set(abr_set: AbrSet, dest_dir: Path) -> Path:
    """The set as a deterministic zip (stored members, sorted, fixed timestamps) in ``dest_dir``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / abr_set.name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for member in sorted((abr_set.master, *abr_set.pos), key=lambda p: p.name):
            info = zipfile.ZipInfo(member.name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.read_bytes())
    return target


# -- stage -----------------------------------------------------------------------------------------------------
def _members(raw: RawObject, folder: Path) -> list[Path]:
    """The ABR files of the input, under their published names, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if _abr_name(Path(raw.original_name)) is not None:  # a single published file
        link = folder / raw.original_name
        link.symlink_to(raw.path)
        return [link]
    data = raw.path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [i.filename for i in check_zip(zf, raw.original_name)
                     if not i.is_dir() and _abr_name(Path(i.filename)) is not None]
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
def scope_predicate(name: FileName) -> str:
    """SQL over ``lg_code`` selecting the rows a master file of this scope replaces."""
    if name.scope == "all":
        return "true"
    if name.scope == "pref":
        return f"substr(lg_code, 1, 2) = {quote_literal(name.code or '')}"
    return f"lg_code = {quote_literal(name.code or '')}"


def store(writer: LakeWriter, ctx: Item) -> dict[str, int]:
    """Per staged master: keep the table's rows outside the file's scope, add the file's rows (one rewrite)."""
    con = writer.con
    rows: dict[str, int] = {}
    for staged, file in zip(ctx.staged.datasets, ctx.staged.info["files"], strict=True):
        contract = staged.contract
        table = f"{LAKE}.{quote_ident(contract.name)}"
        writer.ensure_table(contract)
        scope = scope_predicate(parse_file_name(file["master"]))  # type: ignore[arg-type]
        check_scope_replacement(writer, contract.name, scope, staged.rows, file["master"])
        con.execute(f"CREATE OR REPLACE TEMP TABLE abr_keep AS SELECT * FROM {table} WHERE NOT ({scope})")
        select = contract_select(contract, contract.column_names)
        order = ", ".join(quote_ident(k) for k in contract.sort_by)
        writer.replace(contract, f"""
            SELECT * FROM (
                SELECT * FROM abr_keep
                UNION ALL
                SELECT {select} FROM read_parquet({quote_literal(str(staged.parquet))})
            ) ORDER BY {order}""")
        con.execute("DROP TABLE abr_keep")
        rows[contract.name] = rows.get(contract.name, 0) + staged.rows
    return rows


# -- fetch: catalog -> files -> archived sets ------------------------------------------------------------------
def choose_resources(resources: list[Resource], *, types: set[str] | None = None,
                     lg_codes: set[str] | None = None) -> list[Resource]:
    """One copy of each slice: the catalog lists the same rows as ``all``, ``prefNN`` and ``cityNNNNNN`` files.

    Without ``lg_codes``: per file type, the ``all`` file if listed, else every prefecture file, else every
    団体 file. With ``lg_codes``: per type and code, the narrowest listed file covering the code.
    """
    chosen: dict[str, Resource] = {}
    candidates = select(resources, types=types, lg_codes=lg_codes)
    groups: dict[str, list[Resource]] = {}
    for r in candidates:
        groups.setdefault(r.name.layout, []).append(r)  # type: ignore[union-attr]
    for group in groups.values():
        if lg_codes:
            for code in lg_codes:
                covering = [r for r in group if r.name.covers(code)]  # type: ignore[union-attr]
                if covering:
                    best = max(covering, key=lambda r: _SCOPE_ORDER[r.name.scope])  # type: ignore[union-attr]
                    chosen[best.url] = best
            continue
        widest = min(_SCOPE_ORDER[r.name.scope] for r in group)  # type: ignore[union-attr]
        chosen.update({r.url: r for r in group if _SCOPE_ORDER[r.name.scope] == widest})  # type: ignore[union-attr]
    return [r for r in candidates if r.url in chosen]


def catalog_files(paths: Paths, feed: str | Path, *, local_dir: Path | None = None,
                  client: httpx.Client | None = None, types: set[str] | None = None,
                  lg_codes: set[str] | None = None) -> dict[Path, str]:
    """The current local copy of the ABR files the DCAT feed lists (see :func:`choose_resources`) -> URL.

    ``local_dir`` (sample mode): the feed is a local JSON file and each ``accessURL`` maps to the file of the
    same name in ``local_dir``. Otherwise the feed is downloaded and the files are fetched into
    ``KIBAN_HOME/downloads/abr`` with ``registries.abr.fetch`` (state file ``state.json`` there): only files
    that changed are transferred; unchanged ones are returned from the local copy.
    """
    if local_dir is not None:
        resources = choose_resources(parse_catalog(Path(feed).read_bytes()), types=types, lg_codes=lg_codes)
        return {local_dir / r.file_name: r.url for r in resources if (local_dir / r.file_name).exists()}
    from registries import http

    folder = paths.home / "downloads" / "abr"
    folder.mkdir(parents=True, exist_ok=True)
    feed_dl = http.download(str(feed), paths.staging, client=client, filename="abr_dcat.json")
    try:
        resources = parse_catalog(Path(feed_dl.path).read_bytes())  # type: ignore[union-attr]
    finally:
        Path(feed_dl.path).unlink(missing_ok=True)  # type: ignore[union-attr]
    resources = choose_resources(resources, types=types, lg_codes=lg_codes)
    outcomes = fetch_resources(resources, folder / "files", folder / "state.json", client=client)
    return {o.path: o.url for o in outcomes if o.path is not None and o.path.exists()}


def archive_sets(paths: Paths, files: dict[Path, str]) -> list[RawObject]:
    """Group ``files`` (path -> where it came from) into sets and archive each set zip (unchanged: same sha256)."""
    archive = RawArchive(paths.raw)
    paths.staging.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=paths.staging, prefix="abr-sets-"))
    origins = {p.resolve(): origin for p, origin in files.items()}
    try:
        return [archive.put_file(write_set(s, tmp), source=origins.get(s.master, str(s.master)))
                for s in build_sets(files)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ingest_targets(paths: Paths, targets: Iterable[str], *, client: httpx.Client | None = None
                   ) -> list[LoadResult]:
    """``kiban ingest abr``: files, folders, zips of ABR files, file URLs or a DCAT feed URL (``*.json``).

    ABR-named files (and the ABR files of folders) are grouped into sets with :func:`build_sets`; any other
    file is loaded as it is (a zip of ABR files). Sets load in :func:`load_order`.
    """
    from registries import http

    files: dict[Path, str] = {}
    others: list[tuple[Path, str]] = []
    tmp = Path(tempfile.mkdtemp(dir=paths.ensure().staging, prefix="abr-in-"))
    try:
        for target in targets:
            if target.startswith(("http://", "https://")):
                if urlparse(target).path.endswith(".json"):
                    files.update(catalog_files(paths, target, client=client))
                    continue
                dl = http.download(target, tmp / str(len(files) + len(others)), client=client)
                found = {Path(dl.path): http.redact(target)}  # type: ignore[union-attr]
            else:
                path = Path(target)
                if not path.exists():
                    raise FileNotFoundError(target)
                candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
                found = {p: str(p.resolve()) for p in candidates}
            for p, origin in found.items():
                if _abr_name(p) is not None:
                    files[p] = origin
                elif p.suffix.lower() == ".zip" or not Path(target).is_dir():
                    others.append((p, origin))
        raws = archive_sets(paths, files)
        archive = RawArchive(paths.raw)
        raws += [archive.put_file(p, source=origin) for p, origin in others]
        return [load_raw(paths, abr_source(), raw) for raw in sorted(raws, key=lambda r: load_order(r.original_name))]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def abr_source() -> Source:
    """ABR sets (or single ABR files, or zips of them) as a load source."""
    return Source(name=SOURCE, stage=lambda arrival, workdir, load_id: stage(arrival.raw, workdir, load_id),
                  store=per_item(store))
