"""Published layout of the ABR files: names, header columns per file type, keys, datasets.

File names follow ``mt_{type}[_pos]_{all|prefNN|cityNNNNNN}.csv.zip``; each zip holds one UTF-8 CSV named like
the zip without ``.zip``, with a header row of snake_case column names (see base-registries notes §3.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(
    r"^mt_(?P<type>pref|city|town|rsdtdsp_blk|rsdtdsp_rsdt|parcel)(?P<pos>_pos)?"
    r"_(?P<scope>all|pref(?P<pref>\d{2})|city(?P<city>\d{6}))\.csv(?:\.zip)?$"
)

POS_COMMON = ("rep_lon", "rep_lat", "rep_srid", "rep_scale")
_PLYGN = ("plygn_fname", "plygn_kcode", "plygn_fmt", "plygn_srid", "plygn_scale")

HEADERS: dict[str, tuple[str, ...]] = {
    "pref": ("lg_code", "pref", "pref_kana", "pref_roma", "efct_date", "ablt_date", "remarks"),
    "city": (
        "lg_code", "pref", "pref_kana", "pref_roma", "county", "county_kana", "county_roma", "city", "city_kana",
        "city_roma", "ward", "ward_kana", "ward_roma", "efct_date", "ablt_date", "remarks",
    ),
    "town": (
        "lg_code", "machiaza_id", "machiaza_type", "pref", "pref_kana", "pref_roma", "county", "county_kana",
        "county_roma", "city", "city_kana", "city_roma", "ward", "ward_kana", "ward_roma", "oaza_cho",
        "oaza_cho_kana", "oaza_cho_roma", "chome", "chome_kana", "chome_number", "koaza", "koaza_kana",
        "koaza_roma", "machiaza_dist", "rsdt_addr_flg", "rsdt_addr_mtd_code", "oaza_cho_aka_flg", "koaza_aka_code",
        "oaza_cho_gsi_uncmn", "koaza_gsi_uncmn", "status_flg", "wake_num_flg", "efct_date", "ablt_date",
        "src_code", "post_code", "remarks",
    ),
    "rsdtdsp_blk": (
        "lg_code", "machiaza_id", "blk_id", "city", "ward", "oaza_cho", "chome", "koaza", "machiaza_dist",
        "blk_num", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg", "efct_date", "ablt_date", "src_code",
        "remarks",
    ),
    "rsdtdsp_rsdt": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "city", "ward", "oaza_cho", "chome", "koaza",
        "blk_num", "rsdt_num", "rsdt_num2", "basic_rsdt_div", "rsdt_addr_flg", "rsdt_addr_mtd_code", "status_flg",
        "efct_date", "ablt_date", "src_code", "remarks",
    ),
    "parcel": (
        "lg_code", "machiaza_id", "prc_id", "city", "ward", "oaza_cho", "chome", "koaza", "prc_num1", "prc_num2",
        "prc_num3", "rsdt_addr_flg", "prc_rec_flg", "prc_area_code", "efct_date", "ablt_date", "src_code",
        "remarks", "real_prop_num",
    ),
    "pref_pos": ("lg_code", *POS_COMMON, *_PLYGN),
    "city_pos": ("lg_code", *POS_COMMON, *_PLYGN),
    "town_pos": (
        "lg_code", "machiaza_id", "rsdt_addr_flg", *POS_COMMON, "rep_src_code", *_PLYGN, "plygn_src_code",
        "pos_oaza_cho_chome_code", "pos_data_mnt_year", "cns_bnd_s_area_kcode", "cns_bnd_year",
    ),
    "rsdtdsp_blk_pos": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_addr_flg", "rsdt_addr_mtd_code", *POS_COMMON, "rep_src_code",
        *_PLYGN, "plygn_src_code", "pos_pref", "pos_city", "pos_oaza_cho_chome", "pos_koaza_aka",
        "pos_blk_prc_num", "pos_data_mnt_year", "rsdt_addr_code_rdbl", "rsdt_addr_data_mnt_date",
    ),
    "rsdtdsp_rsdt_pos": (
        "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "rsdt_addr_flg", "rsdt_addr_mtd_code",
        *POS_COMMON, "rep_src_code", "rsdt_addr_code_rdbl", "rsdt_addr_data_mnt_date", "basic_rsdt_div",
    ),
    "parcel_pos": (
        "lg_code", "machiaza_id", "prc_id", *POS_COMMON, "rep_src_code", *_PLYGN, "plygn_src_code",
        "moj_map_city_code", "moj_map_oaza_code", "moj_map_chome_code", "moj_map_koaza_code",
        "moj_map_spare_code", "moj_map_brushid",
    ),
}

OPTIONAL: dict[str, frozenset[str]] = {
    # jageocoder-converter lists machiaza_dist after koaza in mt_parcel ("仕様書未記載"): accept both variants.
    "parcel": frozenset({"machiaza_dist"}),
}

KEYS: dict[str, tuple[str, ...]] = {
    "pref": ("lg_code",),
    "city": ("lg_code",),
    "town": ("lg_code", "machiaza_id"),
    "rsdtdsp_blk": ("lg_code", "machiaza_id", "blk_id"),
    "rsdtdsp_rsdt": ("lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id"),
    "parcel": ("lg_code", "machiaza_id", "prc_id"),
}

DATASETS: dict[str, str] = {
    "pref": "abr_prefs",
    "city": "abr_cities",
    "town": "abr_towns",
    "rsdtdsp_blk": "abr_blocks",
    "rsdtdsp_rsdt": "abr_residences",
    "parcel": "abr_parcels",
}

POS_EXTRA: dict[str, tuple[str, ...]] = {
    # columns of the _pos file carried into the dataset besides the representative point
    "pref": (),
    "city": (),
    "town": ("rep_src_code", "pos_oaza_cho_chome_code", "cns_bnd_s_area_kcode"),
    "rsdtdsp_blk": ("rep_src_code",),
    "rsdtdsp_rsdt": ("rep_src_code",),
    "parcel": (
        "rep_src_code", "moj_map_city_code", "moj_map_oaza_code", "moj_map_chome_code", "moj_map_koaza_code",
        "moj_map_spare_code", "moj_map_brushid",
    ),
}


@dataclass(frozen=True)
class FileName:
    """A parsed ABR file name: ``mt_parcel_pos_city131016.csv.zip`` -> type parcel, pos, scope city/131016."""

    name: str
    type: str
    pos: bool
    scope: str  # all | pref | city
    code: str | None  # 2-digit 都道府県コード or 6-digit 団体コード

    @property
    def layout(self) -> str:
        return f"{self.type}_pos" if self.pos else self.type

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".zip")

    def covers(self, lg_code: str) -> bool:
        """Whether a row of ``lg_code`` can appear in this file's scope."""
        if self.scope == "all":
            return True
        if self.scope == "pref":
            return lg_code[:2] == self.code
        return lg_code == self.code

    def overlaps(self, other: FileName) -> bool:
        """Whether two scopes can hold rows of the same 団体 (used to pair a base file with its _pos files)."""
        if "all" in (self.scope, other.scope):
            return True
        return (self.code or "")[:2] == (other.code or "")[:2] and (
            self.scope == "pref" or other.scope == "pref" or self.code == other.code
        )


def parse_file_name(name: str) -> FileName | None:
    """Parse a published ABR file name; None when it does not follow the pattern."""
    m = _NAME.match(name)
    if m is None:
        return None
    scope = m.group("scope")
    kind = "all" if scope == "all" else ("pref" if m.group("pref") else "city")
    return FileName(name=name, type=m.group("type"), pos=bool(m.group("pos")), scope=kind,
                    code=m.group("pref") or m.group("city"))
