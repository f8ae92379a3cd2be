"""CP932 -> UTF-8 in worker processes (registries.corporate.transcode), the path taken without glibc's iconv:
the same bytes and errors as the serial decoder."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

import registries.corporate.cp932iconv as cp932iconv
import registries.corporate.decode as decode
from registries.corporate.decode import transcode_cp932_parallel, transcode_to_utf8
from registries.corporate.parse import stage_corporate_file
from registries.corporate.transcode import line_pieces
from registries.errors import SourceError

# lines of two-byte characters (kanji, kana, NEC specials ① ㈱ Ⅲ, IBM extensions 髙 﨑), ASCII and empty lines
WORDS = ["株式会社", "ｶﾌﾞｼｷｶﾞｲｼｬ", "①②", "㈱", "Ⅲ", "髙橋", "﨑", "東京都千代田区霞が関１丁目", "abc", "", "ー～"]


@pytest.fixture(autouse=True)
def without_iconv(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without glibc's CP932 module: ``iconv_open`` fails for an unknown charset."""
    monkeypatch.setattr(cp932iconv, "FROM", b"NO-SUCH-CHARSET-932")
    assert not cp932iconv.available()


def cp932_text(lines: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(",".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 6))) + "\n" for _ in range(lines))


def serial(payload: bytes) -> bytes | SourceError:
    out = io.BytesIO()
    try:
        transcode_to_utf8(io.BytesIO(payload), out, "cp932", "x.csv")
    except SourceError as exc:
        return exc
    return out.getvalue()


def parallel(payload: bytes, chunk: int, scratch: Path, first: int = 0) -> bytes | SourceError:
    out = scratch / "out.csv"
    with out.open("wb") as dest:
        try:
            transcode_cp932_parallel(io.BytesIO(payload[first:]), dest, "x.csv", scratch / "parts",
                                     first=payload[:first], workers=2, chunk=chunk)
        except SourceError as exc:
            return exc
        finally:
            assert not (scratch / "parts").exists()  # scratch files removed, also after a failure
    return out.read_bytes()


def test_pieces_end_at_line_ends_and_cover_the_text() -> None:
    payload = cp932_text(500).encode("cp932")
    for chunk in (1, 7, 100, 4096, len(payload) + 1):
        pieces = list(line_pieces(io.BytesIO(payload[5:]), first=payload[:5], chunk=chunk))
        assert b"".join(pieces) == payload
        assert all(p.endswith(b"\n") for p in pieces)
        assert len(pieces) > 1 or chunk > len(payload)


@pytest.mark.parametrize("chunk", [3, 64, 1000, 65536])
def test_parallel_equals_serial_at_every_chunk_size(chunk: int, tmp_path: Path) -> None:
    text = cp932_text(3000)
    payload = text.encode("cp932")
    expected = serial(payload)
    assert expected == text.encode("utf-8")
    assert parallel(payload, chunk, tmp_path, first=11) == expected


def test_a_file_without_final_newline_and_with_a_bom_matches_serial(tmp_path: Path) -> None:
    payload = b"\xef\xbb\xbf" + cp932_text(200).encode("cp932") + "末尾".encode("cp932")
    assert parallel(payload, 50, tmp_path) == serial(payload)


@pytest.mark.parametrize("line", [0, 1, 599, 1200])
def test_invalid_bytes_are_reported_like_the_serial_decoder(line: int, tmp_path: Path) -> None:
    lines = cp932_text(1201, seed=line).encode("cp932").split(b"\n")
    lines[line] = b"ok," + b"\x81\x7f" + lines[line]  # 0x7F is never a trail byte
    payload = b"\n".join(lines)
    got, expected = parallel(payload, 256, tmp_path), serial(payload)
    assert isinstance(got, SourceError) and isinstance(expected, SourceError)
    assert (got.rule, got.row, got.message, got.value) == (expected.rule, expected.row, expected.message,
                                                            expected.value)
    assert got.row == line + 1


def test_a_file_ending_inside_a_character_is_reported_like_the_serial_decoder(tmp_path: Path) -> None:
    payload = cp932_text(300).encode("cp932") + b"abc\x81"
    got, expected = parallel(payload, 128, tmp_path), serial(payload)
    assert isinstance(got, SourceError) and isinstance(expected, SourceError)
    assert (got.rule, got.row, got.message) == (expected.rule, expected.row, expected.message)


def test_staging_a_large_shift_jis_zip_in_parallel_equals_the_serial_staging(samples: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    src = samples / "sjis" / "00_zenkoku_all_20261030.zip"
    serial_out, parallel_out = tmp_path / "serial.parquet", tmp_path / "parallel.parquet"
    calls: list[int] = []
    real = decode.transcode_cp932_parallel

    def counting(*args, **kwargs):  # the same function, with pieces small enough to cut the sample many times
        calls.append(1)
        return real(*args, **{**kwargs, "chunk": 4096})

    stage_corporate_file(src, serial_out, encoding="cp932")
    monkeypatch.setattr(decode, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(decode, "transcode_cp932_parallel", counting)
    result = stage_corporate_file(src, parallel_out, encoding="cp932")
    assert calls == [1]
    with zipfile.ZipFile(src) as zf:
        assert zf.infolist()[0].file_size > 10 * 4096
    import duckdb

    con = duckdb.connect()
    a = con.execute(f"SELECT * FROM read_parquet('{serial_out}') ORDER BY _source_row").fetchall()
    b = con.execute(f"SELECT * FROM read_parquet('{parallel_out}') ORDER BY _source_row").fetchall()
    assert a == b and len(a) == result.rows > 200
