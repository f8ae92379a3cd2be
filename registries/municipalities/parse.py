"""Parse the 総務省 「全国地方公共団体コード」 Excel file (``000925835.xls``, legacy BIFF) into master rows.

Sheet 1 (「R6.1.1現在の団体」) lists prefectures (empty 市区町村名) and every 市区町村; sheet 2
(「R6.1.1政令指定都市」) lists the 20 政令指定都市 and their 171 区. Quirks handled here:

- header cells contain newlines, and sheet 2 writes 「（ｶﾅ）」 in half-width kana;
- on sheet 2 some codes are stored as floats and lost their leading zero (``431052.0``);
- kana is half-width (``ﾎｯｶｲﾄﾞｳ``): converted to full-width with NFKC applied to the kana runs only.

The 6 北方領土 villages are kept and flagged. Rows of ``history.csv`` (abolished codes and validity dates) are
merged in, so abolished codes stay resolvable.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

import xlrd

from registries.errors import SourceError
from registries.municipalities.codes import is_valid_lg_code, normalise_code_cell

HISTORY_CSV = Path(__file__).with_name("history.csv")
EXPECTED_HEADER = ("団体コード", "都道府県名(漢字)", "市区町村名(漢字)", "都道府県名(カナ)", "市区町村名(カナ)")
NORTHERN_TERRITORIES = frozenset({"016951", "016969", "016977", "016985", "016993", "017001"})
"""北方領土の6村: 色丹村, 泊村, 留夜別村, 留別村, 紗那村, 蘂取村."""

TYPES = ("prefecture", "city", "town", "village", "special_ward", "designated_city", "ward")
_SUFFIX_TYPE = {"市": "city", "町": "town", "村": "village"}
_HALF_KANA = re.compile(r"[\uff61-\uff9f]+")


@dataclass(frozen=True)
class Municipality:
    """One 団体 (都道府県, 市区町村 or 政令市の区) with its validity; fields follow ``schemas.municipalities``."""

    lg_code: str
    code5: str
    prefecture_code: str
    prefecture_name: str
    prefecture_kana: str | None
    name: str
    name_kana: str | None
    type: str | None
    parent_lg_code: str | None
    is_northern_territories: bool
    valid_from: date | None
    valid_to: date | None
    successor_lg_codes: str | None
    source: str
    source_row: int

    def is_valid_on(self, on: date) -> bool:
        """有効期間 [valid_from, valid_to): NULL valid_from means 'since before the master', NULL valid_to active."""
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)


def full_width_kana(text: str) -> str:
    """半角カナ -> 全角カナ (``'ｻｯﾎﾟﾛｼ'`` -> ``'サッポロシ'``); NFKC is applied to half-width kana runs only."""
    return _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def _norm_header(cell: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell)))


def _check_header(file: str, sheet: xlrd.sheet.Sheet) -> None:
    got = tuple(_norm_header(c) for c in sheet.row_values(0)[: len(EXPECTED_HEADER)])
    if got != EXPECTED_HEADER:
        missing = [h for h in EXPECTED_HEADER if h not in got]
        extra = [h for h in got if h not in EXPECTED_HEADER]
        raise SourceError(
            file, f"sheet {sheet.name!r}: unexpected header; missing {missing}, extra {extra}",
            rule="unexpected_header", row=1,
        )


def _cell_text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _type_from_name(prefecture_code: str, name: str) -> str | None:
    """団体区分 from the name suffix: 市/町/村, and 区 only for 東京都 (特別区)."""
    if not name:
        return "prefecture"
    if name.endswith("区"):
        return "special_ward" if prefecture_code == "13" else None
    return _SUFFIX_TYPE.get(name[-1])


def _sheet_rows(file: str, sheet: xlrd.sheet.Sheet) -> list[tuple[int, str, str, str, str, str]]:
    """(1-based row, lg_code, 都道府県名, 市区町村名, 都道府県カナ, 市区町村カナ) for each non-empty row."""
    out = []
    for r in range(1, sheet.nrows):
        values = sheet.row_values(r)
        if not any(_cell_text(v) for v in values):
            continue
        try:
            code = normalise_code_cell(values[0])
        except ValueError as exc:
            raise SourceError(file, str(exc), rule="code_format", row=r + 1, column="団体コード") from exc
        pref, name, pref_kana, name_kana = (_cell_text(v) for v in values[1:5])
        out.append((r + 1, code, pref, name, full_width_kana(pref_kana), full_width_kana(name_kana)))
    return out


def read_master(path: str | Path) -> list[Municipality]:
    """The 団体 of the 総務省 file: prefectures, 市区町村 (incl. 北方領土) and 政令市の区, in file order."""
    path = Path(path)
    notes = io.StringIO()  # xlrd's own warnings (truncation, ...) go into the error, not onto stdout
    try:
        book = xlrd.open_workbook(str(path), logfile=notes)
    except Exception as exc:  # noqa: BLE001 - xlrd raises IndexError, AssertionError, ... on damaged files
        said = " ".join(line.strip(" *") for line in notes.getvalue().splitlines()[:2])
        raise SourceError(path.name, f"not a readable legacy Excel (.xls) file: {type(exc).__name__}: {exc}"
                                     + (f" ({said})" if said else ""), rule="not_xls") from None
    if book.nsheets < 2:
        raise SourceError(path.name, f"expected 2 sheets, found {book.nsheets}", rule="sheet_count")
    main, designated = book.sheet_by_index(0), book.sheet_by_index(1)
    for sheet in (main, designated):
        _check_header(path.name, sheet)

    rows: list[Municipality] = []
    for row, code, pref, name, pref_kana, name_kana in _sheet_rows(path.name, main):
        rows.append(Municipality(
            lg_code=code, code5=code[:5], prefecture_code=code[:2], prefecture_name=pref,
            prefecture_kana=pref_kana or None, name=name or pref, name_kana=(name_kana or pref_kana) or None,
            type=_type_from_name(code[:2], name), parent_lg_code=None,
            is_northern_territories=code in NORTHERN_TERRITORIES, valid_from=None, valid_to=None,
            successor_lg_codes=None, source=f"{path.name}#{main.name}!A{row}", source_row=row,
        ))
    by_code = {m.lg_code: i for i, m in enumerate(rows)}

    parent: Municipality | None = None
    for row, code, pref, name, pref_kana, name_kana in _sheet_rows(path.name, designated):
        if code in by_code:  # 政令指定都市 itself: also listed on sheet 1
            i = by_code[code]
            rows[i] = parent = replace(rows[i], type="designated_city")
            continue
        if parent is None or not name.startswith(parent.name) or parent.prefecture_code != code[:2]:
            raise SourceError(
                path.name, f"sheet {designated.name!r}: 区 {name!r} does not follow its 政令指定都市",
                rule="ward_without_city", row=row,
            )
        rows.append(Municipality(
            lg_code=code, code5=code[:5], prefecture_code=code[:2], prefecture_name=pref,
            prefecture_kana=pref_kana or None, name=name, name_kana=name_kana or None, type="ward",
            parent_lg_code=parent.lg_code, is_northern_territories=False, valid_from=None, valid_to=None,
            successor_lg_codes=None, source=f"{path.name}#{designated.name}!A{row}", source_row=row,
        ))
    return rows


def _opt_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def read_history(path: str | Path = HISTORY_CSV) -> list[dict[str, str]]:
    """The rows of ``history.csv`` (UTF-8, header row); every code in it must pass the 検査数字."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, r in enumerate(rows, start=2):
        codes = [r["lg_code"], r.get("parent_lg_code") or "", *(r.get("successor_lg_codes") or "").split(";")]
        for c in filter(None, codes):
            if not is_valid_lg_code(c):
                raise SourceError(path.name, f"code {c!r} fails the 検査数字", rule="check_digit", row=i)
    return rows


def apply_history(master: list[Municipality], history: list[dict[str, str]], *, name: str = "history.csv",
                  ) -> list[Municipality]:
    """Merge history rows: set validity on codes in the master, append abolished codes that it no longer lists."""
    out = list(master)
    index = {m.lg_code: i for i, m in enumerate(out)}
    kana = {m.prefecture_code: m.prefecture_kana for m in master if m.type == "prefecture"}
    for line, h in enumerate(history, start=2):
        code = h["lg_code"]
        validity = {
            "valid_from": _opt_date(h.get("valid_from", "")), "valid_to": _opt_date(h.get("valid_to", "")),
            "successor_lg_codes": h.get("successor_lg_codes") or None,
        }
        if code in index:
            out[index[code]] = replace(out[index[code]], **validity)
            continue
        out.append(Municipality(
            lg_code=code, code5=code[:5], prefecture_code=code[:2], prefecture_name=h["prefecture_name"],
            prefecture_kana=kana.get(code[:2]), name=h["name"], name_kana=h.get("name_kana") or None,
            type=h["type"] or None, parent_lg_code=h.get("parent_lg_code") or None,
            is_northern_territories=code in NORTHERN_TERRITORIES, source=f"{name}:{line}", source_row=line,
            **validity,
        ))
        index[code] = len(out) - 1
    return out


def load_master(path: str | Path, history_path: str | Path | None = HISTORY_CSV) -> list[Municipality]:
    """The master with its history: :func:`read_master` + :func:`apply_history`."""
    master = read_master(path)
    if history_path is None:
        return master
    return apply_history(master, read_history(history_path), name=Path(history_path).name)


def as_records(rows: list[Municipality]) -> list[dict]:
    """Rows as dicts (contract columns + ``source_row``)."""
    names = [f.name for f in fields(Municipality)]
    return [{n: getattr(m, n) for n in names} for m in rows]
