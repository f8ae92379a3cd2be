"""CP932 (Shift_JIS) -> UTF-8 on every core: the text is cut at line ends and the pieces decoded in parallel.

This is the path without glibc's iconv; where iconv is available, :mod:`registries.corporate.cp932iconv` decodes
on threads instead (and uses :func:`decode_piece` and :func:`line_pieces` from here).

Cutting is safe because CP932 never uses 0x0A inside a character (lead bytes are 0x81-0x9F / 0xE0-0xFC, trail
bytes 0x40-0x7E / 0x80-0xFC), so every piece that ends after a ``\\n`` starts and ends on a character boundary
and decodes exactly as it would inside the whole text. Decoding is Python's ``cp932`` codec (exact, NEC
specials such as ① and ㈱ included), which holds the GIL: the pieces go to worker *processes* (``spawn``: a
fork of a process running DuckDB or polars thread pools is not safe), which import this module only.

No text crosses a pipe: the reader writes the CP932 bytes as it inflates them to a scratch file and hands each
worker a byte range of it as soon as that range is on disk; the worker writes its UTF-8 to a part file of its
own, and the parts are joined in order by the kernel (``copy_file_range``). Errors are reported as the serial
decoder reports them: the byte offset and line of the first invalid sequence, or a text that ends inside a
character.
"""

from __future__ import annotations

import codecs
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO

CP932 = "cp932"
CHUNK = 8 * 1024 * 1024
_BOM = codecs.BOM_UTF8


class DecodeFailure(Exception):
    """The text did not decode: ``offset`` into the whole text, ``row`` (1-based line), ``value`` (the bad bytes
    as hex) and ``truncated`` when the text ends inside a character."""

    def __init__(self, offset: int, row: int, value: str, truncated: bool = False) -> None:
        super().__init__(f"invalid CP932 at byte offset {offset}")
        self.offset, self.row, self.value, self.truncated = offset, row, value, truncated


def decode_piece(piece: bytes) -> bytes:
    """Python's ``cp932`` decoding of a whole piece, as UTF-8. Raises :class:`DecodeFailure` with the offset in
    the piece, the lines before it (``row``), the bad bytes as hex, and ``truncated`` when the piece ends inside
    a character (only the last piece of a text can)."""
    decoder = codecs.getincrementaldecoder(CP932)()
    try:
        text = decoder.decode(piece, final=False)
    except UnicodeDecodeError as exc:
        raise DecodeFailure(exc.start, piece.count(b"\n", 0, exc.start), piece[exc.start:exc.start + 4].hex(" "),
                            False) from None
    try:
        text += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DecodeFailure(len(piece), piece.count(b"\n"), "", True) from None
    return text.encode("utf-8")


def decode_range(raw: str, start: int, end: int, part: str) -> tuple[int, int, str, bool] | None:
    """Decode bytes ``[start, end)`` of the file ``raw`` into the file ``part`` as UTF-8. None when it decodes;
    else ``(offset in the range, lines before it, bad bytes as hex, truncated)``. Runs in the workers."""
    with open(raw, "rb") as fh:
        fh.seek(start)
        piece = fh.read(end - start)
    try:
        utf8 = decode_piece(piece)
    except DecodeFailure as exc:
        return exc.offset, exc.row, exc.value, exc.truncated
    with open(part, "wb") as out:
        out.write(utf8)
    return None


def line_pieces(src: BinaryIO, first: bytes = b"", chunk: int = CHUNK) -> Iterator[bytes]:
    """``first`` + ``src`` in pieces cut after the last ``\\n`` of every ``chunk`` bytes read (a line longer than
    ``chunk`` stays whole; the last piece ends where the text ends)."""
    carry = first
    while True:
        block = src.read(chunk)
        if not block:
            if carry:
                yield carry
            return
        cut = block.rfind(b"\n") + 1
        if cut == 0 or len(carry) + len(block) < chunk:  # no line end yet, or too little to be worth a piece
            carry += block
            continue
        yield b"".join((carry, memoryview(block)[:cut])) if carry else block[:cut]  # one copy at most
        carry = block[cut:]


def transcode_parallel(src: BinaryIO, dest: BinaryIO, scratch: Path, *, first: bytes = b"",
                       workers: int | None = None, chunk: int = CHUNK) -> int:
    """Decode CP932 ``first`` + ``src`` into ``dest`` (a real file) as UTF-8 with ``workers`` processes, using
    files under the folder ``scratch``; returns the bytes read. Raises :class:`DecodeFailure` for invalid input.
    """
    workers = workers or os.cpu_count() or 1
    first += src.read(max(0, len(_BOM) - len(first)))
    skipped = 0
    if first.startswith(_BOM):  # dropped, as the serial path does
        first, skipped = first[len(_BOM):], len(_BOM)
    scratch.mkdir(parents=True, exist_ok=True)
    raw = scratch / "cp932.raw"
    parts: list[Path] = []
    in_flight: deque[tuple[Future, Path, int, int]] = deque()
    offset, row = 0, 1  # of the next piece, in the text without the BOM

    def settle() -> None:
        future, part, at, line = in_flight.popleft()
        failure = future.result()
        if failure is not None:
            start, lines, value, truncated = failure
            raise DecodeFailure(skipped + at + start, line + lines, value, truncated)
        with part.open("rb") as fh:
            _append(fh, dest)
        part.unlink()

    context = multiprocessing.get_context("spawn")
    try:
        with raw.open("wb") as sink, ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            try:
                for piece in line_pieces(src, first, chunk):
                    sink.write(piece)
                    sink.flush()  # the worker reads the range from the file
                    part = scratch / f"part-{len(parts):06d}"
                    parts.append(part)
                    future = pool.submit(decode_range, str(raw), offset, offset + len(piece), str(part))
                    in_flight.append((future, part, offset, row))
                    offset += len(piece)
                    row += piece.count(b"\n")
                    while len(in_flight) > 2 * workers:
                        settle()
                while in_flight:
                    settle()
            except BaseException:
                for future, *_ in in_flight:
                    future.cancel()
                raise
    finally:
        raw.unlink(missing_ok=True)
        for part in parts:
            part.unlink(missing_ok=True)
    return skipped + offset


def _append(src: BinaryIO, dest: BinaryIO) -> None:
    """Copy the whole file ``src`` to the end of ``dest`` in the kernel (a plain copy where that is refused)."""
    dest.flush()
    size = os.fstat(src.fileno()).st_size
    copied = 0
    try:
        while copied < size:
            n = os.copy_file_range(src.fileno(), dest.fileno(), size - copied)
            if n == 0:
                break
            copied += n
    except OSError:
        pass
    if copied < size:
        src.seek(copied)
        while block := src.read(CHUNK):
            dest.write(block)
    dest.seek(0, os.SEEK_END)
