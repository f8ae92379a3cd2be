"""法務省 地図XML parcels, the parcel registry (ABR join) and land prices through the whole load path."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from kiban import query
from kiban.config import Paths
from kiban.config import paths as make_paths
from kiban.loads import LoadResult, ingest_file
from kiban.sources.moj_map import moj_map_source

REPO = Path(__file__).resolve().parents[2]
MOJ = REPO / "samples" / "moj_map" / "13101-0001.zip"
MOJ_BROKEN = REPO / "samples" / "moj_map" / "broken" / "13101-0002.zip"
ABR_PARCEL = REPO / "samples" / "abr" / "mt_parcel_city131016.csv.zip"
LAND_PRICE = REPO / "samples" / "land_price" / "xpt002_2024_13_7276_3225.json"


def rows(paths: Paths, sql: str) -> list[dict]:
    return json.loads(query.run(paths, sql, fmt="json"))


def ingest_moj(paths: Paths, path: Path = MOJ) -> LoadResult:
    return ingest_file(paths, moj_map_source(), path)


def moj_xml(inner: str = "13101-0001-1") -> str:
    """The text of one XML of the sample (``13101-0001.zip!{inner}.zip!{inner}.xml``)."""
    with zipfile.ZipFile(MOJ) as outer:
        with zipfile.ZipFile(io.BytesIO(outer.read(f"{inner}.zip"))) as zf:
            return zf.read(f"{inner}.xml").decode("utf-8")


def moj_variant(target: Path, replace: dict[str, str], inner: str = "13101-0001-1") -> Path:
    """The sample zip with text replacements in one XML, re-zipped in the published layout."""
    buf = io.BytesIO()
    with zipfile.ZipFile(MOJ) as outer, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in outer.namelist():
            data = outer.read(name)
            if name == f"{inner}.zip":
                xml = moj_xml(inner)
                for old, new in replace.items():
                    assert old in xml, old
                    xml = xml.replace(old, new)
                inner_buf = io.BytesIO()
                with zipfile.ZipFile(inner_buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr(f"{inner}.xml", xml.encode("utf-8"))
                data = inner_buf.getvalue()
            out.writestr(name, data)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buf.getvalue())
    return target


def load_abr_parcels(paths: Paths, workdir: Path) -> int:
    """ABR 地番 sample (master + 位置参照拡張) into ``abr_parcels``: through ``kiban.sources.abr`` when present,
    else staged with ``registries.abr.stage`` and appended through a lake writer."""
    try:
        from kiban.sources.abr import abr_source, build_sets, write_set
    except ImportError:
        abr_source = None
    if abr_source is not None:
        (abr_set,) = build_sets([ABR_PARCEL])
        result = ingest_file(paths, abr_source(), write_set(abr_set, workdir))
        assert result.status == "loaded", result.summary()
        return result.rows["abr_parcels"]
    from kiban.duck import quote_literal
    from kiban.lake import Lake, contract_select
    from registries.abr.stage import stage_abr_file
    from schemas.abr import ABR_PARCELS

    out = workdir / "abr_parcels.parquet"
    stage_abr_file(ABR_PARCEL, out)
    with Lake(paths).writer() as writer:
        select = contract_select(ABR_PARCELS, ABR_PARCELS.column_names)
        return writer.append(ABR_PARCELS, f"SELECT {select} FROM read_parquet({quote_literal(str(out))})")


@pytest.fixture
def fresh(tmp_path) -> Paths:
    return make_paths(tmp_path / "home").ensure()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Paths, LoadResult]:
    """A KIBAN_HOME with the MOJ sample loaded (read-only use)."""
    paths = make_paths(tmp_path_factory.mktemp("moj") / "home").ensure()
    result = ingest_moj(paths)
    assert result.status == "loaded", result.summary()
    return paths, result
