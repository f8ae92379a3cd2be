"""Write the bundled ABR sample (``samples/abr/``) deterministically: ``python -m registries.abr.sample [dir]``.

Files are named, zipped and laid out as published (one UTF-8 CSV per zip, snake_case header). Values are
synthetic but shaped like the real files, in 東京都千代田区 (131016) and 静岡県浜松市中央区 (221384):

- 霞が関１丁目 (machiaza 0001001): 地番 area with parcels 1-1, 1-2, 2 (不動産番号 and moj_map_* keys filled;
  the parcel 2 point is published with lat/lon swapped);
- 丸の内１丁目 (0002001): 住居表示 area (街区方式) with 2 blocks and 2 residences, point in EPSG:4612;
- 永楽町 (0003000): an abolished town (ablt_date set);
- 浜松市中央区 中央１丁目 (0001001): a town in another prefecture, point in EPSG:4612.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

from registries.abr.layout import HEADERS, parse_file_name

BASE_URL = "https://data.address-br.digital.go.jp"
STAMP = (2025, 9, 30, 0, 0, 0)
UPDATED = "2025-09-30T15:41:43.000Z"
CITY = "131016"
HAMAMATSU = "221384"



def _rows(layout: str, rows: list[dict[str, str]]) -> list[list[str]]:
    header = HEADERS[layout]
    for r in rows:
        unknown = set(r) - set(header)
        if unknown:
            raise ValueError(f"{layout}: unknown columns {unknown}")
    return [[r.get(c, "") for c in header] for r in rows]


def csv_bytes(layout: str, rows: list[dict[str, str]], *, bom: bool = False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADERS[layout])
    w.writerows(_rows(layout, rows))
    data = buf.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def zip_bytes(member: str, data: bytes) -> bytes:
    """A deterministic zip (fixed timestamp and attributes) holding one member."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(member, date_time=STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, data)
    return out.getvalue()


_TOKYO = {"pref": "東京都", "pref_kana": "トウキョウト", "pref_roma": "Tokyo"}
_CHIYODA = {"city": "千代田区", "city_kana": "チヨダク", "city_roma": "Chiyoda-ku"}
_SHIZUOKA = {"pref": "静岡県", "pref_kana": "シズオカケン", "pref_roma": "Shizuoka"}
_HAMA = {"city": "浜松市", "city_kana": "ハママツシ", "city_roma": "Hamamatsu-shi",
         "ward": "中央区", "ward_kana": "チュウオウク", "ward_roma": "Chuo-ku"}


def _pos(lon: str, lat: str, srid: str, scale: str = "2500", **extra: str) -> dict[str, str]:
    return {"rep_lon": lon, "rep_lat": lat, "rep_srid": srid, "rep_scale": scale, **extra}


def sample_tables() -> dict[str, tuple[str, list[dict[str, str]]]]:
    """File stem -> (layout, rows)."""
    kasumi = {"lg_code": CITY, "machiaza_id": "0001001"}
    maru = {"lg_code": CITY, "machiaza_id": "0002001"}
    town_common = {**_TOKYO, **_CHIYODA, "machiaza_type": "2", "status_flg": "1", "src_code": "0"}
    return {
        "mt_pref_all": ("pref", [
            {"lg_code": "130001", **_TOKYO, "efct_date": "1947-04-17"},
            {"lg_code": "220001", **_SHIZUOKA, "efct_date": "1947-04-17"},
        ]),
        "mt_pref_pos_all": ("pref_pos", [
            {"lg_code": "130001", **_pos("139.691711", "35.689608", "EPSG:6668", "25000")},
            {"lg_code": "220001", **_pos("138.383084", "34.976987", "EPSG:6668", "25000")},
        ]),
        "mt_city_all": ("city", [
            {"lg_code": CITY, **_TOKYO, **_CHIYODA, "efct_date": "1947-03-15"},
            {"lg_code": HAMAMATSU, **_SHIZUOKA, **_HAMA, "efct_date": "2024-01-01"},
            {"lg_code": "221317", **_SHIZUOKA, **_HAMA, "ward": "中区", "ward_kana": "ナカク", "ward_roma": "Naka-ku",
             "efct_date": "2007-04-01", "ablt_date": "2024-01-01", "remarks": "2024-01-01 行政区再編で廃止"},
        ]),
        "mt_city_pos_all": ("city_pos", [
            {"lg_code": CITY, **_pos("139.753634", "35.694003", "EPSG:6668", "25000")},
            {"lg_code": HAMAMATSU, **_pos("137.726798", "34.710865", "EPSG:4612", "25000")},
            {"lg_code": "221317", **_pos("137.726798", "34.710865", "EPSG:6668", "25000")},
        ]),
        "mt_town_all": ("town", [
            {**kasumi, **town_common, "oaza_cho": "霞が関", "oaza_cho_kana": "カスミガセキ",
             "oaza_cho_roma": "Kasumigaseki", "chome": "１丁目", "chome_kana": "１チョウメ", "chome_number": "1",
             "rsdt_addr_flg": "0", "rsdt_addr_mtd_code": "0", "oaza_cho_aka_flg": "0", "koaza_aka_code": "0",
             "oaza_cho_gsi_uncmn": "0", "koaza_gsi_uncmn": "0", "wake_num_flg": "1", "efct_date": "1947-03-15",
             "post_code": "1000013"},
            {**maru, **town_common, "oaza_cho": "丸の内", "oaza_cho_kana": "マルノウチ", "oaza_cho_roma": "Marunouchi",
             "chome": "１丁目", "chome_kana": "１チョウメ", "chome_number": "1", "rsdt_addr_flg": "1",
             "rsdt_addr_mtd_code": "1", "oaza_cho_aka_flg": "0", "koaza_aka_code": "0", "oaza_cho_gsi_uncmn": "0",
             "koaza_gsi_uncmn": "0", "wake_num_flg": "0", "efct_date": "1967-01-01", "post_code": "1000005"},
            {"lg_code": CITY, "machiaza_id": "0003000", **_TOKYO, **_CHIYODA, "machiaza_type": "1",
             "oaza_cho": "永楽町", "oaza_cho_kana": "エイラクチョウ", "oaza_cho_roma": "Eirakucho",
             "rsdt_addr_flg": "0", "rsdt_addr_mtd_code": "0", "oaza_cho_aka_flg": "0", "koaza_aka_code": "0",
             "oaza_cho_gsi_uncmn": "0", "koaza_gsi_uncmn": "0", "status_flg": "1", "wake_num_flg": "0",
             "efct_date": "1947-03-15", "ablt_date": "1967-01-01", "src_code": "0", "remarks": "丸の内へ編入（廃止）"},
            {"lg_code": HAMAMATSU, "machiaza_id": "0001001", **_SHIZUOKA, **_HAMA, "machiaza_type": "2",
             "oaza_cho": "中央", "oaza_cho_kana": "チュウオウ", "oaza_cho_roma": "Chuo", "chome": "１丁目",
             "chome_kana": "１チョウメ", "chome_number": "1", "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
             "oaza_cho_aka_flg": "0", "koaza_aka_code": "0", "oaza_cho_gsi_uncmn": "0", "koaza_gsi_uncmn": "0",
             "status_flg": "1", "wake_num_flg": "0", "efct_date": "2024-01-01", "src_code": "0",
             "post_code": "4300929"},
        ]),
        "mt_town_pos_pref13": ("town_pos", [
            {**kasumi, "rsdt_addr_flg": "0", **_pos("139.751325", "35.674538", "EPSG:6668"), "rep_src_code": "1",
             "pos_oaza_cho_chome_code": "131010049001", "cns_bnd_s_area_kcode": "131010170"},
            {**maru, "rsdt_addr_flg": "1", **_pos("139.764936", "35.681236", "EPSG:4612"), "rep_src_code": "1",
             "pos_oaza_cho_chome_code": "131010088001", "cns_bnd_s_area_kcode": "131010300"},
            {"lg_code": CITY, "machiaza_id": "0003000", "rsdt_addr_flg": "0",
             **_pos("139.763000", "35.684000", "EPSG:6668"), "rep_src_code": "1"},
        ]),
        "mt_town_pos_pref22": ("town_pos", [
            {"lg_code": HAMAMATSU, "machiaza_id": "0001001", "rsdt_addr_flg": "1",
             **_pos("137.734000", "34.707000", "EPSG:4612"), "rep_src_code": "1"},
        ]),
        "mt_rsdtdsp_blk_pref13": ("rsdtdsp_blk", [
            {**maru, "blk_id": "001", **_CHIYODA_SHORT, "oaza_cho": "丸の内", "chome": "１丁目", "blk_num": "1",
             "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1967-01-01",
             "src_code": "0"},
            {**maru, "blk_id": "002", **_CHIYODA_SHORT, "oaza_cho": "丸の内", "chome": "１丁目", "blk_num": "2",
             "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1967-01-01",
             "src_code": "0"},
        ]),
        "mt_rsdtdsp_blk_pos_pref13": ("rsdtdsp_blk_pos", [
            {**maru, "blk_id": "001", "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
             **_pos("139.766084", "35.682920", "EPSG:6668"), "rep_src_code": "1"},
            {**maru, "blk_id": "002", "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
             **_pos("139.763330", "35.683620", "EPSG:4612"), "rep_src_code": "1"},
        ]),
        "mt_rsdtdsp_rsdt_pref13": ("rsdtdsp_rsdt", [
            {**maru, "blk_id": "001", "rsdt_id": "001", **_CHIYODA_SHORT, "oaza_cho": "丸の内", "chome": "１丁目",
             "blk_num": "1", "rsdt_num": "1", "basic_rsdt_div": "1", "rsdt_addr_flg": "1",
             "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1967-01-01", "src_code": "0"},
            {**maru, "blk_id": "001", "rsdt_id": "002", **_CHIYODA_SHORT, "oaza_cho": "丸の内", "chome": "１丁目",
             "blk_num": "1", "rsdt_num": "2", "basic_rsdt_div": "1", "rsdt_addr_flg": "1",
             "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1967-01-01", "src_code": "0"},
        ]),
        "mt_rsdtdsp_rsdt_pos_pref13": ("rsdtdsp_rsdt_pos", [
            {**maru, "blk_id": "001", "rsdt_id": "001", "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
             **_pos("139.765800", "35.682700", "EPSG:6668", "500"), "rep_src_code": "1", "basic_rsdt_div": "1"},
            {**maru, "blk_id": "001", "rsdt_id": "002", "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
             **_pos("139.766300", "35.683100", "EPSG:6668", "500"), "rep_src_code": "1", "basic_rsdt_div": "1"},
        ]),
        f"mt_parcel_city{CITY}": ("parcel", [
            {**kasumi, "prc_id": pid, **_CHIYODA_SHORT, "oaza_cho": "霞が関", "chome": "１丁目", "prc_num1": n1,
             "prc_num2": n2, "rsdt_addr_flg": "0", "prc_rec_flg": "1", "prc_area_code": "1",
             "efct_date": "1947-03-15", "src_code": "0", "real_prop_num": rpn}
            for pid, n1, n2, rpn in PARCELS
        ]),
        f"mt_parcel_pos_city{CITY}": ("parcel_pos", [
            {**kasumi, "prc_id": pid, **(_pos(lat, lon, "EPSG:6668", "500") if swapped
                                         else _pos(lon, lat, "EPSG:6668", "500")),
             "rep_src_code": "2", "moj_map_city_code": "13101", "moj_map_oaza_code": "001",
             "moj_map_chome_code": "001", "moj_map_koaza_code": "0000", "moj_map_spare_code": "00",
             "moj_map_brushid": brush}
            for (pid, _n1, _n2, _rpn), (lon, lat, swapped, brush) in zip(PARCELS, PARCEL_POINTS, strict=True)
        ]),
    }


_CHIYODA_SHORT = {"city": "千代田区"}
PARCELS = (  # prc_id (3 x 5 digits), 地番1, 地番2, 不動産番号
    ("000010000100000", "1", "1", "1300000000001"),
    ("000010000200000", "1", "2", "1300000000002"),
    ("000020000000000", "2", "", "1300000000003"),
)
PARCEL_POINTS = (  # lon, lat, published swapped?, 筆ID
    ("139.751010", "35.674210", False, "H000000001"),
    ("139.751420", "35.674610", False, "H000000002"),
    ("139.752000", "35.675200", True, "H000000003"),
)


def file_url(stem: str) -> str:
    """Published URL pattern: ``/mt_{type}/mt_{type}_all.csv.zip`` or ``/mt_{type}/{pref|city}/{stem}.csv.zip``."""
    name = parse_file_name(f"{stem}.csv.zip")
    if name is None:
        raise ValueError(f"not an ABR file stem: {stem}")
    folder = f"mt_{name.layout}"
    if name.scope == "all":
        return f"{BASE_URL}/{folder}/{stem}.csv.zip"
    return f"{BASE_URL}/{folder}/{name.scope}/{stem}.csv.zip"


def dcat_feed(stems: list[str]) -> dict:
    """A stub DCAT-US 1.1 feed listing the sample files (one dataset per file)."""
    datasets = []
    for stem in stems:
        datasets.append({
            "@type": "dcat:Dataset",
            "identifier": f"abr-sample-{stem}",
            "title": stem,
            "description": f"アドレス・ベース・レジストリ {stem}（サンプル）\n最終更新日: {UPDATED}",
            "modified": UPDATED[:10],
            "publisher": {"@type": "org:Organization", "name": "デジタル庁"},
            "distribution": [{
                "@type": "dcat:Distribution", "accessURL": file_url(stem), "mediaType": "application/zip",
                "format": "CSV", "title": f"{stem}.csv.zip",
            }],
        })
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }


def write_sample(out_dir: str | Path) -> list[Path]:
    """Write every sample zip and ``dcat.json`` into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = sample_tables()
    for stem, (layout, rows) in tables.items():
        path = out / f"{stem}.csv.zip"
        path.write_bytes(zip_bytes(f"{stem}.csv", csv_bytes(layout, rows, bom=stem == "mt_pref_all")))
        written.append(path)
    feed = out / "dcat.json"
    feed.write_text(json.dumps(dcat_feed(list(tables)), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written.append(feed)
    return written


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "samples" / "abr"
    for p in write_sample(target):
        print(p)


if __name__ == "__main__":
    main()
