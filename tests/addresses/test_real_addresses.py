"""Addresses as people really write them, against an ABR of real places in the published layouts.

The fixture (``real_abr.py``) writes the ABR files as published and loads them with the staging code of
``kiban ingest abr``; the cases are the variety the synthetic corpus does not have: 札幌's 条・丁目, 京都の通り名,
a ward without its city that only the 町字 places, 大字 and 小字 with 地番, 旧字体 in names, every dash, postal
codes, spaces, buildings, floors and rooms.
"""

from __future__ import annotations

import pytest

from kiban.addresses.service import match_many

CHIYODA, MINATO, SETAGAYA, KITA_TOKYO = "131016", "131032", "131121", "131172"
SAPPORO_CHUO, SAPPORO_KITA, HIGASHIKAGURA, KANEGASAKI = "011011", "011029", "014532", "033812"
KASUKABE, KYOTO_KITA, NAKAGYO, SHIMOGYO = "112143", "261017", "261041", "261068"
IKARUGA, HIROSHIMA_NAKA, FUKUOKA_CHUO, MIYAZAKI = "293440", "341011", "401331", "452017"
OBIHIRO, ASAHIKAWA, SAKAI_SAKAI = "012076", "012041", "271411"
OSAKASAYAMA, KANDA, TOYAMA, FUKUSHIMA_KU = "272311", "406210", "162019", "271039"
KITAHIROSHIMA_SHI, KITAHIROSHIMA_CHO, FUDAI, HACHIMANTAI = "012343", "343692", "034851", "032140"

RD, RB, PRC = "residential_detail", "residential_block", "parcel"
MA, MD, CITY, PREF, UNKNOWN = "machiaza", "machiaza_detail", "city", "prefecture", "unknown"

#: (address as written, lg_code, machiaza_id, match_level)
CASES: list[tuple[str, str | None, str | None, str]] = [
    # 千代田区 霞が関: 丁目 written every way, ヶ/ケ/が, widths, dashes
    ("東京都千代田区霞が関1丁目3番1号", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関一丁目3番1号", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞ヶ関1-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞ケ関1-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞ｹ関1-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関１－３－１", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関１ー３ー１", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1‐3‐1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1–3–1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1−3−1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1―3―1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1ｰ3ｰ1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関一丁目三番一号", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関一丁目三-一", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関二丁目1番2号", CHIYODA, "0007002", RD),
    ("東京都千代田区霞が関3-2-1", CHIYODA, "0007003", RD),
    ("東京都千代田区霞が関1丁目3番地1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3の1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3", CHIYODA, "0007001", RB),
    ("東京都千代田区霞が関1丁目", CHIYODA, "0007001", MD),
    ("東京都千代田区霞が関1", CHIYODA, "0007001", MD),
    ("千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("霞が関1-3-1", CHIYODA, "0007001", RD),
    ("東京都 千代田区 霞が関 1-3-1", CHIYODA, "0007001", RD),
    ("東京都　千代田区　霞が関１丁目３番１号", CHIYODA, "0007001", RD),
    ("東京都千代田区 霞が関 1 - 3 - 1", CHIYODA, "0007001", RD),
    ("〒100-8901 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("〒1008901東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("100-8901 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("〒１００－８９０１　東京都千代田区霞が関１－３－１", CHIYODA, "0007001", RD),
    # buildings, floors, rooms after the numbers
    ("東京都千代田区霞が関1-3-1 経済産業省別館5F 501号室", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3番1号 中央合同庁舎第4号館11階", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1-501", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1　５０１号室", CHIYODA, "0007001", RD),
    ("東京都千代田区丸の内1丁目9番1号 JR東京駅", CHIYODA, "0011001", RD),
    ("東京都千代田区丸の内二丁目7番2号JPタワー", CHIYODA, "0011002", RD),
    ("東京都千代田区丸の内2-7-2 JPタワー 27F", CHIYODA, "0011002", RD),
    ("東京都千代田区丸ノ内1-6-5", CHIYODA, "0011001", RD),
    ("東京都千代田区丸の内３丁目１－１　国際ビル", CHIYODA, "0011003", RD),
    ("東京都千代田区大手町1-3-3", CHIYODA, "0002001", RD),
    ("東京都千代田区大手町二丁目1番1号", CHIYODA, "0002002", RD),
    ("東京都千代田区永田町1-7-1", CHIYODA, "0013001", RD),
    ("東京都千代田区永田町2丁目3番1号", CHIYODA, "0013002", RD),
    ("東京都千代田区永田町2-3-4-2", CHIYODA, "0013002", RD),
    ("東京都千代田区永田町2丁目3番4-2号", CHIYODA, "0013002", RD),
    # 地番 towns of 千代田区: 紀尾井町, 一番町 (a numeral in the name), 神田神保町 (丁目 + 地番)
    ("東京都千代田区紀尾井町1-3", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町1番3", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町1番地3", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町1番地の3", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町一番地三", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町１－３　東京ガーデンテラス紀尾井町 19階、20階", CHIYODA, "0005000", PRC),
    ("東京都千代田区紀尾井町", CHIYODA, "0005000", MA),
    ("東京都千代田区一番町10-1", CHIYODA, "0001000", PRC),
    ("東京都千代田区一番町10番地1", CHIYODA, "0001000", PRC),
    ("東京都千代田区1番町10-1", CHIYODA, "0001000", PRC),
    ("東京都千代田区神田神保町1丁目101番地", CHIYODA, "0020001", PRC),
    ("東京都千代田区神田神保町一丁目101", CHIYODA, "0020001", PRC),
    ("東京都千代田区神田神保町2-3-1", CHIYODA, "0020002", PRC),
    ("千代田区神田神保町２丁目３番地１", CHIYODA, "0020002", PRC),
    # 旧字体・異体字 in the town name
    ("東京都港区髙輪2-1-1", MINATO, "0030002", RD),
    ("東京都港区高輪二丁目1番1号", MINATO, "0030002", RD),
    ("東京都世田谷区深澤5-1-1", SETAGAYA, "0008005", RD),
    ("東京都世田谷区深沢五丁目1番1号", SETAGAYA, "0008005", RD),
    ("東京都世田谷区北澤2-6-2", SETAGAYA, "0009002", RD),
    ("福岡県福岡市中央区渡邊通2-1-82", FUKUOKA_CHUO, "0005002", RD),
    ("福岡県福岡市中央区渡邉通二丁目1番82号 電気ビル", FUKUOKA_CHUO, "0005002", RD),
    ("福岡市中央区渡辺通2丁目1-82", FUKUOKA_CHUO, "0005002", RD),
    ("宮﨑県宮﨑市橘通西1丁目1番1号", MIYAZAKI, "0001001", RD),
    ("宮崎県宮崎市橘通西一丁目1-1", MIYAZAKI, "0001001", RD),
    ("宮崎市橘通西1-1-1", MIYAZAKI, "0001001", RD),
    ("廣島縣廣島市中區基町10-52", HIROSHIMA_NAKA, "0010000", PRC),
    ("広島県広島市中区基町10番52号", HIROSHIMA_NAKA, "0010000", PRC),
    ("広島市中区基町10-52", HIROSHIMA_NAKA, "0010000", PRC),
    ("奈良県生駒郡斑鳩町竜田100", IKARUGA, "0003000", PRC),
    ("奈良県生駒郡斑鳩町大字龍田100番地", IKARUGA, "0003000", PRC),
    # 札幌: 条・丁目 with 西/東, 漢数字 and numerals, the city without its ward, the ward without its city
    ("北海道札幌市中央区北1条西2丁目1-1", SAPPORO_CHUO, "0022002", PRC),
    ("北海道札幌市中央区北一条西二丁目1番地1", SAPPORO_CHUO, "0022002", PRC),
    ("北海道札幌市中央区北一条西２丁目", SAPPORO_CHUO, "0022002", MD),
    ("札幌市中央区北1条西2丁目1番地の1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区北１条西２丁目１－１", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市北1条西2丁目1-1", SAPPORO_CHUO, "0022002", PRC),
    ("北海道札幌市北1条西2丁目", SAPPORO_CHUO, "0022002", MD),
    ("札幌市中央区北1条西2-1-1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区大通西4丁目1", SAPPORO_CHUO, "0023004", PRC),
    ("札幌市中央区大通西四丁目1番地", SAPPORO_CHUO, "0023004", PRC),
    ("北海道札幌市中央区旭ケ丘1丁目5-10", SAPPORO_CHUO, "0001001", RD),
    ("北海道札幌市中央区旭ヶ丘一丁目5番10号", SAPPORO_CHUO, "0001001", RD),
    ("北海道札幌市中央区旭が丘1-5-10", SAPPORO_CHUO, "0001001", RD),
    ("札幌市北区北8条西5丁目", SAPPORO_KITA, "0008005", MD),
    ("北海道札幌市北区北八条西五丁目", SAPPORO_KITA, "0008005", MD),
    ("北区北8条西5丁目", SAPPORO_KITA, "0008005", MD),
    # 北海道上川郡東神楽町: 郡 present or not; 南1条西1丁目 also in 札幌市中央区
    ("北海道上川郡東神楽町南1条西1丁目3番2号", HIGASHIKAGURA, "0001001", PRC),
    ("北海道東神楽町南1条西1丁目3-2", HIGASHIKAGURA, "0001001", PRC),
    ("上川郡東神楽町南一条西一丁目3-2", HIGASHIKAGURA, "0001001", PRC),
    ("東神楽町南1条西1丁目3-2", HIGASHIKAGURA, "0001001", PRC),
    ("北海道上川郡東神楽町志比内123-4", HIGASHIKAGURA, "0010000", PRC),
    ("北海道上川郡東神楽町字志比内123番地4", HIGASHIKAGURA, "0010000", PRC),
    ("北海道札幌市中央区南1条西1丁目3-2", SAPPORO_CHUO, "0030001", PRC),
    ("北海道南1条西1丁目3-2", None, None, PREF),
    # 岩手県胆沢郡金ケ崎町: 大字・字, ケ/ヶ in the municipality name
    ("岩手県胆沢郡金ケ崎町西根南町22-1", KANEGASAKI, "0001001", PRC),
    ("岩手県胆沢郡金ヶ崎町西根字南町22番地1", KANEGASAKI, "0001001", PRC),
    ("岩手県金ケ崎町大字西根字南町22-1", KANEGASAKI, "0001001", PRC),
    ("金ケ崎町西根字大谷5", KANEGASAKI, "0001002", PRC),
    ("岩手県胆沢郡金ケ崎町西根", KANEGASAKI, "0001000", MA),
    ("岩手県胆沢郡金ケ崎町大字西根", KANEGASAKI, "0001000", MA),
    # 埼玉県春日部市 without its prefecture; 大字; 粕壁 and 粕壁東
    ("春日部市中央6丁目2番地", KASUKABE, "0001006", PRC),
    ("春日部市中央六丁目2", KASUKABE, "0001006", PRC),
    ("埼玉県春日部市中央1-1-1", KASUKABE, "0001001", PRC),
    ("春日部市大字下柳1234番地", KASUKABE, "0030000", PRC),
    ("春日部市下柳1234", KASUKABE, "0030000", PRC),
    ("春日部市下柳千二百三十四番地", KASUKABE, "0030000", PRC),
    ("春日部市大字下柳123番地の4", KASUKABE, "0030000", PRC),
    ("春日部市下柳123-4", KASUKABE, "0030000", PRC),
    ("春日部市下柳百二十三番地四", KASUKABE, "0030000", PRC),
    ("春日部市粕壁5534", KASUKABE, "0040000", PRC),
    ("春日部市粕壁東1丁目20番1号", KASUKABE, "0041001", RD),
    ("春日部市粕壁東一丁目20-1", KASUKABE, "0041001", RD),
    # 奈良県生駒郡斑鳩町: 大字 法隆寺 and its 小字 山内, 法隆寺西 (丁目)
    ("奈良県生駒郡斑鳩町法隆寺山内1-1", IKARUGA, "0001000", PRC),
    ("奈良県生駒郡斑鳩町大字法隆寺字山内1番地1", IKARUGA, "0001000", PRC),
    ("奈良県生駒郡斑鳩町法隆寺西1丁目1-1", IKARUGA, "0002001", PRC),
    ("斑鳩町法隆寺西一丁目1番1号", IKARUGA, "0002001", PRC),
    # 京都の通り名: with and without the 町 name, the ward alone, the city alone; the 地番 are the 町's
    # (the ABR keeps them under the 町's machiaza_id), so a number found names the 町
    ("京都府京都市中京区寺町通御池上る上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区寺町通御池上る上本能寺前町488番地", NAKAGYO, "0098000", PRC),
    ("京都市中京区寺町通御池上ル上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("中京区寺町通御池上る上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区御池通寺町東入る上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区烏丸通三条下る饅頭屋町600", NAKAGYO, "0120000", PRC),
    ("京都府京都市中京区烏丸通三条下ル饅頭屋町６００番地", NAKAGYO, "0120000", PRC),
    ("京都市中京区饅頭屋町600", NAKAGYO, "0120000", PRC),
    ("京都市中京区烏丸通三条下る饅頭屋町", NAKAGYO, "0120101", MD),
    ("京都市寺町通御池上る上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区西ノ京小堀町2", NAKAGYO, "0103000", PRC),
    ("京都市中京区西の京小堀町2番地", NAKAGYO, "0103000", PRC),
    ("京都市中京区新京極通四条上る中之町565", NAKAGYO, "0150000", PRC),
    ("京都市中京区中之町565", NAKAGYO, "0150000", PRC),
    ("京都市中之町565", "261009", None, CITY),
    ("京都市下京区中之町", SHIMOGYO, "0201000", MA),
    # 北区: 東京都北区 or 京都市北区 (or 札幌市北区), only the 町字 tells
    ("北区上賀茂本山339", KYOTO_KITA, "0010000", PRC),
    ("京都市北区上賀茂本山339番地", KYOTO_KITA, "0010000", PRC),
    ("京都府京都市北区紫野大徳寺町53", KYOTO_KITA, "0020000", PRC),
    ("北区紫野大徳寺町53", KYOTO_KITA, "0020000", PRC),
    ("北区王子本町1-15-22", KITA_TOKYO, "0005001", RD),
    ("東京都北区王子本町一丁目15番22号", KITA_TOKYO, "0005001", RD),
    ("北区赤羽1丁目1番1号", KITA_TOKYO, "0001001", RD),
    ("東京都北区上十条3-1-1", KITA_TOKYO, "0003003", RD),
    ("北区上十条三丁目1番1号", KITA_TOKYO, "0003003", RD),
    ("東京都北区", KITA_TOKYO, None, CITY),
    # more ways of writing the numbers and what follows them
    ("東京都千代田区霞が関1丁目3番地の1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1の3の1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目 3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3-1号", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1 5F", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1(経済産業省)", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関１－３－１（経済産業省）", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3番1号　経済産業省本館", CHIYODA, "0007001", RD),
    ("〒 100-8901 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1 501", CHIYODA, "0007001", RD),
    ("東京都千代田区丸の内1丁目9-1 丸の内中央ビル3階", CHIYODA, "0011001", RD),
    ("札幌市北8条西5丁目", SAPPORO_KITA, "0008005", MD),
    ("札幌市中央区北1条西2丁目1番地1 札幌市役所本庁舎", SAPPORO_CHUO, "0022002", PRC),
    ("春日部市大字下柳百二十三番地の四", KASUKABE, "0030000", PRC),
    ("春日部市下柳123ノ4", KASUKABE, "0030000", PRC),
    ("春日部市下柳１２３番地の４", KASUKABE, "0030000", PRC),
    ("生駒郡斑鳩町法隆寺山内１の１", IKARUGA, "0001000", PRC),
    ("京都府京都市中京区寺町通御池上る上本能寺前町", NAKAGYO, "0098104", MD),
    ("京都市中京区寺町御池上ル上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区寺町通御池上る上本能寺前町４８８番地　京都市役所", NAKAGYO, "0098000", PRC),
    ("京都市北区上賀茂本山", KYOTO_KITA, "0010000", MA),
    # spaces where people put them, 北1西2 (条・丁目 abbreviated), a ward or a city alone
    ("北海道 札幌市 中央区 北1条 西2丁目 1-1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区北1条 西2丁目1-1", SAPPORO_CHUO, "0022002", PRC),
    ("〒060-8611 北海道 札幌市 中央区 北1条西2丁目1番地1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区北1西2-1-1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区北1西2丁目1-1", SAPPORO_CHUO, "0022002", PRC),
    ("札幌市中央区大通西4", SAPPORO_CHUO, "0023004", MD),
    ("札幌市中央区大通西4-1", SAPPORO_CHUO, "0023004", PRC),
    ("北海道 上川郡 東神楽町 南1条 西1丁目 3番2号", HIGASHIKAGURA, "0001001", PRC),
    ("東京都 千代田区 霞が関 1丁目 3番 1号", CHIYODA, "0007001", RD),
    ("東京都千代田区千代田1-1", CHIYODA, "0004000", PRC),
    ("千代田区千代田1番1号", CHIYODA, "0004000", PRC),
    ("中央区渡辺通2-1-82", FUKUOKA_CHUO, "0005002", RD),
    ("福岡市渡辺通2-1-82", FUKUOKA_CHUO, "0005002", RD),
    ("中央区北1条西2丁目1-1", SAPPORO_CHUO, "0022002", PRC),
    ("広島市基町10-52", HIROSHIMA_NAKA, "0010000", PRC),
    ("中区基町10-52", HIROSHIMA_NAKA, "0010000", PRC),
    ("金ケ崎町西根字森山10", KANEGASAKI, "0001000", MA),
    ("岩手県胆沢郡金ケ崎町西根無番地", KANEGASAKI, "0001000", MA),
    ("東京都千代田区紀尾井町1番地", CHIYODA, "0005000", MA),
    ("東京都千代田区霞が関1-3-1-5F", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1経済産業省", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1-3-1 4号館", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関一丁目3番1号 5階 501号室", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1－3－1　第2ビル 201", CHIYODA, "0007001", RD),
    # 帯広 西5条南7丁目 (and 西5南7), 旭川 7条通9丁目, 堺 熊野町東3丁 (丁, written 丁目 too)
    ("北海道帯広市西5条南7丁目1番地", OBIHIRO, "0005007", PRC),
    ("帯広市西五条南七丁目1", OBIHIRO, "0005007", PRC),
    ("帯広市西5南7-1", OBIHIRO, "0005007", PRC),
    ("北海道旭川市7条通9丁目46番地", ASAHIKAWA, "0007009", PRC),
    ("旭川市七条通九丁目４６", ASAHIKAWA, "0007009", PRC),
    ("大阪府堺市堺区熊野町東3丁1番9号", SAKAI_SAKAI, "0040003", RD),
    ("堺市堺区熊野町東三丁1-9", SAKAI_SAKAI, "0040003", RD),
    ("堺市堺区熊野町東3-1-9", SAKAI_SAKAI, "0040003", RD),
    ("大阪府堺市堺区熊野町東3丁目1番9号", SAKAI_SAKAI, "0040003", RD),
    # 京都: 上がる / 下がる, the city with its prefecture and without the ward
    ("京都市中京区寺町通御池上がる上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都市中京区烏丸通三条下がる饅頭屋町600", NAKAGYO, "0120000", PRC),
    ("京都府京都市上賀茂本山339", KYOTO_KITA, "0010000", PRC),
    # a 小字 the ABR does not list, between the 大字 and the 地番
    ("春日部市大字下柳字北1234番地", KASUKABE, "0030000", PRC),
    ("埼玉県春日部市下柳字北1234", KASUKABE, "0030000", PRC),
    ("春日部市大字下柳字北 123番地の4", KASUKABE, "0030000", PRC),
    ("岩手県胆沢郡金ケ崎町西根字森山99", KANEGASAKI, "0001000", PRC),
    ("奈良県生駒郡斑鳩町大字龍田字東100番地", IKARUGA, "0003000", PRC),
    ("春日部市下柳字北", KASUKABE, "0030000", MA),
    ("春日部市下柳1234番地先", KASUKABE, "0030000", PRC),
    # spaces between the parts, everything in 漢数字, ノ between the numbers, a 街区 alone
    ("京都市中京区烏丸通三条下る 饅頭屋町 600", NAKAGYO, "0120000", PRC),
    ("京都市中京区 寺町通御池上る 上本能寺前町 488", NAKAGYO, "0098000", PRC),
    ("札幌市中央区北一条西二丁目一番地一", SAPPORO_CHUO, "0022002", PRC),
    ("霞が関1ノ3ノ1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3番", CHIYODA, "0007001", RB),
    ("大阪府堺市堺区熊野町東三丁目1-9", SAKAI_SAKAI, "0040003", RD),
    # 札幌市北区 北24条西5丁目: 24 written every way
    ("札幌市北区北24条西5丁目1-1", SAPPORO_KITA, "0024005", PRC),
    ("北海道札幌市北区北二十四条西五丁目1番地1", SAPPORO_KITA, "0024005", PRC),
    ("札幌市北区北２４条西５丁目１－１", SAPPORO_KITA, "0024005", PRC),
    ("札幌市北区北二四条西五丁目一－一", SAPPORO_KITA, "0024005", PRC),
    ("札幌市北24西5-1-1", SAPPORO_KITA, "0024005", PRC),
    ("北区北24条西5丁目", SAPPORO_KITA, "0024005", MD),
    # a prefecture written without 都/府/県, read only where a municipality of that prefecture follows it
    ("東京千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("東京千代田区霞が関1丁目3番1号", CHIYODA, "0007001", RD),
    ("東京北区赤羽1-1-1", KITA_TOKYO, "0001001", RD),
    ("京都中京区寺町通御池上る上本能寺前町488", NAKAGYO, "0098000", PRC),
    ("京都北区上賀茂本山339", KYOTO_KITA, "0010000", PRC),
    ("京都京都市中京区饅頭屋町600", NAKAGYO, "0120000", PRC),
    ("大阪堺市堺区熊野町東3丁1-9", SAKAI_SAKAI, "0040003", RD),
    ("大阪福島区大開1-8-1", FUKUSHIMA_KU, "0001001", RD),
    ("神奈川横浜市中区", "141046", None, CITY),
    ("埼玉春日部市下柳1234", KASUKABE, "0030000", PRC),
    ("福岡福岡市中央区渡辺通2-1-82", FUKUOKA_CHUO, "0005002", RD),
    ("広島広島市中区基町10-52", HIROSHIMA_NAKA, "0010000", PRC),
    ("宮崎宮崎市橘通西1-1-1", MIYAZAKI, "0001001", RD),
    ("奈良生駒郡斑鳩町法隆寺西1丁目1-1", IKARUGA, "0002001", PRC),
    ("岩手胆沢郡金ケ崎町西根99", KANEGASAKI, "0001000", PRC),
    ("福島福島市", "072010", None, CITY),
    ("富山富山市新桜町7-38", TOYAMA, "0150000", PRC),
    ("大阪大阪狭山市狭山1-2384-1", OSAKASAYAMA, "0010001", PRC),
    ("福岡京都郡苅田町富久町1-19-1", KANDA, "0020001", PRC),
    ("広島山県郡北広島町有田1234", KITAHIROSHIMA_CHO, "0003000", PRC),
    ("広島北広島町有田1234", KITAHIROSHIMA_CHO, "0003000", PRC),
    ("岩手八幡平市大更第2地割123-1", HACHIMANTAI, "0012002", PRC),
    # ... and names that start like a prefecture stay whole: 大阪狭山市, 京都郡 (福岡県), 富山市, 福島区 (大阪市),
    # 北広島市 (北海道) and 北広島町 (広島県)
    ("大阪狭山市狭山1丁目2384-1", OSAKASAYAMA, "0010001", PRC),
    ("大阪府大阪狭山市狭山一丁目2384番地の1", OSAKASAYAMA, "0010001", PRC),
    ("京都郡苅田町富久町1丁目19-1", KANDA, "0020001", PRC),
    ("福岡県京都郡苅田町富久町一丁目19番1", KANDA, "0020001", PRC),
    ("苅田町富久町1丁目19-1", KANDA, "0020001", PRC),
    ("富山市新桜町7-38", TOYAMA, "0150000", PRC),
    ("富山県富山市新桜町7番38号", TOYAMA, "0150000", PRC),
    ("福島区大開1-8-1", FUKUSHIMA_KU, "0001001", RD),
    ("大阪市福島区大開一丁目8番1号", FUKUSHIMA_KU, "0001001", RD),
    ("北広島市中央4丁目2-1", KITAHIROSHIMA_SHI, "0004004", PRC),
    ("北海道北広島市中央4-2-1", KITAHIROSHIMA_SHI, "0004004", PRC),
    ("広島県山県郡北広島町有田1234", KITAHIROSHIMA_CHO, "0003000", PRC),
    ("北広島町有田1234", KITAHIROSHIMA_CHO, "0003000", PRC),
    ("京都市中京区上本能寺前町488", NAKAGYO, "0098000", PRC),
    # a label, quotes or brackets, 日本、 before the address (and a postal code on either side of the label)
    ("住所：東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("住所:東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("所在地：東京都千代田区霞が関1丁目3番1号", CHIYODA, "0007001", RD),
    ("所在地 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("【住所】東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("【所在地】〒100-8901 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("住所 〒100-8901 東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("〒100-8901 住所：東京都千代田区霞が関1-3-1", CHIYODA, "0007001", RD),
    ("住所：霞が関1-3-1", CHIYODA, "0007001", RD),
    ("「東京都千代田区霞が関1-3-1」", CHIYODA, "0007001", RD),
    ('"東京都千代田区霞が関1-3-1"', CHIYODA, "0007001", RD),
    ("『京都市中京区寺町通御池上る上本能寺前町488』", NAKAGYO, "0098000", PRC),
    ("日本、〒100-8901 東京都千代田区霞が関１丁目３−１", CHIYODA, "0007001", RD),
    ("本社：大阪府堺市堺区熊野町東3丁1-9", SAKAI_SAKAI, "0040003", RD),
    ("本店所在地 埼玉県春日部市中央1-1-1", KASUKABE, "0001001", PRC),
    # 岩手の地割: as the 大字 (普代村 第１地割 and its 小字 上村) or as a 小字 (八幡平市 大更 第２地割); 第 or not
    ("岩手県下閉伊郡普代村第1地割上村43-25", FUDAI, "0001001", PRC),
    ("岩手県下閉伊郡普代村第１地割上村４３−２５", FUDAI, "0001001", PRC),
    ("岩手県下閉伊郡普代村第一地割字上村43番地25", FUDAI, "0001001", PRC),
    ("普代村1地割上村43-25", FUDAI, "0001001", PRC),
    ("岩手県下閉伊郡普代村第1地割 上村 43-25", FUDAI, "0001001", PRC),
    ("岩手県普代村第1地割5番地", FUDAI, "0001000", PRC),
    ("下閉伊郡普代村第1地割", FUDAI, "0001000", MA),
    ("岩手県八幡平市大更第2地割123-1", HACHIMANTAI, "0012002", PRC),
    ("八幡平市大更2地割123番地1", HACHIMANTAI, "0012002", PRC),
    ("八幡平市大更第二地割123-1", HACHIMANTAI, "0012002", PRC),
    ("八幡平市大字大更第2地割123番地1", HACHIMANTAI, "0012002", PRC),
    ("八幡平市大更字第2地割123-1", HACHIMANTAI, "0012002", PRC),
    ("岩手県八幡平市大更 第2地割 123-1", HACHIMANTAI, "0012002", PRC),
    ("岩手県八幡平市大更", HACHIMANTAI, "0012000", MA),
    ("岩手県下閉伊郡普代村", FUDAI, None, CITY),
    ("普代村", FUDAI, None, CITY),
    # more as people write them: a comma between the parts, 之/ノ/の and ヶ/ケ/ガ both ways, 大字 the ABR omits,
    # 丁 written 丁目 with 番地, 丁目 before a dash
    ("東京都千代田区、霞が関1-3-1", CHIYODA, "0007001", RD),
    ("東京都、千代田区、霞が関1-3-1、経済産業省", CHIYODA, "0007001", RD),
    ("東京都千代田区丸之内1-6-5", CHIYODA, "0011001", RD),
    ("京都市中京区中ノ町565", NAKAGYO, "0150000", PRC),
    ("京都市中京区中の町565", NAKAGYO, "0150000", PRC),
    ("京都市中京区西之京小堀町2", NAKAGYO, "0103000", PRC),
    ("札幌市中央区旭ガ丘1-5-10", SAPPORO_CHUO, "0001001", RD),
    ("春日部市大字粕壁5534", KASUKABE, "0040000", PRC),
    ("堺市堺区熊野町東3丁目1番地9", SAKAI_SAKAI, "0040003", RD),
    ("東京都千代田区霞が関1丁目-3-1", CHIYODA, "0007001", RD),
    ("東京都千代田区霞が関1丁目3番1", CHIYODA, "0007001", RD),
    ("札幌市中央区北1条西2丁目1番地1号", SAPPORO_CHUO, "0022002", PRC),
]


@pytest.fixture(scope="module")
def real_con(tmp_path_factory):
    from addresses_real_abr import connection

    con = connection(tmp_path_factory.mktemp("real-abr"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def results(real_con):
    return match_many(real_con, [c[0] for c in CASES])


def test_the_fixture_is_the_published_files_loaded_as_kiban_ingest_abr_stages_them(real_con):
    counts = dict(real_con.execute(
        "SELECT 'towns', count(*) FROM abr_towns UNION ALL SELECT 'blocks', count(*) FROM abr_blocks "
        "UNION ALL SELECT 'rsdt', count(*) FROM abr_residences UNION ALL SELECT 'prc', count(*) FROM abr_parcels "
        "UNION ALL SELECT 'placed', count(*) FROM abr_towns WHERE rep_lon IS NOT NULL").fetchall())
    assert counts["towns"] == counts["placed"] > 50
    assert counts["blocks"] > 20 and counts["rsdt"] > 25 and counts["prc"] > 25
    assert real_con.execute("SELECT chome FROM abr_towns WHERE oaza_cho = '旭ケ丘'").fetchone() == ("１丁目",)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_real_address_as_written_matches_its_municipality_town_and_level(case, results):
    got = results[CASES.index(case)]
    assert (got["lg_code"], got["machiaza_id"], got["match_level"]) == case[1:], got


def test_a_parcel_kept_under_the_town_of_a_kyoto_street_name_is_reported_with_that_towns_id(real_con):
    got = match_many(real_con, ["京都府京都市中京区寺町通御池上る上本能寺前町488番地 京都市役所"])[0]
    assert (got["machiaza_id"], got["prc_id"], got["prc_num1"]) == ("0098000", "004880000000000", "488")
    assert (got["oaza_cho"], got["koaza"]) == ("上本能寺前町", "寺町通御池上る")  # the street as read
    assert got["output"] == "京都府京都市中京区寺町通御池上る上本能寺前町488 京都市役所"
    assert got["others"] == ["京都市役所"]


def test_a_koaza_with_parcels_of_its_own_is_not_sent_to_its_oaza(real_con):
    # 西根 (0001000) has a 地番 99; its 小字 南町 has 地番 of its own, so 南町99 is a number the ABR does not have
    got = match_many(real_con, ["岩手県胆沢郡金ケ崎町西根字南町22番地1", "岩手県胆沢郡金ケ崎町西根字南町99"])
    assert [(g["machiaza_id"], g["match_level"], g["prc_num2"]) for g in got] == [
        ("0001001", "parcel", "1"), ("0001001", "machiaza_detail", None)]


def test_a_town_of_two_wards_after_the_designated_city_alone_is_placed_in_the_city(real_con):
    got = match_many(real_con, ["京都市中之町565", "中之町565"])
    assert (got[0]["lg_code"], got[0]["match_level"], got[0]["city"], got[0]["others"]) == (
        "261009", "city", "京都市", ["中之町565"])
    assert (got[1]["lg_code"], got[1]["match_level"]) == (None, "unknown")  # no city written: nothing to fall to


def test_a_koaza_the_abr_does_not_list_is_passed_over_and_kept_in_the_output_and_others(real_con):
    got = match_many(real_con, ["春日部市大字下柳字北1234番地 倉庫"])[0]
    assert (got["machiaza_id"], got["prc_num1"], got["koaza"]) == ("0030000", "1234", None)
    assert got["output"] == "埼玉県春日部市下柳字北1234 倉庫"
    assert got["others"] == ["字北", "倉庫"]


def test_a_prefecture_written_without_its_suffix_is_named_in_full_and_leaves_nothing_over(real_con):
    got = match_many(real_con, ["東京千代田区霞が関1-3-1", "大阪狭山市狭山1丁目2384-1"])
    assert (got[0]["pref"], got[0]["city"], got[0]["others"]) == ("東京都", "千代田区", [])
    assert got[0]["output"] == "東京都千代田区霞が関一丁目3-1"
    assert (got[1]["pref"], got[1]["city"], got[1]["others"]) == ("大阪府", "大阪狭山市", [])


def test_a_label_and_quotes_before_the_address_are_not_kept_as_unmatched_text(real_con):
    got = match_many(real_con, ["【所在地】〒100-8901 東京都千代田区霞が関1-3-1 5F", "「東京都千代田区霞が関1-3-1」"])
    assert (got[0]["output"], got[0]["others"]) == ("東京都千代田区霞が関一丁目3-1 5F", ["5F"])
    assert (got[1]["output"], got[1]["others"]) == ("東京都千代田区霞が関一丁目3-1", [])


def test_a_chiwari_is_reported_with_the_abr_spelling_whichever_way_it_was_written(real_con):
    got = match_many(real_con, ["普代村1地割上村43番地25", "八幡平市大更第二地割123-1"])
    assert (got[0]["oaza_cho"], got[0]["koaza"], got[0]["prc_num1"], got[0]["prc_num2"]) == (
        "第１地割", "上村", "43", "25")
    assert (got[1]["oaza_cho"], got[1]["koaza"], got[1]["prc_id"]) == ("大更", "第２地割", "001230000100000")


@pytest.mark.parametrize("dropped", [("abr_parcels",), ("abr_blocks", "abr_residences"),
                                     ("abr_parcels", "abr_blocks", "abr_residences")],
                         ids=["no parcels", "no residences", "towns only"])
def test_matching_works_with_only_part_of_the_abr_loaded(tmp_path, dropped):
    # `kiban ingest abr` may have loaded the 町字 without the 住居表示 or 地番 files (or the API serves an empty lake)
    from addresses_real_abr import connection

    con = connection(tmp_path)
    for table in dropped:
        con.execute(f"DROP TABLE {table}")
    got = match_many(con, ["東京都千代田区霞が関一丁目3番1号", "京都府京都市北区上賀茂本山339番地"])
    assert [(g["lg_code"], g["machiaza_id"]) for g in got] == [(CHIYODA, "0007001"), (KYOTO_KITA, "0010000")]
    if "abr_parcels" in dropped:
        assert got[1]["match_level"] == "machiaza" and got[1]["prc_id"] is None
    else:
        assert got[1]["match_level"] == "parcel" and got[1]["prc_id"] is not None
    if "abr_residences" in dropped:
        assert got[0]["rsdt_id"] is None and got[0]["match_level"] != "residential_detail"
    con.close()
