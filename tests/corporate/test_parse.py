from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from registries.corporate.parse import diff_file_name, kind_from_name, stage_corporate_file, text_view_sql
from registries.errors import SourceError
from schemas.corporate import OFFICIAL_COLUMN_NAMES

# Two real rows (jp-corpreg-loader tests/data/31_tottori_test_20240329.csv), Unicode CSV form.
REAL_ROWS = (
    '1,1000013050238,01,1,2018-04-02,2015-10-05,"鳥取簡易裁判所",,101,"鳥取県","鳥取市","東町２丁目２２３",,31,201,'
    '6800011,,,,,,,2015-10-05,1,"Tottori Summary Court","Tottori","2-223, Higashimachi, Tottori shi",,'
    '"トットリカンイサイバンショ",0\n'
    '127,1280001002413,21,0,2018-01-10,2018-01-05,"島田商事株式会社",,301,"島根県","安来市","安来町１５７８番地",,32,206,'
    ',,,2018-01-05,01,,,2015-10-05,1,,,,,,0\n'
)


def _zip(path: Path, payload: bytes, inner: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(inner or f"{path.stem}.csv", payload)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _stage(path: Path, tmp_path: Path, **kw) -> tuple[object, pl.DataFrame]:
    out = tmp_path / "out" / f"{path.name}.parquet"
    res = stage_corporate_file(path, out, **kw)
    return res, staged_text(out)


def staged_text(parquet: Path) -> pl.DataFrame:
    """The staged file as the received text (what validation sees)."""
    import duckdb

    return duckdb.connect().execute(text_view_sql(f"read_parquet('{parquet}')")).pl()


def _raises(path: Path, tmp_path: Path, rule: str, **kw) -> SourceError:
    out = tmp_path / "out" / "x.parquet"
    with pytest.raises(SourceError) as ei:
        stage_corporate_file(path, out, **kw)
    assert ei.value.rule == rule
    assert ei.value.file == path.name
    assert path.name in str(ei.value)
    assert not out.exists()
    assert not [p for p in out.parent.glob("*") if p.is_file()]  # no temp files left behind
    return ei.value


def test_both_encodings_of_the_sample_stage_identically(samples: Path, tmp_path: Path) -> None:
    r_utf8, utf8 = _stage(samples / "00_zenkoku_all_20261030.zip", tmp_path)
    r_sjis, sjis = _stage(samples / "sjis" / "00_zenkoku_all_20261030.zip", tmp_path / "s")
    assert r_utf8.encoding == "utf-8" and r_sjis.encoding == "cp932"
    assert r_utf8.kind_hint == r_sjis.kind_hint == "full"
    assert r_utf8.inner_name == "00_zenkoku_all_20261030.csv"
    assert r_utf8.rows == utf8.height > 200
    assert utf8.columns == [*OFFICIAL_COLUMN_NAMES, "_source_row", "_text_suspect"]
    assert utf8["_text_suspect"].null_count() == utf8.height  # the published text: no control characters
    assert utf8.schema["_source_row"] == pl.Int64
    assert all(utf8.schema[c] == pl.String for c in OFFICIAL_COLUMN_NAMES)
    assert utf8.equals(sjis)
    assert utf8["_source_row"].to_list() == list(range(1, utf8.height + 1))
    assert utf8["prefecture_code"].drop_nulls().unique().len() == 47


def test_special_characters_round_trip(samples: Path, tmp_path: Path) -> None:
    for path in (samples / "00_zenkoku_all_20261030.zip", samples / "sjis" / "00_zenkoku_all_20261030.zip"):
        _, df = _stage(path, tmp_path / path.parent.name)
        names = set(df["name"].to_list())
        assert {"株式会社サンプル①号館", "㈱表記テスト商会", "ﾏﾙｲﾁ商店有限会社"} <= names
        assert 'Kabushiki Kaisha "Sakura" Trading' in df["en_name"].to_list()
        assert '"Aoba" & "Wakaba" Holdings, Ltd.' in df["en_name"].to_list()


def test_sample_covers_every_code(samples: Path, tmp_path: Path) -> None:
    frames = [_stage(p, tmp_path / p.stem)[1] for p in sorted(samples.glob("*.zip"))]
    df = pl.concat(frames)
    assert set(df["process"]) == {"01", "11", "12", "13", "21", "22", "71", "72", "81", "99"}
    assert set(df["kind"]) == {"101", "201", "301", "302", "303", "304", "305", "399", "401", "499"}
    assert set(df["close_cause"].drop_nulls()) == {"01", "11", "21", "31"}
    assert set(df["correct"]) == set(df["latest"]) == set(df["hihyoji"]) == {"0", "1"}
    assert df["successor_corporate_number"].drop_nulls().len() >= 1


def test_real_rows_parse_exactly(tmp_path: Path) -> None:
    path = _zip(tmp_path / "31_tottori_all_20240329.zip", REAL_ROWS.encode())
    res, df = _stage(path, tmp_path)
    assert res.rows == 2 and res.kind_hint == "full"
    first, second = df.to_dicts()
    assert first["sequence_number"] == "1" and first["corporate_number"] == "1000013050238"
    assert first["process"] == "01" and first["correct"] == "1" and first["kind"] == "101"
    assert first["name"] == "鳥取簡易裁判所" and first["street_number"] == "東町２丁目２２３"
    assert first["prefecture_code"] == "31" and first["city_code"] == "201" and first["post_code"] == "6800011"
    assert first["en_city_name"] == "2-223, Higashimachi, Tottori shi"
    assert first["furigana"] == "トットリカンイサイバンショ" and first["hihyoji"] == "0"
    assert first["name_image_id"] is None and first["close_date"] is None
    assert second["sequence_number"] == "127" and second["process"] == "21"
    assert second["close_date"] == "2018-01-05" and second["close_cause"] == "01"
    assert second["post_code"] is None and second["en_name"] is None
    assert second["_source_row"] == 2


def test_bare_csv_crlf_and_bom_and_extra_zip_members(tmp_path: Path) -> None:
    bare = tmp_path / "diff_20261102.csv"
    bare.write_bytes(b"\xef\xbb\xbf" + REAL_ROWS.replace("\n", "\r\n").encode())
    res, df = _stage(bare, tmp_path)
    assert res.encoding == "utf-8-sig" and res.kind_hint == "diff" and res.rows == 2
    assert df["hihyoji"].to_list() == ["0", "0"]
    z = _zip(tmp_path / "diff_20261103.zip", REAL_ROWS.encode(), extra={"readme.txt": b"x", "sig.asc": b"y"})
    res, df = _stage(z, tmp_path)
    assert res.inner_name == "diff_20261103.csv" and df.height == 2


def test_kind_override_and_names() -> None:
    assert kind_from_name("00_zenkoku_all_20260130.zip") == "full"
    assert kind_from_name("13_tokyo_all_20260130_2.zip") == "full"
    assert kind_from_name("diff_20260220.zip") == "diff"
    assert kind_from_name("whatever.zip") is None
    assert diff_file_name("20260220") == "diff_20260220.zip"


def test_kind_override(tmp_path: Path) -> None:
    path = _zip(tmp_path / "download.zip", REAL_ROWS.encode(), inner="download.csv")
    assert _stage(path, tmp_path)[0].kind_hint is None
    assert stage_corporate_file(path, tmp_path / "o.parquet", kind="diff").kind_hint == "diff"


def test_truncated_zip(samples: Path, tmp_path: Path) -> None:
    data = (samples / "00_zenkoku_all_20261030.zip").read_bytes()
    path = tmp_path / "00_zenkoku_all_20261030.zip"
    path.write_bytes(data[: len(data) // 2])
    _raises(path, tmp_path, "truncated_zip")


def test_html_instead_of_zip(tmp_path: Path) -> None:
    path = tmp_path / "00_zenkoku_all_20261030.zip"
    path.write_text("<!DOCTYPE html><html><body>システムエラー</body></html>", encoding="utf-8")
    err = _raises(path, tmp_path, "not_a_zip")
    assert "HTML" in err.message


def test_empty_file_and_empty_member(tmp_path: Path) -> None:
    empty = tmp_path / "00_zenkoku_all_20261030.zip"
    empty.write_bytes(b"")
    _raises(empty, tmp_path, "empty")
    _raises(_zip(tmp_path / "diff_20261102.zip", b""), tmp_path, "empty")


@pytest.mark.parametrize("cut", ["short", "long"])
def test_wrong_column_count_names_the_row(tmp_path: Path, cut: str) -> None:
    lines = (REAL_ROWS * 3).splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] if cut == "short" else lines[4] + ",extra"
    path = _zip(tmp_path / "diff_20261102.zip", ("\n".join(lines) + "\n").encode())
    err = _raises(path, tmp_path, "column_count")
    assert err.row == 5
    assert ("29" if cut == "short" else "31") in err.message


def test_broken_sample_column_count(samples: Path, tmp_path: Path) -> None:
    err = _raises(samples / "broken" / "01_hokkaido_all_20261030.zip", tmp_path, "column_count")
    assert err.row == 7


def test_empty_last_field_is_not_a_column_count_error(tmp_path: Path) -> None:
    row = REAL_ROWS.splitlines()[0].rsplit(",", 1)[0] + ",\n"  # 30 fields, hihyoji empty
    _, df = _stage(_zip(tmp_path / "diff_20261102.zip", row.encode()), tmp_path)
    assert df["hihyoji"].to_list() == [None]


def test_shift_jis_declared_as_utf8(samples: Path, tmp_path: Path) -> None:
    err = _raises(samples / "sjis" / "00_zenkoku_all_20261030.zip", tmp_path, "encoding", encoding="UTF-8")
    assert "byte offset" in err.message and err.row == 1


def test_utf8_declared_as_shift_jis(samples: Path, tmp_path: Path) -> None:
    _raises(samples / "00_zenkoku_all_20261030.zip", tmp_path, "encoding", encoding="Shift_JIS")


def test_invalid_utf8_late_in_the_file_names_offset_and_row(tmp_path: Path) -> None:
    good = (REAL_ROWS * 2000).encode()
    bad = REAL_ROWS.splitlines()[0].replace("鳥取簡易裁判所", "鳥取\udcff").encode("utf-8", "surrogateescape")
    payload = good + bad + b"\n"
    path = _zip(tmp_path / "diff_20261102.zip", payload)
    err = _raises(path, tmp_path, "encoding")
    assert err.row == 4001
    offset = payload.index(b"\xff")
    assert f"byte offset {offset}" in err.message


def test_invalid_cp932_late_in_the_file(tmp_path: Path) -> None:
    good = (REAL_ROWS * 2000).encode("cp932")
    payload = good + REAL_ROWS.encode("cp932").replace("鳥取".encode("cp932"), b"\x81\x7f", 1)
    path = _zip(tmp_path / "diff_20261102.zip", payload)
    err = _raises(path, tmp_path, "encoding")
    assert err.row == 4001
    offset = len(good) + payload[len(good):].index(b"\x81\x7f")
    assert f"byte offset {offset}" in err.message


def test_neither_encoding(tmp_path: Path) -> None:
    path = _zip(tmp_path / "diff_20261102.zip", b"1,\x80\xff\xfe\x81\x7f,01\n")
    _raises(path, tmp_path, "encoding")


@pytest.mark.parametrize("variant", ["zip64", "stored", "data_descriptor"])
def test_zip_variants_stage_like_the_published_zip(samples: Path, tmp_path: Path, variant: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip64 local header, a stored (uncompressed) member and a streamed member (sizes in a data descriptor)
    stage exactly like the published zip: the first two through the gzip hand-over, the stored one through
    the transcoder."""
    src = samples / "00_zenkoku_all_20261030.zip"
    with zipfile.ZipFile(src) as zf:
        inner = zf.namelist()[0]
        payload = zf.read(inner)
    target = tmp_path / variant / src.name
    target.parent.mkdir()
    method = zipfile.ZIP_STORED if variant == "stored" else zipfile.ZIP_DEFLATED
    if variant == "data_descriptor":
        with open(target, "wb") as raw:  # a non-seekable writer makes zipfile stream the member
            class Unseekable:
                def write(self, b: bytes) -> int:
                    return raw.write(b)

                def flush(self) -> None:
                    raw.flush()

            with zipfile.ZipFile(Unseekable(), "w", method) as zf, zf.open(inner, "w") as member:  # type: ignore[arg-type]
                member.write(payload)
        with zipfile.ZipFile(target) as zf:
            assert zf.getinfo(inner).flag_bits & 0x08  # sizes after the data
    else:
        with zipfile.ZipFile(target, "w", method) as zf, zf.open(inner, "w", force_zip64=variant == "zip64") as m:
            m.write(payload)
    expected = _stage(src, tmp_path / "published")[1]
    import registries.corporate.parse as parse

    handed_over: list[bool] = []
    original = parse._deflate_member_as_gzip
    monkeypatch.setattr(parse, "_deflate_member_as_gzip",
                        lambda *a: handed_over.append(original(*a)) or handed_over[-1])
    result, staged = _stage(target, tmp_path / f"{variant}-out")
    assert result.encoding == "utf-8" and result.rows == expected.height
    assert staged.equals(expected)
    assert handed_over == [variant != "stored"]
