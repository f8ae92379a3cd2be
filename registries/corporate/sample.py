"""Deterministic generator of the bundled 法人番号 sample data (``python -m registries.corporate.sample``).

Writes, in the exact official form (headerless 30-column CSV inside a zip named like it; text fields quoted,
codes/dates unquoted; ``""`` escapes):

- ``00_zenkoku_all_20261030.zip``        全件 (全国), CSV・Unicode (UTF-8, no BOM, LF)
- ``sjis/00_zenkoku_all_20261030.zip``   the same rows as CSV・Shift-JIS (CP932, CRLF), same official name
- ``diff_20261102.zip`` … ``diff_20261105.zip``  daily 差分 (Kiban's naming; the official one is unconfirmed)
- ``00_zenkoku_all_20261130.zip``        the next 全件: the 差分 applied plus drift, for the reconciliation
- ``broken/diff_20261106.zip``           bad check digits (stages, fails the blocking rule)
- ``broken/01_hokkaido_all_20261030.zip`` a record with 29 columns (SourceError column_count)

Every prefecture (47) appears with its correct JIS X 0401/0402 codes (総務省 全国地方公共団体コード R6.1.1,
prefectural-capital cities; wards of designated cities), every code value of every code table appears, names
contain ①, ㈱ and half-width kana, and all corporate numbers carry valid check digits. Rows are synthetic.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from registries.corporate.checkdigit import make_corporate_number
from registries.corporate.csvform import format_row
from schemas.corporate import OFFICIAL_COLUMN_NAMES

FULL_DATE = "20261030"
NEXT_FULL_DATE = "20261130"
DIFF_DAYS = ("2026-11-02", "2026-11-04", "2026-11-05")
_ZIP_TIME = (2026, 10, 30, 0, 0, 0)

# (pref code, pref name, pref en, city code, city name, city en, city kana (half-width, as in the 総務省 file))
PREFECTURES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("01", "北海道", "Hokkaido", "101", "札幌市中央区", "Chuo ku, Sapporo shi", "ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ"),
    ("02", "青森県", "Aomori", "201", "青森市", "Aomori shi", "ｱｵﾓﾘｼ"),
    ("03", "岩手県", "Iwate", "201", "盛岡市", "Morioka shi", "ﾓﾘｵｶｼ"),
    ("04", "宮城県", "Miyagi", "101", "仙台市青葉区", "Aoba ku, Sendai shi", "ｾﾝﾀﾞｲｼｱｵﾊﾞｸ"),
    ("05", "秋田県", "Akita", "201", "秋田市", "Akita shi", "ｱｷﾀｼ"),
    ("06", "山形県", "Yamagata", "201", "山形市", "Yamagata shi", "ﾔﾏｶﾞﾀｼ"),
    ("07", "福島県", "Fukushima", "201", "福島市", "Fukushima shi", "ﾌｸｼﾏｼ"),
    ("08", "茨城県", "Ibaraki", "201", "水戸市", "Mito shi", "ﾐﾄｼ"),
    ("09", "栃木県", "Tochigi", "201", "宇都宮市", "Utsunomiya shi", "ｳﾂﾉﾐﾔｼ"),
    ("10", "群馬県", "Gumma", "201", "前橋市", "Maebashi shi", "ﾏｴﾊﾞｼｼ"),
    ("11", "埼玉県", "Saitama", "107", "さいたま市浦和区", "Urawa ku, Saitama shi", "ｻｲﾀﾏｼｳﾗﾜｸ"),
    ("12", "千葉県", "Chiba", "101", "千葉市中央区", "Chuo ku, Chiba shi", "ﾁﾊﾞｼﾁｭｳｵｳｸ"),
    ("13", "東京都", "Tokyo", "101", "千代田区", "Chiyoda ku", "ﾁﾖﾀﾞｸ"),
    ("14", "神奈川県", "Kanagawa", "104", "横浜市中区", "Naka ku, Yokohama shi", "ﾖｺﾊﾏｼﾅｶｸ"),
    ("15", "新潟県", "Niigata", "103", "新潟市中央区", "Chuo ku, Niigata shi", "ﾆｲｶﾞﾀｼﾁｭｳｵｳｸ"),
    ("16", "富山県", "Toyama", "201", "富山市", "Toyama shi", "ﾄﾔﾏｼ"),
    ("17", "石川県", "Ishikawa", "201", "金沢市", "Kanazawa shi", "ｶﾅｻﾞﾜｼ"),
    ("18", "福井県", "Fukui", "201", "福井市", "Fukui shi", "ﾌｸｲｼ"),
    ("19", "山梨県", "Yamanashi", "201", "甲府市", "Kofu shi", "ｺｳﾌｼ"),
    ("20", "長野県", "Nagano", "201", "長野市", "Nagano shi", "ﾅｶﾞﾉｼ"),
    ("21", "岐阜県", "Gifu", "201", "岐阜市", "Gifu shi", "ｷﾞﾌｼ"),
    ("22", "静岡県", "Shizuoka", "101", "静岡市葵区", "Aoi ku, Shizuoka shi", "ｼｽﾞｵｶｼｱｵｲｸ"),
    ("23", "愛知県", "Aichi", "106", "名古屋市中区", "Naka ku, Nagoya shi", "ﾅｺﾞﾔｼﾅｶｸ"),
    ("24", "三重県", "Mie", "201", "津市", "Tsu shi", "ﾂｼ"),
    ("25", "滋賀県", "Shiga", "201", "大津市", "Otsu shi", "ｵｵﾂｼ"),
    ("26", "京都府", "Kyoto", "102", "京都市上京区", "Kamigyo ku, Kyoto shi", "ｷｮｳﾄｼｶﾐｷﾞｮｳｸ"),
    ("27", "大阪府", "Osaka", "128", "大阪市中央区", "Chuo ku, Osaka shi", "ｵｵｻｶｼﾁｭｳｵｳｸ"),
    ("28", "兵庫県", "Hyogo", "110", "神戸市中央区", "Chuo ku, Kobe shi", "ｺｳﾍﾞｼﾁｭｳｵｳｸ"),
    ("29", "奈良県", "Nara", "201", "奈良市", "Nara shi", "ﾅﾗｼ"),
    ("30", "和歌山県", "Wakayama", "201", "和歌山市", "Wakayama shi", "ﾜｶﾔﾏｼ"),
    ("31", "鳥取県", "Tottori", "201", "鳥取市", "Tottori shi", "ﾄｯﾄﾘｼ"),
    ("32", "島根県", "Shimane", "201", "松江市", "Matsue shi", "ﾏﾂｴｼ"),
    ("33", "岡山県", "Okayama", "101", "岡山市北区", "Kita ku, Okayama shi", "ｵｶﾔﾏｼｷﾀｸ"),
    ("34", "広島県", "Hiroshima", "101", "広島市中区", "Naka ku, Hiroshima shi", "ﾋﾛｼﾏｼﾅｶｸ"),
    ("35", "山口県", "Yamaguchi", "203", "山口市", "Yamaguchi shi", "ﾔﾏｸﾞﾁｼ"),
    ("36", "徳島県", "Tokushima", "201", "徳島市", "Tokushima shi", "ﾄｸｼﾏｼ"),
    ("37", "香川県", "Kagawa", "201", "高松市", "Takamatsu shi", "ﾀｶﾏﾂｼ"),
    ("38", "愛媛県", "Ehime", "201", "松山市", "Matsuyama shi", "ﾏﾂﾔﾏｼ"),
    ("39", "高知県", "Kochi", "201", "高知市", "Kochi shi", "ｺｳﾁｼ"),
    ("40", "福岡県", "Fukuoka", "132", "福岡市博多区", "Hakata ku, Fukuoka shi", "ﾌｸｵｶｼﾊｶﾀｸ"),
    ("41", "佐賀県", "Saga", "201", "佐賀市", "Saga shi", "ｻｶﾞｼ"),
    ("42", "長崎県", "Nagasaki", "201", "長崎市", "Nagasaki shi", "ﾅｶﾞｻｷｼ"),
    ("43", "熊本県", "Kumamoto", "101", "熊本市中央区", "Chuo ku, Kumamoto shi", "ｸﾏﾓﾄｼﾁｭｳｵｳｸ"),
    ("44", "大分県", "Oita", "201", "大分市", "Oita shi", "ｵｵｲﾀｼ"),
    ("45", "宮崎県", "Miyazaki", "201", "宮崎市", "Miyazaki shi", "ﾐﾔｻﾞｷｼ"),
    ("46", "鹿児島県", "Kagoshima", "201", "鹿児島市", "Kagoshima shi", "ｶｺﾞｼﾏｼ"),
    ("47", "沖縄県", "Okinawa", "201", "那覇市", "Naha shi", "ﾅﾊｼ"),
)

PREFECTURE_KANA = tuple(
    ["ホッカイドウ", "アオモリケン", "イワテケン", "ミヤギケン", "アキタケン", "ヤマガタケン", "フクシマケン", "イバラキケン", "トチギケン", "グンマケン", "サイタマケン", "チバケン", "トウキョウト", "カナガワケン", "ニイガタケン", "トヤマケン", "イシカワケン", "フクイケン", "ヤマナシケン", "ナガノケン", "ギフケン", "シズオカケン", "アイチケン", "ミエケン", "シガケン", "キョウトフ", "オオサカフ", "ヒョウゴケン", "ナラケン", "ワカヤマケン", "トットリケン", "シマネケン", "オカヤマケン", "ヒロシマケン", "ヤマグチケン", "トクシマケン", "カガワケン", "エヒメケン", "コウチケン", "フクオカケン", "サガケン", "ナガサキケン", "クマモトケン", "オオイタケン", "ミヤザキケン", "カゴシマケン", "オキナワケン"]
)

_STEMS = (("桜", "サクラ", "Sakura"), ("山田", "ヤマダ", "Yamada"), ("富士", "フジ", "Fuji"),
          ("青葉", "アオバ", "Aoba"), ("大和", "ヤマト", "Yamato"), ("北星", "ホクセイ", "Hokusei"),
          ("みどり", "ミドリ", "Midori"), ("三和", "サンワ", "Sanwa"), ("若葉", "ワカバ", "Wakaba"),
          ("東洋", "トウヨウ", "Toyo"), ("光", "ヒカリ", "Hikari"), ("日進", "ニッシン", "Nisshin"))
_TRADES = (("商事", "ショウジ", "Trading"), ("建設", "ケンセツ", "Construction"), ("工業", "コウギョウ", "Industries"),
           ("食品", "ショクヒン", "Foods"), ("運輸", "ウンユ", "Transport"), ("不動産", "フドウサン", "Real Estate"),
           ("電機", "デンキ", "Electric"), ("製作所", "セイサクショ", "Works"), ("農園", "ノウエン", "Farm"))
_TOWNS = ("本町", "中央", "栄町", "東町", "西町", "南町", "北町", "駅前", "大手町", "元町")
# (法人種別, suffix, prefix?, 組織区分 in the 会社法人等番号)
_COMPANY_KINDS = (("301", "株式会社", True, "01"), ("301", "株式会社", False, "01"), ("302", "有限会社", False, "02"),
                  ("303", "合名会社", False, "03"), ("304", "合資会社", False, "04"), ("305", "合同会社", False, "05"),
                  ("399", "一般社団法人", True, "05"), ("401", "外国会社", False, "06"))


@dataclass(frozen=True)
class Corp:
    """One corporation's state, keyed by the contract column names (all text, '' = empty)."""

    v: dict[str, str]

    def with_(self, **changes: str) -> Corp:
        return replace(self, v={**self.v, **changes})


def _fw(n: int) -> str:
    """Full-width digits, as 国内所在地（丁目番地等） is published."""
    return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def _lg_code6(pref: str, city: str) -> str:
    d = [int(x) for x in pref + city]
    s = sum(w * x for w, x in zip((6, 5, 4, 3, 2), d, strict=True))
    return f"{pref}{city}{(11 - s % 11) % 10}"


def _blank() -> dict[str, str]:
    return dict.fromkeys(OFFICIAL_COLUMN_NAMES, "")


def _address(rng: random.Random, pref: tuple[str, ...]) -> dict[str, str]:
    code, pname, pen, ccode, cname, cen, _ = pref
    town = rng.choice(_TOWNS)
    chome, ban, go = rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 20)
    return {
        "prefecture_name": pname, "city_name": cname, "street_number": f"{town}{_fw(chome)}丁目{_fw(ban)}番{_fw(go)}号",
        "prefecture_code": code, "city_code": ccode,
        "post_code": "" if rng.random() < 0.1 else f"{code}{rng.randint(0, 99999):05d}",
        "en_prefecture_name": pen, "en_city_name": f"{ban}-{go}, {chome} chome, {cen}",
    }


def _assignment(rng: random.Random) -> str:
    return "2015-10-05" if rng.random() < 0.7 else f"20{rng.randint(16, 26)}-{rng.randint(1, 9):02d}-{rng.randint(10, 28)}"


def _company(rng: random.Random, pref: tuple[str, ...], serial: int) -> Corp:
    kind, suffix, prefix, org = rng.choice(_COMPANY_KINDS)
    stem, trade = rng.choice(_STEMS), rng.choice(_TRADES)
    body = f"{stem[0]}{trade[0]}"
    name = f"{suffix}{body}" if prefix else f"{body}{suffix}"
    v = _blank() | _address(rng, pref)
    assigned = _assignment(rng)
    v |= {
        "corporate_number": make_corporate_number(f"{pref[0]}{rng.randint(10, 99)}{org}{serial:06d}"),
        "process": "01", "correct": "0", "update_date": assigned, "change_date": assigned, "name": name,
        "kind": kind, "assignment_date": assigned, "latest": "1", "furigana": f"{stem[1]}{trade[1]}",
        "hihyoji": "0",
    }
    if rng.random() < 0.3 or kind == "401":
        v["en_name"] = f"{stem[2]} {trade[2]} {'Inc.' if kind == '401' else 'Co., Ltd.'}"
    return Corp(v)


def _government(pref: tuple[str, ...]) -> list[Corp]:
    code, pname, pen, ccode, cname, cen, ckana = pref
    local = _blank() | {
        "corporate_number": make_corporate_number(f"000020{_lg_code6(code, '000')}"), "process": "01",
        "correct": "0", "update_date": "2015-10-05", "change_date": "2015-10-05", "name": pname, "kind": "201",
        "prefecture_name": pname, "city_name": cname, "street_number": f"県庁前{_fw(1)}番{_fw(1)}号",
        "prefecture_code": code, "city_code": ccode, "assignment_date": "2015-10-05", "latest": "1",
        "en_name": f"{pen} Prefecture", "en_prefecture_name": pen, "en_city_name": f"1-1, {cen}",
        "furigana": PREFECTURE_KANA[int(code) - 1], "hihyoji": "0",
    }
    court = local | {
        "corporate_number": make_corporate_number(f"0000130{int(code):05d}"), "name": f"{cname}簡易裁判所",
        "kind": "101", "en_name": f"{cen.split(',')[-1].strip().title()} Summary Court",
        "furigana": unicodedata.normalize("NFKC", ckana) + "カンイサイバンショ",
    }
    return [Corp(local), Corp(court)]


def build_corporations(seed: int = 20261030) -> list[Corp]:
    """The corporations of the 全件 file as of 2026-10-30: 6 per prefecture plus special cases."""
    rng = random.Random(seed)
    corps: list[Corp] = []
    serial = 1
    for pref in PREFECTURES:
        corps.extend(_government(pref))
        for _ in range(4):
            corps.append(_company(rng, pref, serial))
            serial += 1
    return _special_cases(corps, rng)


def _special_cases(corps: list[Corp], rng: random.Random) -> list[Corp]:
    """Cover every code value and the awkward characters on deterministic rows."""
    c = corps
    companies = [i for i, x in enumerate(c) if x.v["kind"] not in ("101", "201")]
    i = iter(companies)
    c[next(i)] = c[companies[0]].with_(kind="301", name="株式会社サンプル①号館", furigana="サンプルイチゴウカン")
    c[next(i)] = c[companies[1]].with_(kind="301", name="㈱表記テスト商会", furigana="ヒョウキテストショウカイ")
    c[next(i)] = c[companies[2]].with_(kind="302", name="ﾏﾙｲﾁ商店有限会社", furigana="マルイチショウテン")
    c[next(i)] = c[companies[3]].with_(kind="301", name="株式会社さくら貿易",
                                       en_name='Kabushiki Kaisha "Sakura" Trading', furigana="サクラボウエキ")
    c[next(i)] = c[companies[4]].with_(en_name='"Aoba" & "Wakaba" Holdings, Ltd.')
    k = next(i)
    c[k] = c[k].with_(process="11", update_date="2021-04-01", change_date="2021-03-25", latest="1")
    k = next(i)
    c[k] = c[k].with_(process="12", update_date="2022-06-01", change_date="2022-05-20")
    k = next(i)  # closed: 清算の結了等
    c[k] = c[k].with_(process="21", update_date="2023-02-01", close_date="2023-01-27", close_cause="01")
    k = next(i)  # closed by the registrar
    c[k] = c[k].with_(process="21", update_date="2024-03-01", close_date="2024-02-22", close_cause="21")
    k = next(i)
    c[k] = c[k].with_(process="21", update_date="2024-09-02", close_date="2024-08-30", close_cause="31")
    k = next(i)  # revived
    c[k] = c[k].with_(process="22", update_date="2025-01-10", change_date="2025-01-08")
    survivor = c[next(i)]
    k = next(i)  # merged away into survivor
    c[k] = c[k].with_(process="71", update_date="2025-04-01", change_date="2025-04-01", close_date="2025-04-01",
                      close_cause="11", successor_corporate_number=survivor.v["corporate_number"],
                      change_cause="吸収合併により解散")
    k = next(i)
    c[k] = c[k].with_(process="72", update_date="2025-07-01", change_date="2025-06-30")
    k = next(i)
    c[k] = c[k].with_(process="81", update_date="2025-08-01", change_date="2025-07-31")
    k = next(i)
    c[k] = c[k].with_(hihyoji="1", en_name="", furigana="")
    k = next(i)
    c[k] = c[k].with_(hihyoji="1", name_image_id="0000123456")
    k = next(i)
    c[k] = c[k].with_(process="11", correct="1", update_date="2020-02-03", change_date="2020-01-31")
    for kind in ("303", "304", "305", "399", "401", "499"):
        k = next(i)
        c[k] = c[k].with_(kind=kind)
    # 国外: no domestic address, codes empty, 国外所在地 set (process 13 = its latest change).
    base = _blank() | {
        "process": "13", "correct": "0", "update_date": "2024-05-01", "change_date": "2024-04-25", "kind": "401",
        "assignment_date": "2016-03-01", "latest": "1", "hihyoji": "0",
    }
    c.append(Corp(base | {
        "corporate_number": make_corporate_number("700150000001"), "name": "グローバル・サンプル・インク",
        "address_outside": "アメリカ合衆国カリフォルニア州サンノゼ市ファーストストリート１００",
        "en_name": "Global Sample, Inc.", "en_address_outside": "100 First Street, San Jose, CA, U.S.A.",
        "furigana": "グローバルサンプルインク"}))
    c.append(Corp(base | {
        "corporate_number": make_corporate_number("700150000002"), "name": "サンプル・ゲーエムベーハー",
        "kind": "499", "address_outside": "ドイツ連邦共和国ベルリン市", "process": "01", "update_date": "2016-03-01",
        "change_date": "2016-03-01", "en_address_outside": "Berlin, Germany", "furigana": "サンプルゲーエムベーハー"}))
    return c


# ---------------------------------------------------------------------------------------------------------
# CSV form
# ---------------------------------------------------------------------------------------------------------

def to_csv(rows: list[dict[str, str]], newline: str = "\n") -> str:
    return "".join(format_row(n, r) + newline for n, r in enumerate(rows, start=1))


def write_zip(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """A zip named like the CSV inside it, with fixed timestamps (byte-reproducible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo(f"{path.stem}.csv", date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, text.encode(encoding))
    return path


def build_diffs(corps: list[Corp]) -> dict[str, list[dict[str, str]]]:
    """Three daily 差分 files: new corporations, changes, closures, a merger, a correction, a deletion."""
    rng = random.Random(20261102)
    by_pref = {p[0]: p for p in PREFECTURES}
    live = [c for c in corps if c.v["kind"] not in ("101", "201") and not c.v["close_date"] and c.v["prefecture_code"]]
    d1, d2, d3 = DIFF_DAYS

    def ev(c: Corp, day: str, **changes: str) -> dict[str, str]:
        return c.v | {"update_date": day, "change_date": changes.pop("change_date", day), "correct": "0",
                      "latest": "1"} | changes

    new = [_company(rng, by_pref[p], 900000 + n) for n, p in enumerate(("13", "27", "23", "40", "01"))]
    new = [c.with_(process="01", update_date=d1, change_date="2026-10-29", assignment_date=d1) for c in new]
    day1 = [c.v for c in new]
    day1.append(ev(live[30], d1, process="11", name=f"{live[30].v['name']}ホールディングス",
                   change_date="2026-10-28"))
    day1.append(ev(live[31], d1, process="12", **{k: v for k, v in _address(rng, by_pref["14"]).items()}))
    day1.append(ev(live[32], d1, process="11", name="株式会社ｻﾝﾌﾟﾙ㈱①", furigana="サンプル"))
    twice = live[33]  # two events on one day: the first is history (latest=0)
    day2 = [
        ev(twice, d2, process="11", name=f"{twice.v['name']}第一", latest="0", change_date="2026-10-30"),
        ev(twice, d2, process="12", name=f"{twice.v['name']}第一", change_date="2026-11-01",
           **_address(rng, by_pref[twice.v["prefecture_code"]])),
        ev(live[34], d2, process="21", close_date="2026-10-31", close_cause="01"),
        ev(live[35], d2, process="21", close_date="2026-11-01", close_cause="21"),
        ev(live[36], d2, process="21", close_date="2026-11-02", close_cause="31"),
        ev(live[37], d2, process="71", close_date="2026-11-01", close_cause="11",
           successor_corporate_number=live[38].v["corporate_number"], change_cause="吸収合併により解散"),
        # correction (訂正) of the 11/02 name change
        ev(live[30], d2, process="11", correct="1", name=f"{live[30].v['name']}ＨＤ", change_date="2026-10-28"),
    ]
    day3 = [
        ev(new[4], d3, process="99"),
        ev(live[34], d3, process="22", change_date="2026-11-05"),
        ev(live[37], d3, process="72", change_date="2026-11-04"),
        ev(live[39], d3, process="81", change_date="2026-11-04"),
        ev(live[40], d3, process="13", address_outside="大韓民国ソウル特別市", en_address_outside="Seoul, Korea"),
    ]
    for row in day3[1:3]:
        row.update(close_date="", close_cause="", successor_corporate_number="", change_cause="")
    return {d.replace("-", ""): rows for d, rows in zip(DIFF_DAYS, (day1, day2, day3), strict=True)}


def build_next_full(corps: list[Corp], diffs: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    """The next month's 全件: October's rows with the 差分 applied, plus drift that no 差分 we hold explains.

    Drift, so that reconciling the diff-built state against this file shows every status: one name change whose
    差分 was never received (differs), one corporation that only appears here (missing from the state) and one
    the NTA file no longer lists (extra in the state).
    """
    state = {c.v["corporate_number"]: dict(c.v) for c in corps}
    for day in sorted(diffs):
        for row in diffs[day]:
            if row["latest"] != "1":
                continue
            if row["process"] == "99":
                state.pop(row["corporate_number"], None)
            else:
                state[row["corporate_number"]] = dict(row) | {"correct": "0"}
    rng = random.Random(20261130)
    by_pref = {p[0]: p for p in PREFECTURES}
    live = [r for r in state.values() if r["kind"] == "301" and not r["close_date"]]
    drifted = live[len(live) // 2]
    state[drifted["corporate_number"]] = drifted | {
        "process": "11", "update_date": "2026-11-20", "change_date": "2026-11-18",
        "name": drifted["name"].replace("株式会社", "") + "合同会社", "kind": "305"}
    unseen = _company(rng, by_pref["47"], 990001).with_(process="01", update_date="2026-11-25",
                                                         change_date="2026-11-24", assignment_date="2026-11-25")
    state[unseen.v["corporate_number"]] = dict(unseen.v)
    del state[live[len(live) // 2 + 1]["corporate_number"]]
    return sorted(state.values(), key=lambda r: (r["prefecture_code"] or "99", r["corporate_number"]))


def generate(out: Path) -> list[Path]:
    """Write every sample file under ``out``; returns the paths written."""
    corps = build_corporations()
    rows = [c.v for c in corps]
    written = [
        write_zip(out / f"00_zenkoku_all_{FULL_DATE}.zip", to_csv(rows)),
        write_zip(out / "sjis" / f"00_zenkoku_all_{FULL_DATE}.zip", to_csv(rows, "\r\n"), "cp932"),
    ]
    diffs = build_diffs(corps)
    for day, diff_rows in diffs.items():
        written.append(write_zip(out / f"diff_{day}.zip", to_csv(diff_rows)))
    written.append(write_zip(out / f"00_zenkoku_all_{NEXT_FULL_DATE}.zip", to_csv(build_next_full(corps, diffs))))
    bad = [dict(r) for r in rows[:8]]
    bad[2]["corporate_number"] = bad[2]["corporate_number"][1:] + "0"  # wrong check digit
    bad[5]["successor_corporate_number"] = "1234567890123"
    written.append(write_zip(out / "broken" / "diff_20261106.zip", to_csv(bad)))
    lines = to_csv(rows[:12]).splitlines(keepends=True)
    lines[6] = lines[6].rsplit(",", 1)[0] + "\n"  # record 7 loses its last column
    written.append(write_zip(out / "broken" / f"01_hokkaido_all_{FULL_DATE}.zip", "".join(lines)))
    return written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Generate the bundled 法人番号 sample files.")
    ap.add_argument("--out", type=Path, default=Path("samples/corporate"))
    args = ap.parse_args(argv)
    for p in generate(args.out):
        print(f"{p} {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
