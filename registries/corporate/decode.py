"""Open a 法人番号 全件/差分 file (zip or bare CSV), detect its encoding and stream it out as UTF-8.

The NTA publishes 「CSV・Unicode」 (UTF-8, no BOM reported) and 「CSV・Shift-JIS」 (JIS 第一・第二水準; decoded
exactly as Python's ``cp932`` codec decodes it, so NEC specials such as ① and ㈱ survive: by glibc's iconv where
that gives the same answer, :mod:`registries.corporate.cp932iconv`). DuckDB's ``encodings`` extension is never
used: it mis-decodes CP932 at buffer boundaries. Every failure is a :class:`SourceError` naming the file.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from registries.errors import SourceError
from registries.zipguard import check_zip

CHUNK = 8 * 1024 * 1024
SAMPLE = 256 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOM = codecs.BOM_UTF8

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP932 = "cp932"
_ALIASES = {
    "utf8": UTF8, "utf-8": UTF8, "unicode": UTF8, "utf-8-sig": UTF8_BOM, "utf_8_sig": UTF8_BOM,
    "cp932": CP932, "shift_jis": CP932, "shift-jis": CP932, "sjis": CP932, "ms932": CP932,
    "windows-31j": CP932,
}


@dataclass(frozen=True)
class Opened:
    """An opened source: the CSV byte stream, its name inside the zip (or the file name) and the label."""

    stream: BinaryIO
    inner_name: str
    label: str
    member: zipfile.ZipInfo | None = None  # the zip member, None for a bare CSV


def normalise_encoding(name: str) -> str:
    """Map a declared encoding (``Shift_JIS``, ``UTF-8``, ...) to ``utf-8``, ``utf-8-sig`` or ``cp932``."""
    key = name.strip().lower()
    try:
        return _ALIASES.get(key) or _ALIASES[key.replace("_", "-")]
    except KeyError:
        raise ValueError(f"unsupported encoding {name!r}: use UTF-8 or Shift_JIS/CP932") from None


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(_BOM).lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in text[:1024]


def _pick_member(zf: zipfile.ZipFile, zip_path: Path) -> zipfile.ZipInfo:
    """The CSV inside the zip: the one named like the zip, else the only ``.csv`` member."""
    csvs = [i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")]
    same = [i for i in csvs if Path(i.filename).stem == zip_path.stem]
    if same:
        return same[0]
    if len(csvs) == 1:
        return csvs[0]
    names = ", ".join(i.filename for i in zf.infolist()) or "(no members)"
    rule = "no_csv" if not csvs else "ambiguous_members"
    raise SourceError(zip_path.name, f"expected one CSV named like the zip, found: {names}", rule=rule)


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[Opened]:
    """Open ``path`` (a 全件/差分 zip or a bare CSV) and yield the CSV byte stream.

    Raises SourceError ``empty``, ``not_a_zip`` (e.g. an HTML error page saved as .zip), ``truncated_zip``,
    ``zip_bomb`` / ``unsafe_member_name`` (:mod:`registries.zipguard`).
    """
    label = path.name
    if path.stat().st_size == 0:
        raise SourceError(label, "file is empty (0 bytes)", rule="empty")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(_ZIP_MAGIC):
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise SourceError(label, f"zip is truncated or corrupt ({exc}); re-download it",
                              rule="truncated_zip") from None
        with zf:
            check_zip(zf, label)
            info = _pick_member(zf, path)
            if info.file_size == 0:
                raise SourceError(label, f"{info.filename} inside the zip is empty", rule="empty")
            with zf.open(info) as member:
                yield Opened(member, info.filename, label, info)
        return
    if _looks_like_html(head):
        raise SourceError(label, "not a zip or CSV: the content looks like an HTML page (an error or login "
                          "page saved instead of the download?)", rule="not_a_zip")
    if path.suffix.lower() == ".zip":
        raise SourceError(label, f"not a zip file (starts with {head[:8]!r})", rule="not_a_zip")
    with path.open("rb") as fh:
        yield Opened(fh, path.name, label)


def _decode_error(label: str, enc: str, data: bytes, start: int, base_offset: int, base_row: int) -> SourceError:
    offset = base_offset + start
    row = base_row + data.count(b"\n", 0, start)
    bad = data[start:start + 4].hex(" ")
    return SourceError(label, f"invalid {enc} byte sequence at byte offset {offset} (bytes {bad})",
                       rule="encoding", row=row, value=bad)


def detect_encoding(sample: bytes, label: str, declared: str | None = None) -> str:
    """Decide the encoding of a file from its first bytes, or check a declared one.

    Returns ``utf-8-sig`` (BOM), ``utf-8`` or ``cp932``. A sample that is valid UTF-8 with non-ASCII text is
    UTF-8 (a Japanese Shift_JIS text is practically never valid UTF-8); otherwise it must decode as CP932.
    """
    if declared is not None:
        declared = normalise_encoding(declared)
    if sample.startswith(_BOM):
        if declared == CP932:
            raise SourceError(label, "declared Shift_JIS but the file starts with a UTF-8 BOM", rule="encoding")
        return UTF8_BOM
    try:
        codecs.getincrementaldecoder(UTF8)().decode(sample, final=False)
        utf8_error = None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if declared in (UTF8, UTF8_BOM):
        if utf8_error is not None:
            raise _decode_error(label, "UTF-8 (file looks like Shift_JIS?)", sample, utf8_error.start, 0, 1)
        return UTF8
    if declared == CP932:
        if utf8_error is None and not sample.isascii():
            raise SourceError(label, "declared Shift_JIS/CP932 but the bytes are UTF-8", rule="encoding", row=1)
        _check_cp932(sample, label)
        return CP932
    if utf8_error is None:
        return UTF8
    _check_cp932(sample, label)
    return CP932


def _check_cp932(sample: bytes, label: str) -> None:
    try:
        codecs.getincrementaldecoder(CP932)().decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise _decode_error(label, "Shift_JIS/CP932 (and not UTF-8)", sample, exc.start, 0, 1) from None


def transcode_to_utf8(src: BinaryIO, dest: BinaryIO, encoding: str, label: str, first: bytes = b"") -> int:
    """Stream ``first`` + ``src`` into ``dest`` as UTF-8 (no BOM). Returns the bytes read.

    UTF-8 input is copied (the BOM dropped) without validation: the CSV reader validates it, and
    :func:`find_utf8_error` locates a bad byte when it does not. CP932 input is decoded chunk by chunk with an
    incremental decoder; an invalid sequence raises SourceError ``encoding`` with its byte offset and line.
    """
    total = 0
    row = 1
    decoder = codecs.getincrementaldecoder(CP932)() if encoding == CP932 else None
    chunk = first
    strip_bom = True
    while True:
        if not chunk:
            chunk = src.read(CHUNK)
            if not chunk:
                break
        if strip_bom:
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
                total += len(_BOM)
            strip_bom = False
        if decoder is None:
            dest.write(chunk)
        else:
            try:
                dest.write(decoder.decode(chunk).encode(UTF8))
            except UnicodeDecodeError as exc:
                raise _decode_error(label, "Shift_JIS/CP932", chunk, exc.start, total, row) from None
            row += chunk.count(b"\n")
        total += len(chunk)
        chunk = b""
    if decoder is not None:
        try:
            dest.write(decoder.decode(b"", final=True).encode(UTF8))
        except UnicodeDecodeError:
            raise SourceError(label, f"file ends inside a Shift_JIS/CP932 character (byte offset {total})",
                              rule="encoding", row=row) from None
    return total


def read_sample(stream: BinaryIO, label: str) -> bytes:
    """The first bytes of the CSV stream (for encoding detection); a corrupt zip member is ``truncated_zip``."""
    try:
        return stream.read(SAMPLE)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceError(label, f"zip member cannot be read ({exc})", rule="truncated_zip") from None


#: Without glibc's iconv (:mod:`registries.corporate.cp932iconv`), CP932 files at least this large (uncompressed)
#: are decoded in worker processes (:mod:`registries.corporate.transcode`); smaller ones serially, where starting
#: the processes would cost more than it saves. With iconv every CP932 file is decoded on threads.
PARALLEL_BYTES = 64 * 1024 * 1024


def transcode_cp932_parallel(src: BinaryIO, dest: BinaryIO, label: str, scratch: Path, first: bytes = b"",
                             workers: int | None = None, chunk: int | None = None) -> int:
    """:func:`transcode_to_utf8` for CP932 on every core: the same bytes out, the same SourceError (offset, line)
    for invalid input. glibc's iconv on ``workers`` threads where it is available, else Python's codec in
    ``workers`` processes (scratch files under the new folder ``scratch``, removed afterwards). ``chunk``: the
    bytes read per piece (each path has its default)."""
    import shutil

    from registries.corporate import cp932iconv
    from registries.corporate.transcode import DecodeFailure, transcode_parallel

    try:
        if cp932iconv.available():
            return cp932iconv.transcode_threads(src, dest, first=first, workers=workers,
                                                chunk=chunk or cp932iconv.PIECE).read
        return transcode_parallel(src, dest, scratch, first=first, workers=workers, chunk=chunk or CHUNK)
    except DecodeFailure as exc:
        if exc.truncated:
            raise SourceError(label, f"file ends inside a Shift_JIS/CP932 character (byte offset {exc.offset})",
                              rule="encoding", row=exc.row) from None
        raise SourceError(label, f"invalid Shift_JIS/CP932 byte sequence at byte offset {exc.offset} "
                          f"(bytes {exc.value})", rule="encoding", row=exc.row, value=exc.value) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def transcode_member(opened: Opened, dest: BinaryIO, encoding: str, sample: bytes) -> int:
    """Write the opened CSV (whose first bytes, ``sample``, were already read) to the file ``dest`` as UTF-8;
    CP932 goes to :func:`transcode_cp932_parallel` when glibc's iconv is available or the text is
    :data:`PARALLEL_BYTES` or more (as the zip directory or the file size tells; scratch files next to
    ``dest``)."""
    from registries.corporate import cp932iconv

    size = opened.member.file_size if opened.member is not None else _size_of(opened.stream)
    try:
        if encoding == CP932 and (size >= PARALLEL_BYTES or cp932iconv.available()):
            scratch = Path(dest.name).with_name(f"{Path(dest.name).name}.parts")
            return transcode_cp932_parallel(opened.stream, dest, opened.label, scratch, first=sample)
        return transcode_to_utf8(opened.stream, dest, encoding, opened.label, first=sample)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceError(opened.label, f"zip member is truncated or corrupt ({exc})",
                          rule="truncated_zip") from None


def _size_of(stream: BinaryIO) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        return 0


def find_utf8_error(path: Path, label: str, opener: Callable[[Path], BinaryIO] | None = None
                    ) -> SourceError | None:
    """Scan a file for the first invalid UTF-8 sequence; the SourceError to raise, or None if it is valid.

    ``opener`` returns the file's bytes (e.g. decompressing a gzip); default: the file as it is.
    """
    decoder = codecs.getincrementaldecoder(UTF8)()
    total, row = 0, 1
    with opener(path) if opener is not None else path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _decode_error(label, "UTF-8", chunk, exc.start, total, row)
            total += len(chunk)
            row += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return SourceError(label, f"file ends inside a UTF-8 character (byte offset {total})", rule="encoding",
                           row=row)
    return None
