"""CP932 -> UTF-8 by glibc's iconv on threads (registries.corporate.cp932iconv): exactly Python's ``cp932``."""

from __future__ import annotations

import io
import platform
import random
import zipfile
from pathlib import Path

import pytest

import registries.corporate.cp932iconv as cp932iconv
import registries.corporate.decode as decode
from registries.corporate.cp932iconv import Iconv, transcode_threads
from registries.corporate.decode import transcode_cp932_parallel, transcode_to_utf8
from registries.corporate.parse import stage_corporate_file
from registries.corporate.transcode import DecodeFailure
from registries.errors import SourceError

#: single bytes Python's cp932 decodes (U+0080, U+F8F0-U+F8F3) and glibc's CP932 rejects
GLIBC_REJECTS = {0x80, 0xA0, 0xFD, 0xFE, 0xFF}
#: NEC specials (① ㈱ Ⅲ), IBM extensions (髙 﨑), ～ (0x8160), half-width kana, ASCII, an empty field
WORDS = ["株式会社", "ｶﾌﾞｼｷｶﾞｲｼｬ", "①②⑳", "㈱", "Ⅲ", "髙橋", "﨑", "東京都千代田区霞が関１丁目", "abc", "", "～ー"]


def glibc_has_cp932() -> bool:
    """Whether this machine has glibc and its CP932 gconv module, told without iconv itself."""
    if platform.libc_ver()[0] != "glibc":
        return False
    return any(Path("/").glob("usr/lib*/gconv/CP932.so")) or any(Path("/").glob("usr/lib*/*/gconv/CP932.so"))


def python_cp932(data: bytes) -> tuple[bytes | None, int | None]:
    """Python's answer: the UTF-8, or the offset of the first error."""
    try:
        return data.decode("cp932").encode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, exc.start


def as_stager(data: bytes) -> tuple[bytes | None, int | str | None]:
    """Python's answer as the stager reports it: an incomplete last character is ``"truncated"``."""
    try:
        return data.decode("cp932").encode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, "truncated" if exc.reason.startswith("incomplete") else exc.start


def ours(data: bytes, iconv: Iconv) -> tuple[bytes | None, int | str | None]:
    try:
        return cp932iconv.decode(data, iconv)[0], None
    except DecodeFailure as exc:
        return None, "truncated" if exc.truncated else exc.offset


def cp932_lines(lines: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    text = "".join(",".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 6))) + "\n" for _ in range(lines))
    return text.encode("cp932")


def serial(payload: bytes) -> bytes | SourceError:
    out = io.BytesIO()
    try:
        transcode_to_utf8(io.BytesIO(payload), out, "cp932", "x.csv")
    except SourceError as exc:
        return exc
    return out.getvalue()


def threaded(payload: bytes, tmp_path: Path, chunk: int, first: int = 0) -> bytes | SourceError:
    """Through decode.transcode_cp932_parallel (iconv on threads here), as the stager calls it."""
    out = tmp_path / "out.csv"
    with out.open("wb") as dest:
        try:
            transcode_cp932_parallel(io.BytesIO(payload[first:]), dest, "x.csv", tmp_path / "parts",
                                     first=payload[:first], workers=2, chunk=chunk)
        except SourceError as exc:
            return exc
    return out.read_bytes()


def stats(payload: bytes, chunk: int) -> cp932iconv.Transcoded:
    return transcode_threads(io.BytesIO(payload), io.BytesIO(), workers=2, chunk=chunk)


ICONV = glibc_has_cp932()


def test_iconv_is_used_wherever_glibc_has_its_cp932_module() -> None:
    assert cp932iconv.available() is ICONV
    done = stats(cp932_lines(100), chunk=64)
    assert (done.by_iconv > 1, done.by_python) == ((True, 0) if ICONV else (False, done.by_python))
    assert done.by_iconv + done.by_python > 1


def test_every_byte_and_byte_pair_decodes_as_python_cp932_decodes_it() -> None:
    """The table: 256 single bytes and all 65,536 pairs (trail bytes 0x00-0x3F included) through ctypes."""
    if not ICONV:  # no iconv: the Python codec decodes everything, and is Python's
        with pytest.raises(OSError):
            Iconv()
        return
    sequences = [bytes([a]) for a in range(256)] + [bytes([a, b]) for a in range(256) for b in range(256)]
    by_iconv = 0
    with Iconv() as iconv:
        for seq in sequences:
            expected = python_cp932(seq)
            assert ours(seq, iconv) == as_stager(seq), seq.hex()
            out, failed_at = iconv.run(seq)
            if failed_at is None:  # iconv's answer is used: it must be Python's
                assert out == expected[0], seq.hex()
                by_iconv += 1
            elif expected[1] != failed_at:  # iconv stops where Python does not: only at a byte it rejects
                assert seq[failed_at] in GLIBC_REJECTS and python_cp932(seq[:failed_at + 1])[1] is None, seq.hex()
    # iconv converts every sequence Python decodes, except those with a byte it rejects decoded as a character
    decoded = [text.decode("utf-8") for text, _ in map(python_cp932, sequences) if text is not None]
    singles = {bytes([b]).decode("cp932") for b in GLIBC_REJECTS}
    assert by_iconv == sum(not singles & set(text) for text in decoded) > 40_000


def test_a_lead_byte_before_a_trail_byte_below_0x40_fails_at_the_lead_byte_in_both() -> None:
    if not ICONV:
        with pytest.raises(OSError):
            Iconv()
        return
    leads = [a for a in range(256) if python_cp932(bytes([a]))[1] is not None]
    assert len(leads) == 60  # 0x81-0x9F, 0xE0-0xFC
    with Iconv() as iconv:
        for lead in leads:
            for trail in range(0x40):
                seq = bytes([lead, trail])
                assert iconv.run(seq)[1] == python_cp932(seq)[1] == 0


def test_random_strings_of_interesting_bytes_decode_as_python_decodes_them() -> None:
    if not ICONV:
        with pytest.raises(OSError):
            Iconv()
        return
    alphabet = [0x0A, 0x2C, 0x41, 0x40, 0x7F, 0x80, 0x81, 0x87, 0x9F, 0xA0, 0xA1, 0xDF, 0xE0, 0xEA, 0xED, 0xF0,
                0xFA, 0xFC, 0xFD, 0xFF, 0x3F, 0x00]
    rng = random.Random(932)
    with Iconv() as iconv:
        for _ in range(20_000):
            seq = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
            assert ours(seq, iconv) == as_stager(seq), seq.hex()


def test_nec_specials_wave_dash_and_the_user_defined_area_are_decoded_by_iconv_as_python_does(
        tmp_path: Path) -> None:
    user_defined = b"".join(bytes([lead, trail]) for lead in range(0xF0, 0xFA)
                            for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)])
    payload = "①⑳㈱Ⅲ№髙﨑".encode("cp932") + b"\x81\x60\n" + user_defined + b"\n"
    assert payload.decode("cp932")[:7] == "①⑳㈱Ⅲ№髙﨑" and "\uff5e\n\ue000" in payload.decode("cp932")
    assert threaded(payload, tmp_path, chunk=64) == payload.decode("cp932").encode("utf-8")
    done = stats(payload, chunk=64)
    assert (done.by_iconv, done.by_python) == ((2, 0) if ICONV else (0, 2))


@pytest.mark.parametrize("chunk", [1, 3, 997, 999, 65536])
def test_pieces_cut_at_line_ends_and_reads_that_split_a_character_give_the_serial_bytes(chunk: int,
                                                                                       tmp_path: Path) -> None:
    """The text is read through a real zip member (inflated by zlib); with odd read sizes reads end between a
    lead and a trail byte."""
    payload = "①" * 500 + "\n" + cp932_lines(3000).decode("cp932")
    data = payload.encode("cp932")
    if chunk in (997, 999):
        assert python_cp932(data[:chunk])[1] == chunk - 1  # the first read ends inside ①
    member = tmp_path / "x.zip"
    with zipfile.ZipFile(member, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.csv", data)
    with zipfile.ZipFile(member) as zf, zf.open("x.csv") as src:
        out = io.BytesIO()
        done = transcode_threads(src, out, first=b"", workers=2, chunk=chunk)
    assert out.getvalue() == serial(data) == payload.encode("utf-8")
    pieces = done.by_iconv + done.by_python
    assert done.read == len(data) and pieces > (1 if chunk < len(data) else 0)
    assert (done.by_iconv, done.by_python) == ((pieces, 0) if ICONV else (0, pieces))


def test_a_bom_and_a_text_without_final_newline_match_the_serial_decoder(tmp_path: Path) -> None:
    payload = b"\xef\xbb\xbf" + cp932_lines(200) + "末尾".encode("cp932")
    assert threaded(payload, tmp_path, chunk=50, first=2) == serial(payload)


def test_bytes_glibc_rejects_are_decoded_by_python_in_their_piece_only(tmp_path: Path) -> None:
    lines = cp932_lines(2000).split(b"\n")
    lines[1000] = b"\x80\xa0\xfd\xfe\xff," + lines[1000]
    payload = b"\n".join(lines)
    assert threaded(payload, tmp_path, chunk=4096) == serial(payload)
    assert "\x80\uf8f0\uf8f1\uf8f2\uf8f3" in threaded(payload, tmp_path, chunk=4096).decode("utf-8")
    done = stats(payload, chunk=4096)
    pieces = done.by_iconv + done.by_python
    assert pieces > 5 and (done.by_iconv, done.by_python) == ((pieces - 1, 1) if ICONV else (0, pieces))


@pytest.mark.parametrize("line", [0, 1, 15_000, 29_999])
def test_an_invalid_byte_in_a_large_file_is_reported_like_the_serial_decoder(line: int, tmp_path: Path) -> None:
    lines = cp932_lines(30_000, seed=line).split(b"\n")
    lines[line] = b"ok," + b"\x81\x7f" + lines[line]  # 0x7F is never a trail byte
    payload = b"\n".join(lines)
    assert len(payload) > 500_000
    got, expected = threaded(payload, tmp_path, chunk=65536, first=7), serial(payload)
    assert isinstance(got, SourceError) and isinstance(expected, SourceError)
    assert (got.rule, got.row, got.message, got.value) == (expected.rule, expected.row, expected.message,
                                                            expected.value)
    assert got.row == line + 1 and got.value.startswith("81 7f")


def test_a_file_ending_inside_a_character_is_reported_like_the_serial_decoder(tmp_path: Path) -> None:
    payload = cp932_lines(3000) + b"abc\x81"
    got, expected = threaded(payload, tmp_path, chunk=1024), serial(payload)
    assert isinstance(got, SourceError) and isinstance(expected, SourceError)
    assert (got.rule, got.row, got.message) == (expected.rule, expected.row, expected.message)
    assert "ends inside" in got.message and got.row == 3001


def test_without_iconv_the_worker_processes_give_the_same_bytes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback: a charset iconv does not know makes ``iconv_open`` fail, as a missing module would."""
    payload = cp932_lines(2000)
    monkeypatch.setattr(cp932iconv, "FROM", b"NO-SUCH-CHARSET-932")
    assert not cp932iconv.available()
    with pytest.raises(OSError):
        Iconv()
    done = stats(payload, chunk=4096)
    assert done.by_iconv == 0 and done.by_python > 1
    calls: list[int] = []
    real = decode.transcode_cp932_parallel
    monkeypatch.setattr(decode, "transcode_cp932_parallel", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert threaded(payload, tmp_path, chunk=4096) == serial(payload) == payload.decode("cp932").encode("utf-8")
    assert not (tmp_path / "parts").exists()
    with (tmp_path / "small.csv").open("wb") as dest:  # below PARALLEL_BYTES without iconv: the serial decoder
        decode.transcode_member(decode.Opened(io.BytesIO(payload[9:]), "x.csv", "x.csv"), dest, "cp932",
                                payload[:9])
    assert calls == [] and (tmp_path / "small.csv").read_bytes() == serial(payload)


def test_staging_a_shift_jis_zip_equals_staging_the_unicode_zip_of_the_same_rows(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[cp932iconv.Transcoded] = []
    real = cp932iconv.transcode_threads

    def recording(*args, **kwargs):  # the same function, its report kept
        runs.append(real(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(cp932iconv, "transcode_threads", recording)
    sjis = stage_corporate_file(samples / "sjis" / "00_zenkoku_all_20261030.zip", tmp_path / "s.parquet",
                                encoding="cp932")
    utf8 = stage_corporate_file(samples / "00_zenkoku_all_20261030.zip", tmp_path / "u.parquet")
    assert (sjis.encoding, utf8.encoding) == ("cp932", "utf-8")
    if ICONV:
        assert len(runs) == 1 and runs[0].by_iconv >= 1 and runs[0].by_python == 0  # iconv decoded it all
        assert runs[0].read < decode.PARALLEL_BYTES  # on threads by choice, not by size
    else:
        assert runs == []
    import duckdb

    con = duckdb.connect()
    a = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 's.parquet'}') ORDER BY _source_row").fetchall()
    b = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 'u.parquet'}') ORDER BY _source_row").fetchall()
    assert a == b and len(a) == sjis.rows == utf8.rows > 200
