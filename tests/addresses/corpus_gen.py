"""Write the address test corpus: ``python tests/addresses/corpus_gen.py > tests/addresses/corpus.tsv``.

Addresses are written the way people and registries write them, over every prefecture, from the 町字, 街区, 住居
and 地番 of the synthetic ABR at :data:`SCALE` (``registries.abr.synth``): real prefecture and municipality
names, synthetic 町字. Each line is rendered with one of the variants below, and its expectation (lg_code,
machiaza_id, level) is read from the ABR facts -- which 街区/住居/地番 exist -- never from the matcher.
Hand-written cases (京都の通り名, a ward without its city, ambiguity, unknown text) follow the generated ones.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiban.duck import connect  # noqa: E402
from registries.abr import synth  # noqa: E402

SCALE = 10_000
_FW = str.maketrans("0123456789-", "０１２３４５６７８９－")
_BUILDINGS = ("サンハイツ２０１号室", "第２青葉ビル３Ｆ", "メゾン桜 101", "グランドタワー１５階", "　コーポ山田Ａ棟",
              "（株）サンプル商会内", "ハイム緑ヶ丘 ２０３", "市役所別館")
_DASHES = ("－", "ー", "‐", "–", "−", "―")
_OLD = {"崎": "﨑", "高": "髙", "辺": "邊", "沢": "澤", "竜": "龍", "浜": "濱", "国": "國", "桜": "櫻", "広": "廣"}
_NEW = {"﨑": "崎", "髙": "高", "邉": "辺", "邊": "辺", "澤": "沢", "龍": "竜", "濱": "浜", "國": "国", "櫻": "桜",
        "廣": "広", "齋": "斎", "德": "徳", "槇": "槙", "眞": "真", "嶋": "島", "峯": "峰", "舘": "館", "冨": "富",
        "藪": "薮", "瀧": "滝", "黑": "黒", "淸": "清", "惠": "恵", "檜": "桧"}
VARIANTS = ("canonical", "full_width", "arabic_dash", "kanji_numerals", "no_prefecture", "dash_lookalike",
            "building", "oaza_prefix", "ke_variant", "itaiji", "no_separator", "spaces", "postal_code",
            "no_particle", "half_width_kana", "no_numbers", "unknown_number")


def kanji(n: int) -> str:
    return synth.kanji_number(n) if n < 100 else str(n)


def _facts(con) -> list[dict]:
    """One row per 町字 with one 住居 (or 街区) or 地番 that exists, for every municipality."""
    rows = con.execute("""
        WITH t AS (SELECT * FROM abr_towns WHERE ablt_date IS NULL),
        r AS (SELECT lg_code, machiaza_id, min_by(blk_num || '-' || rsdt_num, hash(machiaza_id, blk_id, rsdt_id)) AS rs
              FROM abr_residences WHERE coalesce(rsdt_num2, '') = '' GROUP BY ALL),
        p AS (SELECT lg_code, machiaza_id, min_by(concat_ws('-', prc_num1, prc_num2), hash(machiaza_id, prc_id)) AS pr
              FROM abr_parcels GROUP BY ALL)
        SELECT t.lg_code, t.machiaza_id, t.machiaza_type, t.pref, t.county, t.city, t.ward, t.oaza_cho, t.chome,
               t.chome_number, t.koaza, t.koaza_aka_code, t.rsdt_addr_flg, r.rs, p.pr
        FROM t LEFT JOIN r USING (lg_code, machiaza_id) LEFT JOIN p USING (lg_code, machiaza_id)
        ORDER BY t.lg_code, t.machiaza_id""").fetchall()
    cols = ("lg_code", "machiaza_id", "machiaza_type", "pref", "county", "city", "ward", "oaza_cho", "chome",
            "chome_number", "koaza", "koaza_aka_code", "rsdt_addr_flg", "rs", "pr")
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _unique_without_pref(facts: list[dict]) -> set[str]:
    """Municipality names (city + ward) that exist in one prefecture only."""
    seen: dict[str, set[str]] = {}
    for f in facts:
        seen.setdefault(f["city"] + (f["ward"] or ""), set()).add(f["lg_code"][:2])
    return {k for k, v in seen.items() if len(v) == 1}


def render(f: dict, variant: str, rng: random.Random, unique: set[str]) -> tuple[str, str]:
    """(address as written, expected level)."""
    nums = f["rs"] if f["rsdt_addr_flg"] == "1" and f["rs"] else f["pr"]
    level = ("residential_detail" if f["rsdt_addr_flg"] == "1" and f["rs"] else "parcel") if nums else (
        "machiaza" if f["machiaza_type"] == "1" else "machiaza_detail")
    nums = nums or ""
    a, _, b = nums.partition("-")
    pref, city = f["pref"], (f["county"] or "") + f["city"] + (f["ward"] or "")
    oaza, chome, koaza = f["oaza_cho"] or "", f["chome"] or "", f["koaza"] or ""
    town = oaza + chome + koaza
    if f["koaza_aka_code"] == "2":
        town = koaza + oaza
    tail = (f"{a}番{b}号" if b else f"{a}番地") if nums else ""
    if variant == "full_width":
        tail = tail.translate(_FW)
    elif variant == "arabic_dash" and f["chome_number"]:
        town, tail = oaza + koaza, f"{f['chome_number']}-{nums}" if nums else f"{f['chome_number']}丁目"
    elif variant == "arabic_dash":
        tail = nums
    elif variant == "kanji_numerals" and nums:
        tail = f"{kanji(int(a))}番{'の' + kanji(int(b)) if b else '地'}" if a.isdigit() else tail
    elif variant == "dash_lookalike" and nums:
        tail = nums.replace("-", rng.choice(_DASHES)).translate(_FW)
    elif variant == "building":
        tail = (nums if nums else tail) + rng.choice(_BUILDINGS)
    elif variant == "oaza_prefix" and f["machiaza_type"] == "3" and oaza and f["koaza_aka_code"] != "2":
        town = "大字" + oaza + "字" + koaza
    elif variant == "oaza_prefix" and f["machiaza_type"] == "1" and not oaza.startswith("大字"):
        town = "大字" + oaza
    elif variant == "oaza_prefix" and oaza.startswith("大字"):
        town = oaza.removeprefix("大字") + chome + koaza
    elif variant == "ke_variant":
        town = town.replace("ケ", "ヶ").replace("が", "ヶ") if ("ケ" in town or "が" in town) else town
        city = city.replace("ケ", "ヶ")
    elif variant == "itaiji":
        swapped = "".join(_NEW.get(c, c) for c in town)
        town = swapped if swapped != town else "".join(_OLD.get(c, c) for c in town)
    elif variant == "no_separator" and nums and b:
        tail = f"{a}の{b}"
    elif variant == "spaces":
        pref, city, town = pref + " ", city + "　", town + " "
    elif variant == "postal_code":
        pref = f"〒{rng.randint(100, 999)}-{rng.randint(0, 9999):04d} " + pref
    elif variant == "no_particle" and nums:
        tail = nums.translate(_FW) + "番地" if not b else f"{a}番地{b}"
    elif variant == "half_width_kana":
        town = town.replace("ケ", "ｹ").replace("ノ", "ﾉ").replace("ツ", "ﾂ")
    elif variant == "no_numbers":
        tail, level = "", "machiaza" if f["machiaza_type"] == "1" else "machiaza_detail"
    elif variant == "unknown_number":
        tail, level = "9999番地", "machiaza" if f["machiaza_type"] == "1" else "machiaza_detail"
    if variant == "no_prefecture" and (f["city"] + (f["ward"] or "")) in unique:
        pref = ""
    return pref + city + town + tail, level


def generate() -> list[tuple[str, str, str, str, str]]:
    con = connect()
    synth.build(con, SCALE)
    facts = _facts(con)
    unique = _unique_without_pref(facts)
    rng = random.Random(14)
    by_pref: dict[str, list[dict]] = {}
    for f in facts:
        by_pref.setdefault(f["lg_code"][:2], []).append(f)
    out = []
    k = 0
    for pref_code in sorted(by_pref):
        candidates = by_pref[pref_code]
        picks = rng.sample(candidates, min(7, len(candidates)))
        for f in picks:
            variant = VARIANTS[k % len(VARIANTS)]
            k += 1
            text, level = render(f, variant, rng, unique)
            out.append((text, f["lg_code"], f["machiaza_id"], level, variant))
    return out + [tuple(c) for c in HAND_WRITTEN]


#: cases written by hand: (input, lg_code, machiaza_id, level, what it shows); machiaza_id '' = none
HAND_WRITTEN = (
    ("北区上賀茂女夫岩町", "261017", "0002000", "machiaza", "ward_without_city"),
    ("北区赤羽二丁目", "131172", "0001002", "machiaza_detail", "ward_without_city"),
    ("北区", "131172", "", "city", "ward_without_city"),
    ("京都市北区紫竹西北町", "261017", "0003000", "machiaza", "designated_city"),
    ("京都市紫竹西北町", "261017", "0003000", "machiaza", "designated_city_without_ward"),
    ("京都府京都市上京区小川通今出川下る針屋町", "261025", "0001101", "machiaza_detail", "kyoto_street"),
    ("上京区寺町通石薬師下る染殿町", "261025", "0003101", "machiaza_detail", "kyoto_street"),
    ("京都市上京区丸太町通黒門東入針屋町", "261025", "0001000", "machiaza", "kyoto_street_unknown"),
    ("札幌市北区北２４条西７丁目", "011029", "0001007", "machiaza_detail", "jo_chome"),
    ("北海道札幌市北区北二十四条西七丁目", "011029", "0001007", "machiaza_detail", "jo_chome"),
    ("札幌市中央区南２条西１０丁目", "011011", "0001010", "machiaza_detail", "jo_chome"),
    ("岩手県胆沢郡金ｹ崎町西根大谷 金ケ崎小学校", "033812", "0001101", "machiaza_detail", "county_koaza"),
    ("金ケ崎町西根字大谷", "033812", "0001101", "machiaza_detail", "county_omitted"),
    ("岐阜県不破郡関ヶ原町関ヶ原", "213624", "0001000", "machiaza", "oaza_prefix_in_registry"),
    ("竜ヶ崎市松葉二丁目", "082082", "0002002", "machiaza_detail", "itaiji_city"),
    ("茨城県龍ケ崎市藤ヶ丘３丁目", "082082", "0001003", "machiaza_detail", "ke_variant"),
    ("東京都千代田区霞ヶ関", "131016", "", "city", "oaza_with_chome_only"),
    ("東京都千代田区霞が関三丁目", "131016", "0002003", "machiaza_detail", "chome"),
    ("東京都千代田区霞ケ関3", "131016", "0002003", "machiaza_detail", "chome_bare_number"),
    ("千代田区永田町２－", "131016", "0005002", "machiaza_detail", "chome_dash"),
    ("宮崎県宮崎市宮崎町", "452017", "0001000", "machiaza", "itaiji_town"),
    ("宮崎市宮﨑町", "452017", "0001000", "machiaza", "itaiji_town"),
    ("千葉県旭市ハ", "122157", "0001000", "machiaza", "one_character_town"),
    ("春日部市八丁目", "112143", "0001000", "machiaza", "numeral_in_town_name"),
    ("香川県高松市番町三丁目", "372013", "0001003", "machiaza_detail", "bancho"),
    ("紀尾井町1-1", "131016", "0001000", "residential_detail", "town_without_municipality"),
    ("東京都紀尾井町", "131016", "0001000", "machiaza", "town_without_municipality"),
    ("今泉一丁目", "", "", "unknown", "town_without_municipality_ambiguous"),
    ("赤坂沢", "", "", "unknown", "town_without_municipality_ambiguous"),
    ("東京都", "", "", "prefecture", "prefecture_only"),
    ("東京都ほげ区", "", "", "prefecture", "unknown_city"),
    ("ほげほげ", "", "", "unknown", "unknown"),
    ("", "", "", "unknown", "empty"),
)


def main() -> None:
    print("# input\tlg_code\tmachiaza_id\tlevel\tvariant  (generated by tests/addresses/corpus_gen.py)")
    for row in generate():
        print("\t".join(row))


if __name__ == "__main__":
    main()
