"""The bad-input corpus (issue 10): hostile and broken files for every source and door, generated from the samples.

``python tests/hardening/corpus.py OUT_DIR`` writes the files and prints the corpus size and a table of
(source, door, case, expected rule). ``tests/hardening/test_bad_input_corpus.py`` feeds each file through its real
door and checks the outcome; this module only makes the bytes and says what each case must produce.

Every case names the door it goes through (``cli`` = the ``kiban`` command of its source, ``fetch`` = the fetch
log a Dagster load asset reads, ``landing`` = the reports landing folder, ``http`` = ``POST /v1/reports``) and
the expected outcome: ``quarantined`` with one of ``rules``, ``duplicate`` (the same content under another name)
or ``ignored`` (a symbolic link in the landing folder: never read, never archived). Bombs are real: every
declared size is what the member inflates to, except the one case that lies about it.
"""

from __future__ import annotations

import csv as csv_module
import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"

#: how far a bomb inflates (64 MiB from ~64 KiB: far past every ratio limit, cheap to build and to refuse)
BOMB_BYTES = 64 * 1024 * 1024
KUMAMOTO_CITY, YATSUSHIRO = "431001", "432024"


@dataclass(frozen=True)
class Case:
    """One corpus file and what its door must make of it."""

    source: str  # corporate | municipalities | abr | moj_map | land_price | reports
    door: str  # cli | fetch | landing | http
    case: str  # short id, unique per source and door
    file: str  # path under the corpus folder (the name it arrives under is ``name``)
    rules: tuple[str, ...] = ()  # acceptable rules for ``quarantined`` (the first is the documented one)
    expect: str = "quarantined"  # quarantined | duplicate | ignored
    name: str | None = None  # upload file name when it differs from the file's (http: may be hostile)
    token: str = "own"  # http: own (the municipality itself) | other (Yatsushiro's token, report for Kumamoto)
    what: str = ""
    link_to: str | None = None  # landing: a symbolic link to this target instead of a file
    options: dict = field(default_factory=dict)  # cli options (``--kind``, ``--encoding``)

    @property
    def id(self) -> str:
        return f"{self.source}/{self.door}/{self.case}"

    @property
    def arrives_as(self) -> str:
        return self.name or Path(self.file).name


# -- byte helpers -------------------------------------------------------------------------------------------------

def zip_bytes(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            zf.writestr(info, data)
    return buf.getvalue()


def bomb_member(filler: bytes = b"\n", size: int = BOMB_BYTES) -> bytes:
    """``size`` bytes of one repeated filler: inflates ~1000x, a declared size far over every ratio limit."""
    return (filler * (size // len(filler) + 1))[:size]


def lying_zip(name: str, real: bytes, declared: int) -> bytes:
    """A one-member deflate zip whose headers declare ``declared`` bytes (and the CRC of that prefix) while the
    stream inflates to all of ``real``: a bomb that lies about its size."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(real) + comp.flush()
    crc = zlib.crc32(real[:declared])
    raw_name = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), declared,
                        len(raw_name), 0) + raw_name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), declared,
                          len(raw_name), 0, 0, 0, 0, 0, 0) + raw_name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


def zip_member(path: Path, name: str | None = None) -> tuple[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        member = name or zf.namelist()[0]
        return member, zf.read(member)


def deep_json(depth: int = 200_000) -> bytes:
    return b"[" * depth + b"]" * depth


# -- source builders ------------------------------------------------------------------------------------------------
Writer = Callable[[str, bytes | Callable[[], bytes]], str]


def corporate(w: Writer) -> list[Case]:
    diff = SAMPLES / "corporate" / "diff_20261102.zip"
    member, csv = zip_member(diff)
    lines = csv.decode("utf-8").splitlines()
    sjis = (SAMPLES / "corporate" / "sjis" / "00_zenkoku_all_20261030.zip").read_bytes()

    def with_line(i: int, fields: list[str]) -> bytes:
        out = list(lines)
        out[i] = ",".join(fields)
        return ("\n".join(out) + "\n").encode("utf-8")

    def diff_zip(day: str, body: bytes, inner: str | None = None, **kw) -> bytes:
        return zip_bytes({inner or f"diff_{day}.csv": body}, **kw)

    first = lines[0].split(",")
    nul = list(first)
    nul[6] = '"株式会社\x00テスト"'
    long_field = list(first)
    long_field[6] = '"' + "長" * 70_000 + '"'
    short_row = next(csv_module.reader([lines[1]]))[:29]
    swapped = list(first)
    swapped[1], swapped[6] = swapped[6], swapped[1]
    bad_digit = list(first)
    bad_digit[1] = str((int(first[1]) + 1) % 10**13).zfill(13)
    header = ["sequenceNumber", "corporateNumber", *[f"c{i}" for i in range(28)]]
    cp932_broken = zip_member(SAMPLES / "corporate" / "sjis" / "00_zenkoku_all_20261030.zip")[1]
    cp932_broken = cp932_broken[:500] + b"\x81\x7f\xff\xfe" + cp932_broken[500:]
    recompressed = zip_bytes({member: csv}, method=zipfile.ZIP_STORED)
    long_line = b"1," + b"x" * (8 * 1024 * 1024) + b"\n"
    c = "corporate"
    return [
        Case(c, "cli", "empty_file", w("diff_20261201.zip", b""), ("empty",), what="0 bytes"),
        Case(c, "cli", "truncated_zip", w("diff_20261202.zip", diff.read_bytes()[: diff.stat().st_size // 2]),
             ("truncated_zip",), what="zip cut in half"),
        Case(c, "cli", "html_saved_as_zip", w("diff_20261203.zip", b"<!DOCTYPE html><html><body>503 Service "
                                                                   b"Unavailable</body></html>"),
             ("not_a_zip",), what="an error page saved under the zip's name"),
        Case(c, "cli", "zip_bomb", w("diff_20261204.zip", lambda: diff_zip("20261204", bomb_member(lines[0].encode() + b"\n"))),
             ("zip_bomb",), what=f"{BOMB_BYTES >> 20} MiB of CSV rows declared and inflating from ~100 KiB"),
        Case(c, "cli", "zip_bomb_lying_size",
             w("diff_20261205.zip", lambda: lying_zip("diff_20261205.csv", bomb_member(lines[0].encode() + b"\n"), 4096)),
             ("truncated_zip", "column_count", "csv_parse"),
             what="member declares 4 KiB (CRC of that prefix) but inflates to 64 MiB"),
        Case(c, "cli", "cp932_invalid_bytes", w("00_zenkoku_all_20261031.zip",
                                                zip_bytes({"00_zenkoku_all_20261031.csv": cp932_broken})),
             ("encoding",), what="Shift_JIS file with bytes no codec maps"),
        Case(c, "cli", "sjis_declared_utf8", w("00_zenkoku_all_20261030.zip", sjis), ("encoding",),
             options={"--encoding": "utf-8"}, what="the Shift-JIS file loaded with --encoding utf-8"),
        Case(c, "cli", "utf16", w("diff_20261206.zip", diff_zip("20261206", csv.decode().encode("utf-16"))),
             ("encoding",), what="UTF-16 CSV"),
        Case(c, "cli", "nul_in_name", w("diff_20261207.zip", diff_zip("20261207", with_line(0, nul))),
             ("text_without_control_characters",), what="NUL byte inside a quoted name"),
        Case(c, "cli", "huge_field", w("diff_20261208.zip", diff_zip("20261208", with_line(0, long_field))),
             ("text_length",), what="a 210 KB name field"),
        Case(c, "cli", "huge_line", w("diff_20261209.zip", diff_zip("20261209", long_line)),
             # 8 MiB of one byte compresses over 1000:1: the zip's ratio guard may refuse it before the parser
             ("column_count", "csv_parse", "field_too_long", "zip_bomb"), what="one 8 MiB line without separators"),
        Case(c, "cli", "wrong_column_count", w("diff_20261210.zip", diff_zip("20261210", with_line(1, [
            '"' + v.replace('"', '""') + '"' for v in short_row]))),
             ("column_count",), what="a record with 29 of 30 columns"),
        Case(c, "cli", "swapped_columns", w("diff_20261211.zip", diff_zip("20261211", with_line(0, swapped))),
             ("corporate_number__pattern",), what="法人番号 and 商号 swapped"),
        Case(c, "cli", "check_digit", w("diff_20261212.zip", diff_zip("20261212", with_line(0, bad_digit))),
             ("corporate_number_check_digit",), what="法人番号 with a wrong check digit"),
        Case(c, "cli", "header_row", w("diff_20261213.zip", diff_zip("20261213", ",".join(header).encode() + b"\n")),
             ("sequence_number__castable",),
             what="a header line and no records (the files have no header)"),
        Case(c, "cli", "ambiguous_members", w("diff_20261214.zip", zip_bytes({"a.csv": csv, "b.csv": csv})),
             ("ambiguous_members",), what="two CSVs, neither named like the zip"),
        Case(c, "cli", "no_csv", w("diff_20261215.zip", zip_bytes({"readme.txt": b"hello"})), ("no_csv",),
             what="a zip without a CSV"),
        Case(c, "cli", "member_path_traversal",
             w("diff_20261216.zip", zip_bytes({"../../../tmp/diff_20261216.csv": csv})), ("unsafe_member_name",),
             what="the CSV member is named ../../../tmp/diff_20261216.csv"),
        Case(c, "cli", "empty_member", w("diff_20261217.zip", diff_zip("20261217", b"")), ("empty",),
             what="a zip whose CSV is 0 bytes"),
        Case(c, "cli", "zip_in_zip", w("diff_20261218.zip", zip_bytes({"diff_20261218.zip": diff.read_bytes()})),
             ("no_csv",), what="the download wrapped in another zip"),
        Case(c, "cli", "duplicate_new_name", w("diff_20261102_copy.zip", recompressed), expect="duplicate",
             what="diff_20261102's CSV re-zipped (stored) under another name"),
    ]


def municipalities(w: Writer) -> list[Case]:
    xls = (SAMPLES / "municipalities" / "000925835.xls").read_bytes()
    xlsx = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    m = "municipalities"
    with_nul = bytearray(xls)
    with_nul[512:2048] = b"\x00" * 1536
    return [
        Case(m, "cli", "truncated_half", w("000925836.xls", xls[: len(xls) // 2]), ("not_xls",),
             what="the .xls cut in half"),
        Case(m, "cli", "truncated_header", w("000925837.xls", xls[: len(xls) // 50]), ("not_xls",),
             what="only the first 2 % (header block) of the .xls"),
        Case(m, "cli", "empty_file", w("000925838.xls", b""), ("not_xls", "empty"), what="0 bytes"),
        Case(m, "cli", "csv_named_xls", w("000925839.xls", "団体コード,都道府県名\n011002,北海道\n".encode("cp932")),
             ("not_xls",), what="a CP932 CSV saved as .xls"),
        Case(m, "cli", "xlsx_named_xls", w("000925840.xls", xlsx), ("not_xls", "zip_layout"),
             what="an .xlsx package renamed .xls"),
        Case(m, "cli", "nul_block", w("000925841.xls", bytes(with_nul)), ("not_xls",),
             what="1.5 KB of NUL bytes over the workbook directory"),
        Case(m, "cli", "zip_bomb", w("000925842.zip", lambda: zip_bytes({"000925842.xls": bomb_member(b"\x00")})),
             ("zip_bomb",), what="a zip holding a 64 MiB .xls of NULs"),
        Case(m, "cli", "zip_two_xls", w("000925843.zip", zip_bytes({"a.xls": xls, "b.xls": xls})), ("zip_layout",),
             what="a zip holding two .xls"),
        Case(m, "cli", "zip_member_path_traversal", w("000925844.zip", zip_bytes({"../../000925844.xls": xls})),
             ("unsafe_member_name",), what="the .xls member is named ../../000925844.xls"),
        Case(m, "cli", "duplicate_new_name", w("soumu_master_copy.xls", xls), expect="duplicate",
             what="the loaded master under another name"),
    ]


def abr(w: Writer) -> list[Case]:
    town = SAMPLES / "abr" / "mt_town_all.csv.zip"
    _, town_csv = zip_member(town)
    header, *rows = town_csv.decode("utf-8").splitlines()
    cols = header.split(",")
    wrong_count = [header, *rows[:1], rows[1] + ",extra,cells", *rows[2:]]
    swapped_cols = cols[:]
    swapped_cols[0], swapped_cols[1] = swapped_cols[1], swapped_cols[0]
    pref_member, pref_csv = zip_member(SAMPLES / "abr" / "mt_pref_all.csv.zip")
    pref_lines = pref_csv.decode("utf-8-sig").splitlines()
    pref_values = pref_lines[1].split(",")
    pref_values[0], pref_values[1] = pref_values[1], pref_values[0]

    def town_zip(lines: list[str], encoding: str = "utf-8") -> bytes:
        return zip_bytes({"mt_town_all.csv": ("\n".join(lines) + "\n").encode(encoding)})

    long_value = rows[0].split(",")
    long_value[15] = "霞" * 70_000
    nul_value = rows[0].split(",")
    nul_value[15] = "霞\x00関"
    a = "abr"
    return [
        Case(a, "cli", "header_only", w("header_only/mt_town_all.csv.zip", town_zip([header])), ("scope_shrink",),
             what="mt_town_all with its header and no rows (would empty abr_towns)"),
        Case(a, "cli", "zip_bomb", w("bomb/mt_town_all.csv.zip", lambda: zip_bytes({"mt_town_all.csv": bomb_member()})),
             ("zip_bomb",), what="64 MiB of newlines"),
        Case(a, "cli", "set_zip_bomb", w("set_bomb.zip", lambda: zip_bytes({"mt_town_all.csv.zip": zip_bytes(
            {"mt_town_all.csv": bomb_member()})}, method=zipfile.ZIP_STORED)), ("zip_bomb",),
             what="a zip of ABR files whose mt_town_all.csv.zip is a bomb"),
        Case(a, "cli", "outer_zip_bomb", w("outer_bomb.zip", lambda: zip_bytes({"mt_town_all.csv.zip": bomb_member(b"\0")})),
             ("zip_bomb",), what="a zip of ABR files whose member itself inflates 64 MiB"),
        Case(a, "cli", "truncated_zip", w("truncated/mt_town_all.csv.zip", town.read_bytes()[:400]),
             ("truncated_zip",), what="mt_town_all.csv.zip cut short"),
        Case(a, "cli", "not_a_zip", w("text/mt_town_all.csv.zip", town_csv), ("not_a_zip",),
             what="the CSV itself under the .csv.zip name"),
        Case(a, "cli", "empty_file", w("empty/mt_town_all.csv.zip", b""), ("empty",), what="0 bytes"),
        Case(a, "cli", "cp932", w("cp932/mt_town_all.csv.zip", town_zip([header, *rows], "cp932")), ("encoding",),
             what="the town master in Shift_JIS"),
        Case(a, "cli", "wrong_header", w("header/mt_town_all.csv.zip", town_zip([",".join(cols[:-3]), *rows])),
             ("unexpected_header",), what="three header columns missing"),
        Case(a, "cli", "wrong_column_count", w("count/mt_town_all.csv.zip", town_zip(wrong_count)),
             ("column_count",), what="a row with two extra cells"),
        Case(a, "cli", "swapped_columns", w("swapped/mt_pref_all.csv.zip",
                                            zip_bytes({pref_member: ("\n".join([pref_lines[0], ",".join(pref_values)])
                                                                     + "\n").encode()})),
             ("lg_code__pattern",), what="lg_code and pref name swapped in mt_pref_all"),
        Case(a, "cli", "huge_field", w("huge/mt_town_all.csv.zip", town_zip([header, ",".join(long_value), *rows[1:]])),
             ("plain_text",), what="a 210 KB 大字・町 name"),
        Case(a, "cli", "nul_in_field", w("nul/mt_town_all.csv.zip", town_zip([header, ",".join(nul_value), *rows[1:]])),
             ("plain_text",), what="a NUL byte inside a 大字・町 name"),
        Case(a, "cli", "two_csvs", w("two/mt_town_all.csv.zip", zip_bytes({"a.csv": town_csv, "b.csv": town_csv})),
             ("zip_layout",), what="two CSVs in one ABR zip"),
        Case(a, "cli", "set_without_abr_files", w("no_abr.zip", zip_bytes({"readme.txt": b"x"})), ("zip_layout",),
             what="a zip of ABR files that holds none"),
        Case(a, "cli", "member_path_traversal", w("traversal.zip", zip_bytes({"../../mt_town_all.csv.zip": town.read_bytes()})),
             ("unsafe_member_name",), what="an ABR file inside a zip named ../../mt_town_all.csv.zip"),
    ]


def moj_map(w: Writer) -> list[Case]:
    sample = SAMPLES / "moj_map" / "13101-0001.zip"
    with zipfile.ZipFile(sample) as outer:
        inner_name = "13101-0001-1.zip"
        inner_bytes = outer.read(inner_name)
    xml_name, xml = zip_member_bytes(inner_bytes)
    text = xml.decode("utf-8")

    def nested(xml_body: bytes, stem: str) -> bytes:
        return zip_bytes({f"{stem}-1.zip": zip_bytes({f"{stem}-1.xml": xml_body})})

    deep = text.replace("<空間属性>", "<空間属性>" + "<a>" * 100_000 + "</a>" * 100_000, 1).encode()
    laughs = ('<?xml version="1.0"?><!DOCTYPE 地図 [<!ENTITY a "' + "x" * 100 + '">'
              + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
              + ']>' + text.split("?>", 1)[1].replace("<市区町村名>千代田区", "<市区町村名>&i;")).encode()
    wrong_root = b'<?xml version="1.0" encoding="UTF-8"?><html><body>not a map</body></html>'
    nest10: bytes = zip_bytes({"13101-0010-1.xml": xml})
    for i in range(40):
        nest10 = zip_bytes({f"13101-0010-{i}.zip": nest10})
    j = "moj_map"
    return [
        Case(j, "cli", "truncated_zip", w("13101-0003.zip", sample.read_bytes()[:1500]), ("not_a_zip", "truncated_zip"),
             what="the published zip cut short"),
        Case(j, "cli", "not_a_zip", w("13101-0004.zip", b"PK\x03\x04 but nothing else"), ("not_a_zip", "truncated_zip"),
             what="zip magic followed by garbage"),
        Case(j, "cli", "empty_file", w("13101-0005.zip", b""), ("not_a_zip", "empty"), what="0 bytes"),
        Case(j, "cli", "xml_bomb", w("13101-0006.zip", lambda: zip_bytes({"13101-0006-1.xml": bomb_member(b" ")})),
             ("zip_bomb",), what="an XML member inflating 64 MiB of spaces"),
        Case(j, "cli", "nested_zip_bomb", w("13101-0007.zip", lambda: zip_bytes({"13101-0007-1.zip": zip_bytes(
            {"13101-0007-1.xml": bomb_member(b" ")})})), ("zip_bomb",), what="the bomb one zip deeper"),
        Case(j, "cli", "deep_nesting", w("13101-0008.zip", nested(deep, "13101-0008")),
             ("xml_malformed",), what="100,000 nested elements"),
        Case(j, "cli", "billion_laughs", w("13101-0009.zip", nested(laughs, "13101-0009")),
             ("xml_malformed",), what="nested entity expansion (10^8 characters)"),
        Case(j, "cli", "zip_nested_40_deep", w("13101-0010.zip", nest10), ("zip_too_deep",),
             what="the XML inside 41 levels of zips"),
        Case(j, "cli", "wrong_root", w("13101-0011.zip", nested(wrong_root, "13101-0011")),
             ("unknown_crs",), what="an XML that is not 地図XML"),
        Case(j, "cli", "illegal_character", w("13101-0012.zip", nested(text.replace("丸の内", "丸の\x0b内").encode(),
                                                                   "13101-0012")),
             ("xml_illegal_character",), what="a vertical tab inside 大字名"),
        Case(j, "cli", "truncated_xml", w("13101-0013.zip", nested(xml[: len(xml) // 2], "13101-0013")),
             ("xml_malformed",), what="the XML cut in half"),
        Case(j, "cli", "member_path_traversal", w("13101-0015.zip", zip_bytes({"../../13101-0015-1.xml": xml})),
             ("unsafe_member_name",), what="an XML member named ../../13101-0015-1.xml"),
        Case(j, "cli", "no_xml", w("13101-0017.zip", zip_bytes({"readme.txt": b"x"})), ("empty",),
             what="a zip without XML"),
    ]


def zip_member_bytes(data: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        name = zf.namelist()[0]
        return name, zf.read(name)


def land_price(w: Writer) -> list[Case]:
    sample = SAMPLES / "land_price" / "xpt002_2024_13_7276_3225.json"
    doc = json.loads(sample.read_text(encoding="utf-8"))
    text = sample.read_bytes()
    huge = json.loads(json.dumps(doc))
    huge["features"][0]["properties"]["standard_lot_number_ja"] = "番" * 300_000
    nul = json.loads(json.dumps(doc))
    nul["features"][0]["properties"]["prefecture_name_ja"] = "東京\x00都"
    lp = "land_price"

    def dumps(d: object) -> bytes:
        return json.dumps(d, ensure_ascii=False).encode("utf-8")

    return [
        Case(lp, "fetch", "truncated", w("xpt002_2024_13_7276_3226.json", text[: len(text) // 2]), ("not_json",),
             what="the response cut in half"),
        Case(lp, "fetch", "empty_file", w("xpt002_2024_13_7276_3227.json", b""), ("not_json", "empty"),
             what="0 bytes"),
        Case(lp, "fetch", "deep_nesting", w("xpt002_2024_13_7276_3228.json", deep_json()), ("json_depth",),
             what="200,000 nested arrays"),
        Case(lp, "fetch", "cp932", w("xpt002_2024_13_7276_3229.json",
                                     text.decode("utf-8").encode("cp932", errors="replace")), ("not_json",),
             what="the response in Shift_JIS"),
        Case(lp, "fetch", "not_geojson", w("xpt002_2024_13_7276_3230.json", b'{"status": "error"}'),
             ("not_geojson",), what="an API error object"),
        Case(lp, "fetch", "bad_name", w("landprice_tokyo.json", dumps(doc)), ("file_name",),
             what="a response under a name that is not the request"),
        Case(lp, "fetch", "huge_field", w("xpt002_2024_13_7276_3232.json", dumps(huge)),
             ("plain_text",), what="a 900 KB 地番 string"),
        Case(lp, "fetch", "nul_in_field", w("xpt002_2024_13_7276_3233.json", dumps(nul)),
             ("plain_text",), what="a NUL inside the prefecture name"),
    ]


def _report(lg: str = KUMAMOTO_CITY, seq: int = 1, **items: object) -> dict:
    body = {"report_type": "disaster_damage", "lg_code": lg, "subject_key": "2026-corpus", "sequence_no": seq,
            "as_of": "2026-09-14T11:00:00+09:00", "disaster_name": "令和8年台風第21号", "dead": 1}
    body.update(items)
    return body


def reports(w: Writer) -> list[Case]:
    from registries.reports.writers import csv_bytes, xlsx_bytes

    def csv(rows: list[dict], **kw) -> bytes:
        return csv_bytes("disaster_damage", rows, **kw)

    good = csv([_report(seq=90)])
    header, notes, row = good.decode("utf-8").split("\r\n")[:3]
    hcells = header.split(",")
    cells = row.split(",")
    lg_i, seq_i = hcells.index("団体コード"), hcells.index("報告番号 (第N報)")
    swapped = cells[:]
    swapped[lg_i], swapped[seq_i] = swapped[seq_i], swapped[lg_i]
    cp932_bad = csv([_report(seq=91)], encoding="cp932") + b"\x81\x7f\xff\n"
    xlsx = xlsx_bytes("disaster_damage", [_report(seq=92)])
    formula_xlsx = _xlsx_with(xlsx, lambda ws: ws.cell(row=2, column=hcells.index("災害名") + 1,
                                                       value="=HYPERLINK(\"http://example.invalid\",\"x\")"))
    two_sheets = _xlsx_with(xlsx, lambda ws: ws.parent.create_sheet("extra").append(["x"]))
    merged = _xlsx_with(xlsx, lambda ws: ws.merge_cells("A2:B2"))
    header_only_xlsx = xlsx_bytes("disaster_damage", [])
    def xlsx_bomb() -> bytes:
        return zip_bytes({**_members(xlsx), "xl/media/bomb.bin": bomb_member(b"\0")})

    xlsx_traversal = zip_bytes({**_members(xlsx), "../../../etc/evil.xml": b"<x/>"})
    big_json = json.dumps(_report(seq=93, disaster_name="台" * 400_000), ensure_ascii=False).encode()
    r = "reports"
    cases = [
        Case(r, "cli", "empty_file", w("r_empty.csv", b""), ("empty",), what="0 bytes"),
        Case(r, "cli", "header_only_csv", w("r_header_only.csv", csv([])), ("empty",),
             what="the template's header and notes rows, no report"),
        Case(r, "cli", "cp932_invalid", w("r_cp932.csv", cp932_bad), ("encoding",),
             what="Shift_JIS CSV with bytes no codec maps"),
        Case(r, "cli", "utf16", w("r_utf16.csv", b"\xff\xfe" + good.decode().encode("utf-16-le")), ("encoding",),
             what="UTF-16 CSV"),
        Case(r, "cli", "nul_bytes", w("r_nul.csv", good.replace("令和8年".encode(), b"\x00\x00")), ("encoding",),
             what="NUL bytes in a cell"),
        Case(r, "cli", "huge_field", w("r_huge_field.csv", "\r\n".join([header, notes, row.replace(
            "令和8年台風第21号", '"' + "台" * 70_000 + '"')]).encode()), ("csv_syntax", "field_too_long"),
             what="a 210 KB cell"),
        Case(r, "cli", "huge_line", w("r_huge_line.csv", header.encode() + b"\r\n" + b"x" * (8 * 1024 * 1024)),
             ("csv_syntax", "field_too_long", "column_count"), what="one 8 MiB line"),
        Case(r, "cli", "wrong_column_count", w("r_columns.csv", "\r\n".join([header, notes, row + ",1,2,3"]).encode()),
             ("column_count",), what="a row with three cells beyond the header"),
        Case(r, "cli", "swapped_columns", w("r_swapped.csv", "\r\n".join([header, notes, ",".join(swapped)]).encode()),
             ("columns__pattern",), what="団体コード and 報告番号 values swapped"),
        Case(r, "cli", "formula_cmd", w("r_formula_cmd.csv", csv([_report(seq=94, disaster_name="=cmd|' /C calc'!A0")])),
             ("formula_cell",), what="災害名 =cmd|' /C calc'!A0 (DDE)"),
        Case(r, "cli", "formula_at_sum", w("r_formula_at.csv", csv([_report(seq=95, disaster_name="@SUM(1+1)*cmd|' /C calc'!A0")])),
             ("formula_cell",), what="災害名 @SUM(1+1)*cmd|..."),
        Case(r, "cli", "unknown_header", w("r_unknown_header.csv", good.replace("災害名".encode(), b"<script>")),
             ("unknown_header",), what="a header that is no field"),
        Case(r, "cli", "duplicate_header", w("r_dup_header.csv", good.replace("災害名".encode(), "死者(人)".encode())),
             ("duplicate_header",), what="死者(人) twice"),
        Case(r, "cli", "broken_quote", w("r_quote.csv", "\r\n".join([header, notes, row.replace(
            "令和8年台風第21号", '"令和8年台風')]).encode()), ("csv_syntax",), what="a quote never closed"),
        Case(r, "cli", "truncated_xlsx", w("r_truncated.xlsx", xlsx[: len(xlsx) // 2]), ("not_a_zip", "not_xlsx"),
             what="the XLSX cut in half"),
        Case(r, "cli", "xlsx_bomb", w("r_bomb.xlsx", xlsx_bomb), ("zip_bomb",), what="an XLSX carrying 64 MiB of NULs"),
        Case(r, "cli", "xlsx_formula", w("r_formula.xlsx", formula_xlsx), ("formula_cell",),
             what="a formula cell (=HYPERLINK) in the data sheet"),
        Case(r, "cli", "xlsx_two_sheets", w("r_two_sheets.xlsx", two_sheets), ("extra_sheet",),
             what="a second data sheet"),
        Case(r, "cli", "xlsx_merged", w("r_merged.xlsx", merged), ("merged_cells",), what="merged cells"),
        Case(r, "cli", "xlsx_header_only", w("r_header_only.xlsx", header_only_xlsx), ("empty",),
             what="the template without rows"),
        Case(r, "cli", "xlsx_member_traversal", w("r_traversal.xlsx", xlsx_traversal), ("unsafe_member_name",),
             what="an XLSX member named ../../../etc/evil.xml"),
        Case(r, "cli", "json_deep", w("r_deep.json", deep_json()), ("json_depth",), what="200,000 nested arrays"),
        Case(r, "cli", "json_truncated", w("r_truncated.json", json.dumps(_report(seq=96)).encode()[:-20]),
             ("json_syntax",), what="the JSON cut short"),
        Case(r, "cli", "json_cp932", w("r_cp932.json", json.dumps(_report(seq=97), ensure_ascii=False).encode("cp932")),
             ("encoding",), what="JSON in Shift_JIS"),
        Case(r, "cli", "json_not_objects", w("r_numbers.json", b"[1, 2, 3]"), ("json_shape",), what="a list of numbers"),
        Case(r, "cli", "json_empty_list", w("r_empty_list.json", b"[]"), ("empty",), what="an empty list"),
        Case(r, "cli", "json_huge_field", w("r_huge_field.json", big_json), ("field_too_long", "max_length"),
             what="a 1.2 MB 災害名"),
        Case(r, "cli", "json_formula", w("r_formula.json", json.dumps(_report(seq=98, disaster_name="=1+1"),
                                                                    ensure_ascii=False).encode()),
             ("formula_cell",), what="災害名 =1+1"),
        Case(r, "cli", "duplicate_new_name",
             w("r_sample_copy.json", (SAMPLES / "reports" / "files" / "00002_disaster_damage_462047.json").read_bytes()),
             expect="duplicate", what="a loaded sample report under another name"),
        # the landing folder
        Case(r, "landing", "symlink_outside", w("landing_link_passwd.csv", b""), expect="ignored",
             link_to="/etc/passwd", what="a symbolic link to /etc/passwd dropped in landing"),
        Case(r, "landing", "symlink_report", w("landing_link_report.csv", b""), expect="ignored",
             link_to="@good", what="a symbolic link to a valid report outside landing"),
        Case(r, "landing", "header_only", w("landing_header_only.csv", csv([], encoding="cp932")), ("empty",),
             what="a CP932 template without rows"),
        Case(r, "landing", "cp932_invalid", w("landing_cp932.csv", cp932_bad + b"\x00"), ("encoding",),
             what="undecodable bytes and a NUL"),
        Case(r, "landing", "control_chars_in_name", w("landing_ctrl.csv", b"\xff\xfe\x00"), ("encoding",),
             name="landing\x1b[31m\rctrl.csv", what="a file name with an escape sequence and CR"),
        Case(r, "landing", "formula", w("landing_formula.csv", csv([_report(seq=99, disaster_name="+cmd|' /C calc'!A0")])),
             ("formula_cell",), what="災害名 +cmd|..."),
        # the HTTP intake
        Case(r, "http", "other_municipality", w("h_other.json", json.dumps(_report(seq=100)).encode()),
             ("not_authorised",), token="other", what="Yatsushiro's token, a report for Kumamoto City"),
        Case(r, "http", "deep_json", w("h_deep.json", deep_json()), ("json_depth",), what="200,000 nested arrays"),
        Case(r, "http", "huge_line", w("h_line.csv", header.encode() + b"\r\n" + b"y" * (8 * 1024 * 1024)),
             ("csv_syntax", "field_too_long", "column_count"), what="one 8 MiB line"),
        Case(r, "http", "xlsx_bomb", w("h_bomb.xlsx", xlsx_bomb), ("zip_bomb",), what="an XLSX bomb upload"),
        Case(r, "http", "path_traversal_name", w("h_traversal.csv", csv([])), ("empty",),
             name="../../../../etc/cron.d/kiban.csv", what="upload named ../../../../etc/cron.d/kiban.csv"),
        Case(r, "http", "nul_name_and_body", w("h_nul.csv", good.replace(b",", b"\x00,", 3)), ("encoding",),
             name="r\x00.csv", what="NUL in the upload name and the body"),
        Case(r, "http", "formula", w("h_formula.csv", csv([_report(seq=101, disaster_name="-2+3+cmd|' /C calc'!A0")])),
             ("formula_cell",), what="災害名 -2+3+cmd|..."),
        Case(r, "http", "xlsx_formula", w("h_formula.xlsx", formula_xlsx), ("formula_cell",),
             what="a formula cell in an uploaded XLSX"),
    ]
    return cases


def _members(xlsx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _xlsx_with(xlsx: bytes, change: Callable) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx))
    change(wb.worksheets[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SOURCES = (corporate, municipalities, abr, moj_map, land_price, reports)


def generate(out: Path | None) -> list[Case]:
    """Write every corpus file under ``out`` (``None``: only list the cases); returns them in a stable order."""

    def write(rel: str, data: bytes | Callable[[], bytes]) -> str:
        if out is not None:
            path = Path(out) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data() if callable(data) else data)
        return rel

    cases: list[Case] = []
    for build in SOURCES:
        src = build.__name__
        cases += build(lambda rel, data, src=src: write(f"{src}/{rel}", data))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


def table(cases: list[Case]) -> str:
    rows = [("source", "door", "case", "expected")] + [
        (c.source, c.door, c.case, c.rules[0] if c.expect == "quarantined" else c.expect) for c in cases]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)) for r in rows)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hardening/corpus.py OUT_DIR", file=sys.stderr)
        return 2
    cases = generate(Path(argv[0]))
    total = sum((Path(argv[0]) / c.file).stat().st_size for c in cases)
    print(f"bad-input corpus: {len(cases)} files ({total / 1e6:.1f} MB) across "
          f"{len({c.source for c in cases})} sources and {len({c.door for c in cases})} doors")
    print(table(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
