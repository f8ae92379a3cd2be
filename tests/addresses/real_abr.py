"""A small ABR of real places, written as the published files and loaded with the code of ``kiban ingest abr``.

Names and structures are facts about real municipalities (住居表示 towns in 千代田区, 条・丁目 in 札幌, 京都の
通り名 rows, 大字 and 小字 in rural towns, 旧字体 in names people write both ways, the same ward name in several
cities); identifiers follow the real shapes (6-digit lg_code with its check digit, 7-digit machiaza_id, 3-digit
blk_id / rsdt_id, 15-digit prc_id) but are illustrative, and so are most block, residence and parcel numbers.

:func:`write_files` writes ``mt_pref_all``, ``mt_city_all``, ``mt_town_all``, ``mt_town_pos_all``,
``mt_rsdtdsp_blk_all``, ``mt_rsdtdsp_rsdt_all``, ``mt_parcel_all`` and their ``_pos`` files (headers from
:data:`schemas.abr.HEADERS`, one UTF-8 CSV per zip); :func:`connection` stages them with
:func:`registries.abr.stage.stage_abr_file` (what ``kiban ingest abr`` stages), casts them to the contracts as the
lake store does, and adds the municipality master.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from kiban.duck import connect, quote_literal
from kiban.lake import contract_select
from registries.abr.layout import DATASETS
from registries.abr.sample import csv_bytes, zip_bytes
from registries.abr.stage import stage_abr_file
from registries.municipalities.parse import as_records
from registries.municipalities.resolve import bundled_master
from schemas.abr import ABR_CONTRACTS

PREFS = {"01": "北海道", "03": "岩手県", "11": "埼玉県", "13": "東京都", "16": "富山県", "26": "京都府", "27": "大阪府",
         "29": "奈良県", "34": "広島県", "40": "福岡県", "45": "宮崎県"}

#: lg_code -> (county, city, ward), as mt_city writes them
CITIES = {
    "011002": ("", "札幌市", ""),  # a designated city has its own row, without a ward
    "011011": ("", "札幌市", "中央区"),
    "011029": ("", "札幌市", "北区"),
    "012041": ("", "旭川市", ""),
    "012076": ("", "帯広市", ""),
    "014532": ("上川郡", "東神楽町", ""),
    "033812": ("胆沢郡", "金ケ崎町", ""),
    "112143": ("", "春日部市", ""),
    "131016": ("", "千代田区", ""),
    "131032": ("", "港区", ""),
    "131121": ("", "世田谷区", ""),
    "131172": ("", "北区", ""),
    "261009": ("", "京都市", ""),
    "261017": ("", "京都市", "北区"),
    "261041": ("", "京都市", "中京区"),
    "261068": ("", "京都市", "下京区"),
    "271411": ("", "堺市", "堺区"),
    "293440": ("生駒郡", "斑鳩町", ""),
    "341011": ("", "広島市", "中区"),
    "401331": ("", "福岡市", "中央区"),
    "452017": ("", "宮崎市", ""),
    # names that start with a prefecture's name without 都/府/県 (大阪狭山市, 京都郡, 富山市, 福島区, 北広島)
    "272311": ("", "大阪狭山市", ""),
    "406210": ("京都郡", "苅田町", ""),
    "162019": ("", "富山市", ""),
    "271039": ("", "大阪市", "福島区"),
    "012343": ("", "北広島市", ""),
    "343692": ("山県郡", "北広島町", ""),
    # 岩手の地割
    "034851": ("下閉伊郡", "普代村", ""),
    "032140": ("", "八幡平市", ""),
}

_KANJI = "〇一二三四五六七八九十"


def _chome(n: int, style: str) -> str:
    if style == "cho":  # 堺市: 丁, not 丁目 (熊野町東三丁)
        return _KANJI[n] + "丁"
    if style == "fw":  # the older files: full-width digits (１丁目)
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n)) + "丁目"
    return (_KANJI[n] if n <= 10 else "十" + _KANJI[n - 10]) + "丁目"


# (lg_code, machiaza_id, machiaza_type, oaza_cho, chome_number, koaza, rsdt_addr_flg, koaza_aka_code[, style])
TOWNS: list[tuple] = [
    # 東京都千代田区: 住居表示 towns with 丁目, 地番 towns (紀尾井町, 一番町: a numeral inside the name)
    ("131016", "0007001", "2", "霞が関", 1, "", "1", "0"),
    ("131016", "0007002", "2", "霞が関", 2, "", "1", "0"),
    ("131016", "0007003", "2", "霞が関", 3, "", "1", "0"),
    ("131016", "0011001", "2", "丸の内", 1, "", "1", "0"),
    ("131016", "0011002", "2", "丸の内", 2, "", "1", "0"),
    ("131016", "0011003", "2", "丸の内", 3, "", "1", "0"),
    ("131016", "0002001", "2", "大手町", 1, "", "1", "0"),
    ("131016", "0002002", "2", "大手町", 2, "", "1", "0"),
    ("131016", "0013001", "2", "永田町", 1, "", "1", "0"),
    ("131016", "0013002", "2", "永田町", 2, "", "1", "0"),
    ("131016", "0005000", "1", "紀尾井町", None, "", "0", "0"),
    ("131016", "0001000", "1", "一番町", None, "", "0", "0"),
    ("131016", "0004000", "1", "千代田", None, "", "0", "0"),
    ("131016", "0020001", "2", "神田神保町", 1, "", "0", "0"),
    ("131016", "0020002", "2", "神田神保町", 2, "", "0", "0"),
    # 港区 高輪 (髙輪), 世田谷区 深沢 (深澤) and 北沢
    ("131032", "0030002", "2", "高輪", 2, "", "1", "0"),
    ("131121", "0008005", "2", "深沢", 5, "", "1", "0"),
    ("131121", "0009002", "2", "北沢", 2, "", "1", "0"),
    # 東京都北区
    ("131172", "0005001", "2", "王子本町", 1, "", "1", "0"),
    ("131172", "0001001", "2", "赤羽", 1, "", "1", "0"),
    ("131172", "0003003", "2", "上十条", 3, "", "1", "0"),
    # 札幌市中央区 (条・丁目; 旭ケ丘 as the older files write it, １丁目), 札幌市北区
    ("011011", "0001001", "2", "旭ケ丘", 1, "", "1", "0", "fw"),
    ("011011", "0022002", "2", "北一条西", 2, "", "0", "0"),
    ("011011", "0023004", "2", "大通西", 4, "", "0", "0"),
    ("011011", "0030001", "2", "南一条西", 1, "", "0", "0"),
    ("011029", "0008005", "2", "北八条西", 5, "", "0", "0"),
    ("011029", "0024005", "2", "北二十四条西", 5, "", "0", "0"),
    # 帯広 (西N条南M: the 条 with 西/東) and 旭川 (N条通M丁目)
    ("012076", "0005007", "2", "西五条南", 7, "", "0", "0"),
    ("012041", "0007009", "2", "七条通", 9, "", "0", "0"),
    # 堺市堺区: 丁, not 丁目
    ("271411", "0040003", "2", "熊野町東", 3, "", "1", "0", "cho"),
    # 北海道上川郡東神楽町: 条・丁目 of its own (南一条西 also in 札幌市中央区) and a rural 大字
    ("014532", "0001001", "2", "南一条西", 1, "", "0", "0"),
    ("014532", "0010000", "1", "志比内", None, "", "0", "0"),
    # 岩手県胆沢郡金ケ崎町: 大字 西根 and its 小字
    ("033812", "0001000", "1", "西根", None, "", "0", "0"),
    ("033812", "0001001", "3", "西根", None, "南町", "0", "0"),
    ("033812", "0001002", "3", "西根", None, "大谷", "0", "0"),
    # 埼玉県春日部市: 丁目 of a 地番 area, a rural 大字, 粕壁 and 粕壁東 (one name the start of the other)
    ("112143", "0001001", "2", "中央", 1, "", "0", "0"),
    ("112143", "0001006", "2", "中央", 6, "", "0", "0"),
    ("112143", "0030000", "1", "下柳", None, "", "0", "0"),
    ("112143", "0040000", "1", "粕壁", None, "", "0", "0"),
    ("112143", "0041001", "2", "粕壁東", 1, "", "1", "0"),
    # 京都市中京区: 町 names and their 通り名 rows (koaza_aka_code 2; 上本能寺前町 0098000 and 寺町通御池上る
    # 0098104 are the real ids), 中之町 also in 下京区. The 地番 are kept under the 町 (machiaza_id ...000), as in
    # the real files; so are those of 法隆寺's 小字 山内, while 西根's 小字 have their own
    ("261041", "0098000", "1", "上本能寺前町", None, "", "0", "0"),
    ("261041", "0098104", "3", "上本能寺前町", None, "寺町通御池上る", "0", "2"),
    ("261041", "0120000", "1", "饅頭屋町", None, "", "0", "0"),
    ("261041", "0120101", "3", "饅頭屋町", None, "烏丸通三条下る", "0", "2"),
    ("261041", "0103000", "1", "西ノ京小堀町", None, "", "0", "0"),
    ("261041", "0150000", "1", "中之町", None, "", "0", "0"),
    ("261041", "0150102", "3", "中之町", None, "新京極通四条上る", "0", "2"),
    ("261068", "0201000", "1", "中之町", None, "", "0", "0"),
    # 京都市北区
    ("261017", "0010000", "1", "上賀茂本山", None, "", "0", "0"),
    ("261017", "0020000", "1", "紫野大徳寺町", None, "", "0", "0"),
    # 奈良県生駒郡斑鳩町: 大字 法隆寺 with a 小字, 法隆寺西 (丁目), 龍田 (竜田)
    ("293440", "0001000", "1", "法隆寺", None, "", "0", "0"),
    ("293440", "0001001", "3", "法隆寺", None, "山内", "0", "0"),
    ("293440", "0002001", "2", "法隆寺西", 1, "", "0", "0"),
    ("293440", "0003000", "1", "龍田", None, "", "0", "0"),
    # 広島市中区 基町 (廣島), 福岡市中央区 渡辺通 (渡邊通), 宮崎市 橘通西 (宮﨑)
    ("341011", "0010000", "1", "基町", None, "", "0", "0"),
    ("401331", "0005002", "2", "渡辺通", 2, "", "1", "0"),
    ("452017", "0001001", "2", "橘通西", 1, "", "1", "0"),
    # 大阪狭山市 狭山 (not 大阪 + 狭山市), 京都郡苅田町 富久町 (福岡県), 富山市 新桜町, 大阪市福島区 大開,
    # 北広島市 中央 (北海道), 山県郡北広島町 有田 (広島県)
    ("272311", "0010001", "2", "狭山", 1, "", "0", "0"),
    ("406210", "0020001", "2", "富久町", 1, "", "0", "0"),
    ("162019", "0150000", "1", "新桜町", None, "", "0", "0"),
    ("271039", "0001001", "2", "大開", 1, "", "1", "0"),
    ("012343", "0004004", "2", "中央", 4, "", "0", "0"),
    ("343692", "0003000", "1", "有田", None, "", "0", "0"),
    # 岩手の地割, both ways the files write them: as the 大字 (普代村 第１地割, with its 小字 上村) and as the 小字
    # of a 大字 (八幡平市 大更 第２地割); full-width numerals, as in the older files
    ("034851", "0001000", "1", "第１地割", None, "", "0", "0"),
    ("034851", "0001001", "3", "第１地割", None, "上村", "0", "0"),
    ("032140", "0012000", "1", "大更", None, "", "0", "0"),
    ("032140", "0012002", "3", "大更", None, "第２地割", "0", "0"),
]

#: (lg_code, machiaza_id, 街区符号, [住居番号 or 住居番号-住居番号2 ...]) of the 住居表示 towns
BLOCKS: list[tuple[str, str, str, list[str]]] = [
    ("131016", "0007001", "1", ["1", "2", "3"]),
    ("131016", "0007001", "2", ["1", "2"]),
    ("131016", "0007001", "3", ["1"]),
    ("131016", "0007002", "1", ["1", "2", "3"]),
    ("131016", "0007003", "2", ["1"]),
    ("131016", "0011001", "9", ["1"]),
    ("271039", "0001001", "8", ["1"]),
    ("131016", "0011001", "6", ["5"]),
    ("131016", "0011002", "7", ["2"]),
    ("131016", "0011003", "1", ["1"]),
    ("131016", "0002001", "3", ["3"]),
    ("131016", "0002002", "1", ["1"]),
    ("131016", "0013001", "7", ["1"]),
    ("131016", "0013002", "3", ["1", "4-2"]),
    ("131032", "0030002", "1", ["1"]),
    ("131121", "0008005", "1", ["1"]),
    ("131121", "0009002", "6", ["2"]),
    ("131172", "0005001", "15", ["22"]),
    ("131172", "0001001", "1", ["1"]),
    ("131172", "0003003", "1", ["1"]),
    ("011011", "0001001", "5", ["10"]),
    ("271411", "0040003", "1", ["9"]),
    ("112143", "0041001", "20", ["1"]),
    ("401331", "0005002", "1", ["82"]),
    ("452017", "0001001", "1", ["1"]),
]

#: (lg_code, machiaza_id, 地番 ``1`` / ``1-2`` / ``1-2-3``) of the 地番 towns
PARCELS: list[tuple[str, str, str]] = [
    ("131016", "0005000", "1-3"), ("131016", "0005000", "1-2"), ("131016", "0001000", "10-1"), ("131016", "0004000", "1-1"),
    ("131016", "0020001", "101"), ("131016", "0020002", "3-1"),
    ("011011", "0022002", "1-1"), ("011011", "0023004", "1"), ("011011", "0030001", "3-2"),
    ("011029", "0024005", "1-1"), ("012076", "0005007", "1"), ("012041", "0007009", "46"), ("014532", "0001001", "3-2"), ("014532", "0010000", "123-4"),
    ("033812", "0001001", "22-1"), ("033812", "0001002", "5"), ("033812", "0001000", "99"),
    ("112143", "0001006", "2"), ("112143", "0001001", "1-1"), ("112143", "0030000", "1234"),
    ("112143", "0030000", "123-4"), ("112143", "0040000", "5534"),
    ("261041", "0098000", "488"), ("261041", "0120000", "600"), ("261041", "0103000", "2"),
    ("261041", "0150000", "565"),
    ("261017", "0010000", "339"), ("261017", "0020000", "53"),
    ("293440", "0001000", "1-1"), ("293440", "0002001", "1-1"), ("293440", "0003000", "100"),
    ("341011", "0010000", "10-52"),
    ("272311", "0010001", "2384-1"), ("406210", "0020001", "19-1"), ("162019", "0150000", "7-38"),
    ("012343", "0004004", "2-1"), ("343692", "0003000", "1234"),
    ("034851", "0001000", "5"), ("034851", "0001001", "43-25"), ("032140", "0012002", "123-1"),
]


def _with_check_digit(code5: str) -> str:
    """The 6-digit 全国地方公共団体コード: the 5-digit code and its check digit (weights 6..2, modulus 11)."""
    rem = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True)) % 11
    return code5 + str((11 - rem) % 10)


def _point(*parts: object) -> tuple[str, str]:
    h = sum(ord(c) * (i + 1) for i, c in enumerate("".join(map(str, parts))))
    return f"{135 + (h % 1000) / 1000:.6f}", f"{35 + (h // 1000 % 1000) / 1000:.6f}"


def _write(folder: Path, stem: str, layout: str, rows: list[dict[str, str]]) -> Path:
    path = folder / f"{stem}.csv.zip"
    path.write_bytes(zip_bytes(f"{stem}.csv", csv_bytes(layout, rows)))
    return path


def _pos(lg: str, *key: str) -> dict[str, str]:
    lon, lat = _point(lg, *key)
    return {"rep_lon": lon, "rep_lat": lat, "rep_srid": "EPSG:6668", "rep_scale": "2500"}


def write_files(folder: Path) -> list[Path]:
    """The published files of this ABR in ``folder``; returns the master files (each with its ``_pos`` file)."""
    folder.mkdir(parents=True, exist_ok=True)
    masters = []
    pref_lg = {p: _with_check_digit(f"{p}000") for p in PREFS}
    masters.append(_write(folder, "mt_pref_all", "pref", [
        {"lg_code": pref_lg[p], "pref": n, "efct_date": "1947-04-17"} for p, n in PREFS.items()]))
    _write(folder, "mt_pref_pos_all", "pref_pos", [{"lg_code": pref_lg[p], **_pos(p)} for p in PREFS])
    masters.append(_write(folder, "mt_city_all", "city", [
        {"lg_code": lg, "pref": PREFS[lg[:2]], "county": c, "city": ci, "ward": w, "efct_date": "1970-01-01"}
        for lg, (c, ci, w) in CITIES.items()]))
    _write(folder, "mt_city_pos_all", "city_pos", [{"lg_code": lg, **_pos(lg)} for lg in CITIES])

    towns, town_pos, names = [], [], {}
    for lg, mid, mtype, oaza, chome_n, koaza, flg, aka, *style in TOWNS:
        county, city, ward = CITIES[lg]
        chome = _chome(chome_n, style[0] if style else "kanji") if chome_n else ""
        names[(lg, mid)] = (city, ward, oaza, chome, koaza, flg)
        towns.append({"lg_code": lg, "machiaza_id": mid, "machiaza_type": mtype, "pref": PREFS[lg[:2]],
                      "county": county, "city": city, "ward": ward, "oaza_cho": oaza, "chome": chome,
                      "chome_number": str(chome_n) if chome_n else "", "koaza": koaza, "rsdt_addr_flg": flg,
                      "rsdt_addr_mtd_code": "1" if flg == "1" else "0", "oaza_cho_aka_flg": "0",
                      "koaza_aka_code": aka, "status_flg": "1", "wake_num_flg": "1", "efct_date": "1970-01-01",
                      "src_code": "0"})
        town_pos.append({"lg_code": lg, "machiaza_id": mid, "rsdt_addr_flg": flg, **_pos(lg, mid)})
    masters.append(_write(folder, "mt_town_all", "town", towns))
    _write(folder, "mt_town_pos_all", "town_pos", town_pos)

    blocks, block_pos, rsdts, rsdt_pos = [], [], [], []
    for lg, mid, blk_num, residences in BLOCKS:
        city, ward, oaza, chome, koaza, flg = names[(lg, mid)]
        blk_id = f"{int(blk_num):03d}"
        common = {"lg_code": lg, "machiaza_id": mid, "city": city, "ward": ward, "oaza_cho": oaza, "chome": chome,
                  "koaza": koaza}
        blocks.append({**common, "blk_id": blk_id, "blk_num": blk_num, "rsdt_addr_flg": "1",
                       "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1970-01-01", "src_code": "0"})
        block_pos.append({"lg_code": lg, "machiaza_id": mid, "blk_id": blk_id, "rsdt_addr_flg": "1",
                          "rsdt_addr_mtd_code": "1", **_pos(lg, mid, blk_id)})
        for r in residences:
            num, _, num2 = r.partition("-")
            rsdt_id, rsdt2_id = f"{int(num):03d}", (f"{int(num2):04d}" if num2 else "")
            rsdts.append({**common, "blk_id": blk_id, "rsdt_id": rsdt_id, "rsdt2_id": rsdt2_id, "blk_num": blk_num,
                          "rsdt_num": num, "rsdt_num2": num2, "basic_rsdt_div": "1", "rsdt_addr_flg": "1",
                          "rsdt_addr_mtd_code": "1", "status_flg": "1", "efct_date": "1970-01-01",
                          "src_code": "0"})
            rsdt_pos.append({"lg_code": lg, "machiaza_id": mid, "blk_id": blk_id, "rsdt_id": rsdt_id,
                             "rsdt2_id": rsdt2_id, "rsdt_addr_flg": "1", "rsdt_addr_mtd_code": "1",
                             **_pos(lg, mid, blk_id, rsdt_id, rsdt2_id)})
    masters.append(_write(folder, "mt_rsdtdsp_blk_all", "rsdtdsp_blk", blocks))
    _write(folder, "mt_rsdtdsp_blk_pos_all", "rsdtdsp_blk_pos", block_pos)
    masters.append(_write(folder, "mt_rsdtdsp_rsdt_all", "rsdtdsp_rsdt", rsdts))
    _write(folder, "mt_rsdtdsp_rsdt_pos_all", "rsdtdsp_rsdt_pos", rsdt_pos)

    parcels, parcel_pos = [], []
    for lg, mid, number in PARCELS:
        city, ward, oaza, chome, koaza, flg = names[(lg, mid)]
        nums = number.split("-") + ["", ""]
        prc_id = "".join(f"{int(n or 0):05d}" for n in nums[:3])
        parcels.append({"lg_code": lg, "machiaza_id": mid, "prc_id": prc_id, "city": city, "ward": ward,
                        "oaza_cho": oaza, "chome": chome, "koaza": koaza, "prc_num1": nums[0], "prc_num2": nums[1],
                        "prc_num3": nums[2], "rsdt_addr_flg": flg, "prc_rec_flg": "1", "efct_date": "1970-01-01",
                        "src_code": "0"})
        parcel_pos.append({"lg_code": lg, "machiaza_id": mid, "prc_id": prc_id, **_pos(lg, mid, prc_id)})
    masters.append(_write(folder, "mt_parcel_all", "parcel", parcels))
    _write(folder, "mt_parcel_pos_all", "parcel_pos", parcel_pos)
    return masters


def connection(folder: Path):
    """A DuckDB connection holding the ``abr_*`` tables of these files, as the lake has them, and the master."""
    con = connect()
    for master in write_files(folder):
        out = folder / (master.name + ".parquet")
        result = stage_abr_file(master, out)
        contract = ABR_CONTRACTS[result.dataset]
        con.execute(f"CREATE TABLE {contract.name} AS SELECT {contract_select(contract, contract.column_names)} "
                    f"FROM read_parquet({quote_literal(str(out))})")
        assert result.dataset == DATASETS[master.name.split("_all")[0].removeprefix("mt_")]
    con.register("_master", pa.Table.from_pylist(as_records(bundled_master())))
    con.execute("CREATE TABLE municipalities AS SELECT * FROM _master")
    con.unregister("_master")
    return con
