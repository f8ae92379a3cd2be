"""A synthetic ABR of realistic shape and size, deterministic: ``python -m registries.abr.synth OUT [--towns N]``.

Every current municipality of the bundled 総務省 master (all 1,741 市区町村 and the 171 wards of the 20 政令指定都市)
gets 町字 whose number follows its kind (a ward or special ward many, a village few; about 200,000 in all at
``machiaza=200_000``). Names are synthetic but built like real ones (``東山田町``, ``桜ケ丘``, ``北二十四条西`` with
丁目, 大字 + 小字, 京都の通り名), and some are written with 旧字体・異体字 (``宮﨑``, ``髙田``, ``渡邉``, ``大澤``,
``龍野``) so that matching must see through them. A curated list puts well-known real places where a reader
expects them (千代田区紀尾井町, 京都市北区上賀茂…, 札幌市北区北二十四条西七丁目). 住居表示 towns get 街区 and 住居,
the others 地番; most carry a representative point, some 地番 do not (the position then falls back to the 町字).

:func:`build` creates the six ABR tables (contract column names) in a DuckDB connection; :func:`write_files`
writes them as published ``mt_*.csv.zip`` files (UTF-8 CSV in a zip, official headers) for ``kiban ingest abr``.
Facts are synthetic: only the prefecture and municipality names and codes are real.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from registries.abr.layout import HEADERS

#: approximate position of each prefectural office (lat, lon): the centre synthetic points scatter around
PREF_CENTRES = {
    "01": (43.064, 141.347), "02": (40.824, 140.740), "03": (39.704, 141.153), "04": (38.269, 140.872),
    "05": (39.719, 140.102), "06": (38.240, 140.363), "07": (37.750, 140.468), "08": (36.342, 140.447),
    "09": (36.566, 139.884), "10": (36.391, 139.061), "11": (35.857, 139.649), "12": (35.605, 140.123),
    "13": (35.690, 139.692), "14": (35.448, 139.643), "15": (37.902, 139.023), "16": (36.695, 137.211),
    "17": (36.595, 136.626), "18": (36.065, 136.222), "19": (35.664, 138.568), "20": (36.651, 138.181),
    "21": (35.391, 136.722), "22": (34.977, 138.383), "23": (35.180, 136.907), "24": (34.730, 136.509),
    "25": (35.004, 135.869), "26": (35.021, 135.756), "27": (34.686, 135.520), "28": (34.691, 135.183),
    "29": (34.685, 135.833), "30": (34.226, 135.168), "31": (35.504, 134.238), "32": (35.472, 133.051),
    "33": (34.662, 133.935), "34": (34.397, 132.460), "35": (34.186, 131.471), "36": (34.066, 134.559),
    "37": (34.340, 134.043), "38": (33.842, 132.766), "39": (33.560, 133.531), "40": (33.607, 130.418),
    "41": (33.249, 130.299), "42": (32.745, 129.874), "43": (32.790, 130.742), "44": (33.238, 131.613),
    "45": (31.911, 131.424), "46": (31.560, 130.558), "47": (26.212, 127.681),
}

#: real 郡 of some towns and villages (the master has no 郡 names); the others are published without one
COUNTIES = {
    "033812": "胆沢郡", "213624": "不破郡", "015857": "勇払郡", "016624": "厚岸郡", "013048": "石狩郡",
    "014346": "雨竜郡", "014257": "空知郡", "124109": "山武郡", "013030": "石狩郡", "044458": "加美郡",
    "074217": "河沼郡", "074641": "西白河郡", "235610": "北設楽郡", "343684": "山県郡", "043231": "柴田郡",
    "284815": "赤穂郡", "193461": "西八代郡", "203831": "北佐久郡", "423831": "東彼杵郡", "473481": "国頭郡",
}

_DIR = ("東", "西", "南", "北", "上", "下", "新", "大", "小", "中", "本", "元")
_STEM = (
    "山田", "川口", "中野", "上野", "高田", "本郷", "青葉", "若葉", "桜", "旭", "栄", "緑", "松原", "松山", "杉山",
    "岡本", "石川", "荒井", "今泉", "大久保", "吉田", "柳", "梅田", "竹原", "桑原", "藤沢", "宮前", "八幡", "三田",
    "一宮", "五反田", "四谷", "六本木", "七条", "九条", "十条", "百人", "千住", "二十四軒", "三軒", "平和", "富士見",
    "日吉", "港", "浜", "新田", "長沼", "小松", "黒川", "白石", "赤坂", "青山", "金沢", "銀杏", "鶴見", "亀山", "池田",
    "森", "林", "泉", "寺町", "堀之内", "城ノ内", "宮ノ下", "橋本", "大島", "今井", "星ケ丘", "霞ケ丘", "自由ケ丘",
    "つつじが丘", "ひばりが丘", "みどり", "さくら", "はなみずき", "ニュータウン", "中央", "本町", "元町", "駅前",
    # written with 旧字体・異体字 in the registry
    "宮﨑", "髙田", "渡邉", "大澤", "龍野", "濱田", "國分", "櫻木", "廣瀬", "齋藤", "德山", "槇尾", "眞砂", "嶋田",
    "峯岸", "舘野", "冨岡", "藪塚", "長嶋", "瀧川", "黑田", "淸水", "惠比寿", "檜原",
)
_SUFFIX = ("町", "", "台", "ケ丘", "野", "原", "田", "沢", "崎", "浜", "島", "谷", "通", "新町", "本町", "が丘")
_KOAZA = ("前田", "向山", "大谷", "下根市", "中島", "北浦", "西原", "堂ノ前", "柳原", "宮田", "岩井", "清水",
          "坂下", "水口", "東沖", "寺前", "竹ノ内", "鍛冶屋敷", "五反田", "八反")
_KYOTO_STREETS = ("小川通今出川下る", "室町通上立売上る", "寺町通石薬師下る", "大宮通今出川上る", "御前通一条下る",
                  "新烏丸通丸太町上る", "間之町通竹屋町下る", "醒ケ井通松原下る")

_KANJI = "〇一二三四五六七八九"


def kanji_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 24 -> 二十四 (as ABR writes 丁目 and 条)."""
    if n < 10:
        return _KANJI[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _KANJI[tens]) + "十" + (_KANJI[ones] if ones else "")


@dataclass(frozen=True)
class Town:
    """One oaza (大字・町) and what hangs off it: 丁目 numbers, 小字 names, 住居表示 or 地番."""

    name: str
    chome: tuple[int, ...] = ()
    koaza: tuple[str, ...] = ()
    rsdt: bool = False
    street: str = ""  # 京都の通り名 (koaza_aka_code 2) placed before the 町 name
    block_letters: bool = False  # 街区符号 A, B, C... (大阪市中央区上町)


#: real places put where a reader expects them (lg_code -> towns first in that municipality)
CURATED: dict[str, tuple[Town, ...]] = {
    "131016": (Town("紀尾井町", rsdt=True), Town("霞が関", chome=(1, 2, 3), rsdt=True),
               Town("丸の内", chome=(1, 2, 3), rsdt=True), Town("一番町", rsdt=True), Town("永田町", chome=(1, 2))),
    "131172": (Town("赤羽", chome=(1, 2, 3), rsdt=True), Town("王子", chome=(1, 2, 3, 4, 5, 6), rsdt=True)),
    "261017": (Town("上賀茂烏帽子ケ垣内町"), Town("上賀茂女夫岩町"), Town("紫竹西北町"), Town("小山西元町")),
    "261025": (Town("針屋町", street="小川通今出川下る"), Town("室町頭町", street="室町通上立売上る"),
               Town("染殿町", street="寺町通石薬師下る")),
    "011029": (Town("北二十四条西", chome=(1, 2, 3, 4, 5, 6, 7, 8), rsdt=True), Town("新琴似", chome=(1, 2, 3))),
    "011011": (Town("南二条西", chome=tuple(range(1, 11))), Town("北一条西", chome=(1, 2, 3), rsdt=True)),
    "082082": (Town("藤ケ丘", chome=(1, 2, 3)), Town("松葉", chome=(1, 2, 3, 4), rsdt=True), Town("大徳町")),
    "271284": (Town("上町", rsdt=True, block_letters=True), Town("久太郎町", chome=(1, 2, 3, 4), rsdt=True)),
    "112143": (Town("八丁目"), Town("粕壁", chome=(1, 2, 3), rsdt=True), Town("大沼", chome=(1, 2))),
    "033812": (Town("西根", koaza=("大谷", "北鵜ノ木", "和光")), Town("三ケ尻")),
    "132080": (Town("国領町", chome=(1, 2, 3, 4, 5, 6, 7, 8)), Town("布田", chome=(1, 2, 3), rsdt=True)),
    "122157": (Town("ハ"), Town("ニ"), Town("イ")),
    "124109": (Town("横芝", koaza=("真砂", "北清水")), Town("栗山")),
    "372013": (Town("番町", chome=(1, 2, 3, 4, 5), rsdt=True), Town("丸の内")),
    "012068": (Town("豊川町", rsdt=True), Town("幸町", chome=(1, 2, 3), rsdt=True)),
    "442011": (Town("大字荏隈"), Town("大石町", chome=(1, 2, 3, 4), rsdt=True)),
    "213624": (Town("大字関ケ原"), Town("大字松尾")),
    "141003": (),
    "141046": (Town("山下町"), Town("日本大通"), Town("元町", chome=(1, 2, 3, 4, 5), rsdt=True)),
    "401323": (Town("博多駅前", chome=(1, 2, 3, 4), rsdt=True), Town("中洲", chome=(1, 2, 3, 4, 5), rsdt=True)),
    "452017": (Town("宮﨑町"), Town("橘通東", chome=(1, 2, 3, 4, 5), rsdt=True)),
    "282197": (Town("三輪", chome=(1, 2, 3, 4, 5), rsdt=True),),
}

_SIZE = {"ward": 300, "special_ward": 300, "city": 150, "town": 40, "village": 20}


def _rng(*parts: object) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big"))


def _offset(rng: random.Random, spread: float) -> float:
    return (rng.random() - 0.5) * 2 * spread


@dataclass(frozen=True)
class Place:
    lg_code: str
    pref_code: str
    pref: str
    pref_kana: str
    county: str | None
    city: str
    ward: str | None
    kind: str


def places() -> list[Place]:
    """Every current municipality and ward of the bundled master (北方領土 excluded), as ABR names them."""
    from registries.municipalities.resolve import bundled_master

    master = [m for m in bundled_master() if m.valid_to is None and not m.is_northern_territories]
    by_code = {m.lg_code: m for m in master}
    out = []
    for m in master:
        if m.type == "prefecture":
            continue
        if m.type == "ward" and m.parent_lg_code:
            parent = by_code[m.parent_lg_code].name
            out.append(Place(m.lg_code, m.prefecture_code, m.prefecture_name, m.prefecture_kana or "", None,
                             parent, m.name.removeprefix(parent), "ward"))
        else:
            out.append(Place(m.lg_code, m.prefecture_code, m.prefecture_name, m.prefecture_kana or "",
                             COUNTIES.get(m.lg_code), m.name, None, m.type or "city"))
    return out


def _generated_towns(place: Place, count: int) -> Iterator[Town]:
    rng = _rng("towns", place.lg_code)
    seen = {t.name for t in CURATED.get(place.lg_code, ())}
    urban = place.kind in ("ward", "special_ward", "city")
    made = 0
    while made < count:
        stem = rng.choice(_STEM)
        name = (rng.choice(_DIR) if rng.random() < 0.35 else "") + stem + rng.choice(_SUFFIX)
        if name in seen or len(name) < 2:
            continue
        seen.add(name)
        made += 1
        roll = rng.random()
        if roll < (0.45 if urban else 0.15):
            yield Town(name, chome=tuple(range(1, rng.randint(1, 6) + 1)), rsdt=rng.random() < (0.8 if urban else 0.3))
        elif roll < (0.85 if urban else 0.6):
            yield Town(name, rsdt=urban and rng.random() < 0.1)
        else:
            yield Town(name, koaza=tuple(rng.sample(_KOAZA, rng.randint(2, 4))))


#: machiaza rows per generated oaza, on average (丁目 and 小字 give several)
ROWS_PER_OAZA = 2.6


def town_plan(machiaza: int = 200_000) -> dict[str, tuple[Place, list[Town]]]:
    """lg_code -> (place, its towns): curated towns first, then generated ones up to the municipality's share
    of about ``machiaza`` 町字 rows in all."""
    towns = round(machiaza / ROWS_PER_OAZA)
    all_places = places()
    weight = sum(_SIZE.get(p.kind, 40) for p in all_places if p.kind != "designated_city")
    plan = {}
    for p in all_places:
        if p.kind == "designated_city":  # its towns belong to its wards
            plan[p.lg_code] = (p, [])
            continue
        curated = list(CURATED.get(p.lg_code, ()))
        share = max(1, round(towns * _SIZE.get(p.kind, 40) / weight)) if towns else 0
        plan[p.lg_code] = (p, curated + list(_generated_towns(p, max(0, share - len(curated)))))
    return plan


_TOWN_COLS = ("lg_code", "machiaza_id", "machiaza_type", "pref", "pref_kana", "county", "city", "ward", "oaza_cho",
              "chome", "chome_number", "koaza", "koaza_aka_code", "rsdt_addr_flg", "rsdt_addr_mtd_code",
              "status_flg", "efct_date", "ablt_date", "src_code", "post_code", "rep_lon", "rep_lat", "rep_srid",
              "rep_scale")


def _town_rows(plan: dict[str, tuple[Place, list[Town]]]) -> tuple[list[tuple], list[tuple]]:
    """(town rows, detail rows: lg_code, machiaza_id, rsdt flag, block letters, lon, lat)."""
    rows, detail = [], []
    for lg, (p, towns) in plan.items():
        lat0, lon0 = PREF_CENTRES[p.pref_code]
        crng = _rng("city", lg)
        clat, clon = lat0 + _offset(crng, 0.4), lon0 + _offset(crng, 0.5)
        base = {"lg_code": lg, "pref": p.pref, "pref_kana": p.pref_kana, "county": p.county, "city": p.city,
                "ward": p.ward, "status_flg": "1", "efct_date": "1970-01-01", "src_code": "0"}
        for i, t in enumerate(towns, start=1):
            rng = _rng("town", lg, t.name)
            tlat, tlon = clat + _offset(rng, 0.03), clon + _offset(rng, 0.03)
            flg = "1" if t.rsdt else "0"
            common = {**base, "oaza_cho": t.name, "rsdt_addr_flg": flg, "rsdt_addr_mtd_code": flg,
                      "post_code": f"{int(lg[:2]) * 20000 + i * 7 % 100000:07d}", "rep_srid": "EPSG:6668",
                      "rep_scale": "2500"}
            units: list[tuple[str, dict]] = []
            if t.chome:
                units += [(f"{i:04d}{c:03d}", {"machiaza_type": "2", "chome": f"{kanji_number(c)}丁目",
                                                "chome_number": str(c)}) for c in t.chome]
            else:
                units.append((f"{i:04d}000", {"machiaza_type": "1"}))
            units += [(f"{i:04d}{100 + j:03d}", {"machiaza_type": "3", "koaza": k, "koaza_aka_code": "0"})
                      for j, k in enumerate(t.koaza, start=1)]
            if t.street:
                units.append((f"{i:04d}101", {"machiaza_type": "3", "koaza": t.street, "koaza_aka_code": "2"}))
            for j, (mid, extra) in enumerate(units):
                row = {**common, **extra, "machiaza_id": mid,
                       "rep_lat": f"{tlat + j * 0.002:.6f}", "rep_lon": f"{tlon + j * 0.002:.6f}"}
                rows.append(tuple(row.get(c) for c in _TOWN_COLS))
                detail.append((lg, mid, t.rsdt, t.block_letters, tlon + j * 0.002, tlat + j * 0.002))
        # an abolished town, kept by ABR with its 廃止日: never the answer when a current one exists
        if towns:
            old = {**base, "machiaza_id": f"{len(towns) + 1:04d}000", "machiaza_type": "1",
                   "oaza_cho": towns[0].name, "rsdt_addr_flg": "0", "rsdt_addr_mtd_code": "0",
                   "ablt_date": "2001-04-01", "status_flg": "1"}
            rows.append(tuple(old.get(c) for c in _TOWN_COLS))
    return rows, detail


_DETAIL_SQL = {
    # 街区: 2..13 per 住居表示 町字 (letters where the town uses them), 住居 1..8 per 街区 (some with 住居番号2)
    "abr_blocks": """
        SELECT lg_code, machiaza_id, lpad(CAST(b AS VARCHAR), 3, '0') AS blk_id,
               CASE WHEN letters THEN chr(64 + CAST(b AS INTEGER)) ELSE CAST(b AS VARCHAR) END AS blk_num,
               lon + b * 0.0004 AS rep_lon, lat + b * 0.0003 AS rep_lat
        FROM (SELECT *, unnest(range(1, CAST(3 + hash(lg_code, machiaza_id) % 12 AS BIGINT))) AS b
              FROM detail WHERE rsdt)""",
    "abr_residences": """
        SELECT b.lg_code, b.machiaza_id, b.blk_id, lpad(CAST(r AS VARCHAR), 3, '0') AS rsdt_id,
               CASE WHEN r % 11 = 0 THEN '001' ELSE '' END AS rsdt2_id, b.blk_num, CAST(r AS VARCHAR) AS rsdt_num,
               CASE WHEN r % 11 = 0 THEN '1' END AS rsdt_num2, b.rep_lon + r * 0.00003 AS rep_lon,
               b.rep_lat + r * 0.00002 AS rep_lat
        FROM (SELECT *, unnest(range(1, CAST(2 + hash(lg_code, machiaza_id, blk_id) % 8 AS BIGINT))) AS r
              FROM abr_blocks) b""",
    # 地番: 1..40 per 地番 町字, every third with a 枝番; one in four without a representative point
    "abr_parcels": """
        SELECT lg_code, machiaza_id,
               lpad(CAST(p AS VARCHAR), 5, '0') || lpad(CAST(CASE WHEN p % 3 = 0 THEN p % 7 + 1 ELSE 0 END AS VARCHAR),
                                                       5, '0') || '00000' AS prc_id,
               CAST(p AS VARCHAR) AS prc_num1, CASE WHEN p % 3 = 0 THEN CAST(p % 7 + 1 AS VARCHAR) END AS prc_num2,
               CAST(NULL AS VARCHAR) AS prc_num3,
               CASE WHEN p % 4 <> 0 THEN lon + p * 0.0001 END AS rep_lon,
               CASE WHEN p % 4 <> 0 THEN lat + p * 0.0001 END AS rep_lat
        FROM (SELECT *, unnest(range(1, CAST(2 + hash(lg_code, machiaza_id) % 40 AS BIGINT))) AS p
              FROM detail WHERE NOT rsdt)""",
}


def build(con, machiaza: int = 200_000, *, detail: bool = True) -> dict[str, int]:
    """Create ``abr_prefs``, ``abr_cities``, ``abr_towns`` (+ ``abr_blocks``, ``abr_residences``,
    ``abr_parcels`` when ``detail``) in ``con``; returns row counts."""
    plan = town_plan(machiaza)
    rows, det = _town_rows(plan)
    town_tbl = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(_TOWN_COLS)})
    con.register("_synth_towns", town_tbl)
    con.execute("""CREATE OR REPLACE TABLE abr_towns AS SELECT * REPLACE (CAST(rep_lon AS DOUBLE) AS rep_lon,
                   CAST(rep_lat AS DOUBLE) AS rep_lat, CAST(efct_date AS DATE) AS efct_date,
                   CAST(ablt_date AS DATE) AS ablt_date) FROM _synth_towns""")
    con.unregister("_synth_towns")
    prefs, cities = [], []
    for lg, (p, _t) in plan.items():
        lat0, lon0 = PREF_CENTRES[p.pref_code]
        crng = _rng("city", lg)
        cities.append((lg, p.pref, p.county, p.city, p.ward, lon0 + _offset(crng, 0.5), lat0 + _offset(crng, 0.4)))
        prefs.append((p.pref_code, p.pref, lon0, lat0))
    city_cols = ("lg_code", "pref", "county", "city", "ward", "rep_lon", "rep_lat")
    con.register("_synth_cities", pa.table({c: [r[i] for r in cities] for i, c in enumerate(city_cols)}))
    con.execute("CREATE OR REPLACE TABLE abr_cities AS SELECT *, 'EPSG:6668' AS rep_srid, "
                "CAST(NULL AS DATE) AS ablt_date FROM _synth_cities")
    con.unregister("_synth_cities")
    pref_rows = sorted(set(prefs))
    con.register("_synth_prefs", pa.table({
        "lg_code": [_pref_lg(p[0]) for p in pref_rows], "pref": [p[1] for p in pref_rows],
        "rep_lon": [p[2] for p in pref_rows], "rep_lat": [p[3] for p in pref_rows]}))
    con.execute("CREATE OR REPLACE TABLE abr_prefs AS SELECT *, 'EPSG:6668' AS rep_srid, "
                "CAST(NULL AS DATE) AS ablt_date FROM _synth_prefs")
    con.unregister("_synth_prefs")
    counts = {"abr_prefs": len(pref_rows), "abr_cities": len(cities), "abr_towns": len(rows)}
    if detail:
        con.register("_synth_detail", pa.table({
            "lg_code": [d[0] for d in det], "machiaza_id": [d[1] for d in det], "rsdt": [d[2] for d in det],
            "letters": [d[3] for d in det], "lon": [d[4] for d in det], "lat": [d[5] for d in det]}))
        con.execute("CREATE OR REPLACE TEMP VIEW detail AS SELECT * FROM _synth_detail")
        for table, sql in _DETAIL_SQL.items():
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT *, 'EPSG:6668' AS rep_srid, "
                        f"CAST(NULL AS DATE) AS ablt_date FROM ({sql})")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute("DROP VIEW detail")
        con.unregister("_synth_detail")
    return counts


def _pref_lg(code: str) -> str:
    d = [int(x) for x in code + "000"]
    s = sum(w * x for w, x in zip((6, 5, 4, 3, 2), d, strict=True))
    return f"{code}000{(11 - s % 11) % 10}"


_FILES = {  # file stem -> (layout, SQL producing its columns from the built tables)
    "mt_pref_all": ("pref", "SELECT lg_code, pref, '1947-04-17' AS efct_date FROM abr_prefs"),
    "mt_pref_pos_all": ("pref_pos", "SELECT lg_code, rep_lon, rep_lat, rep_srid, '25000' AS rep_scale FROM abr_prefs"),
    "mt_city_all": ("city", "SELECT lg_code, pref, county, city, ward, '1970-01-01' AS efct_date FROM abr_cities"),
    "mt_city_pos_all": ("city_pos", "SELECT lg_code, rep_lon, rep_lat, rep_srid, '25000' AS rep_scale FROM abr_cities"),
    "mt_town_all": ("town", "SELECT * EXCLUDE (rep_lon, rep_lat, rep_srid, rep_scale) FROM abr_towns"),
    "mt_town_pos_all": ("town_pos", "SELECT lg_code, machiaza_id, rsdt_addr_flg, rep_lon, rep_lat, rep_srid, rep_scale "
                                    "FROM abr_towns WHERE ablt_date IS NULL"),
    "mt_rsdtdsp_blk_all": ("rsdtdsp_blk", """
        SELECT b.lg_code, b.machiaza_id, b.blk_id, t.city, t.ward, t.oaza_cho, t.chome, t.koaza, b.blk_num,
               '1' AS rsdt_addr_flg, '1' AS rsdt_addr_mtd_code, '1' AS status_flg, '1970-01-01' AS efct_date
        FROM abr_blocks b JOIN abr_towns t USING (lg_code, machiaza_id)"""),
    "mt_rsdtdsp_blk_pos_all": ("rsdtdsp_blk_pos", "SELECT lg_code, machiaza_id, blk_id, '1' AS rsdt_addr_flg, "
                                                  "rep_lon, rep_lat, rep_srid, '500' AS rep_scale FROM abr_blocks"),
    "mt_rsdtdsp_rsdt_all": ("rsdtdsp_rsdt", """
        SELECT r.lg_code, r.machiaza_id, r.blk_id, r.rsdt_id, r.rsdt2_id, t.city, t.ward, t.oaza_cho, t.chome,
               t.koaza, r.blk_num, r.rsdt_num, r.rsdt_num2, '1' AS basic_rsdt_div, '1' AS rsdt_addr_flg,
               '1' AS rsdt_addr_mtd_code, '1' AS status_flg, '1970-01-01' AS efct_date
        FROM abr_residences r JOIN abr_towns t USING (lg_code, machiaza_id)"""),
    "mt_rsdtdsp_rsdt_pos_all": ("rsdtdsp_rsdt_pos", "SELECT lg_code, machiaza_id, blk_id, rsdt_id, rsdt2_id, "
                                                    "'1' AS rsdt_addr_flg, rep_lon, rep_lat, rep_srid, "
                                                    "'500' AS rep_scale FROM abr_residences"),
    "mt_parcel_all": ("parcel", """
        SELECT p.lg_code, p.machiaza_id, p.prc_id, t.city, t.ward, t.oaza_cho, t.chome, t.koaza, p.prc_num1,
               p.prc_num2, p.prc_num3, '0' AS rsdt_addr_flg, '1970-01-01' AS efct_date
        FROM abr_parcels p JOIN abr_towns t USING (lg_code, machiaza_id)"""),
    "mt_parcel_pos_all": ("parcel_pos", "SELECT lg_code, machiaza_id, prc_id, rep_lon, rep_lat, rep_srid, "
                                        "'500' AS rep_scale FROM abr_parcels WHERE rep_lon IS NOT NULL"),
}


def write_files(con, out_dir: str | Path) -> list[Path]:
    """Write the tables built by :func:`build` as published ``mt_*.csv.zip`` files (official headers, UTF-8)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    written = []
    for stem, (layout, sql) in _FILES.items():
        if any(t not in existing for t in _tables_of(sql)):
            continue
        header = HEADERS[layout]
        cols = {r[0] for r in con.execute(f"DESCRIBE {sql}").fetchall()}
        select = ", ".join(f'"{c}"' if c in cols else f"NULL AS \"{c}\"" for c in header)
        csv_path = out / f"{stem}.csv"
        con.execute(f"COPY (SELECT {select} FROM ({sql})) TO '{csv_path}' (FORMAT csv, HEADER true)")
        target = out / f"{stem}.csv.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(csv_path, f"{stem}.csv")
        csv_path.unlink()
        written.append(target)
    return written


def _tables_of(sql: str) -> list[str]:
    return [t for t in ("abr_prefs", "abr_cities", "abr_towns", "abr_blocks", "abr_residences", "abr_parcels")
            if t in sql]


def main(argv: list[str] | None = None) -> None:
    from kiban.duck import connect

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--machiaza", type=int, default=200_000)
    ap.add_argument("--no-detail", action="store_true")
    args = ap.parse_args(argv)
    con = connect()
    print(build(con, args.machiaza, detail=not args.no_detail))
    for p in write_files(con, args.out):
        print(p)


if __name__ == "__main__":
    main()
