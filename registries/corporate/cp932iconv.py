"""CP932 (Shift_JIS) -> UTF-8 with glibc's iconv on threads, giving exactly what Python's ``cp932`` codec gives.

Why it is exact: both codecs are stateless and read one or two bytes per character, and for every single byte
and every two-byte sequence glibc's CP932 gives the same characters as Python's ``cp932`` or reports an error
(checked over all 256 + 65,536 of them by ``tests/corporate/test_cp932iconv.py``). So where iconv converts a
whole piece without an error, its output is Python's. A piece where iconv reports anything (EILSEQ, EINVAL, an
irreversible conversion) is decoded by Python's codec instead: invalid input gets the serial decoder's error
(offset, line, bytes), and the bytes glibc rejects but Python accepts (0x80, 0xA0, 0xFD-0xFF: U+0080,
U+F8F0-U+F8F3) decode as Python decodes them. Only glibc's table was checked, so only glibc's iconv is used;
without it (or without its CP932 module) :func:`available` is False and callers use the Python transcoder.

Why it is fast: glibc converts about twice as fast as Python's codec, and neither zlib's inflate nor a ``ctypes``
call holds the GIL. The reading thread inflates the text in pieces cut after a ``\\n`` (CP932 never uses 0x0A
inside a character), a pool of threads converts them, and the reading thread writes the results in order, with
at most two pieces per thread in flight: no worker processes, no scratch files.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, BinaryIO

from registries.corporate.transcode import DecodeFailure, decode_piece, line_pieces

#: the charset names passed to ``iconv_open`` (target, source)
TO, FROM = b"UTF-8", b"CP932"
#: bytes read per piece: 2 MiB pieces stay in the caches between inflate, iconv and the write (8 MiB pieces took
#: a third more CPU on the benchmark's 1.31 GB member)
PIECE = 2 * 1024 * 1024
_BOM = codecs.BOM_UTF8
_FAILED = ctypes.c_size_t(-1).value  # (size_t) -1, iconv's error return (and (iconv_t) -1)
_P = ctypes.POINTER(ctypes.c_void_p)
_N = ctypes.POINTER(ctypes.c_size_t)


@cache
def _libc() -> Any | None:
    """glibc's iconv functions (the process's C library), or None if the C library is not glibc."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018  (glibc only: its CP932 table is the one checked)
        libc.iconv_open.restype, libc.iconv_open.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
        libc.iconv.restype, libc.iconv.argtypes = ctypes.c_size_t, [ctypes.c_void_p, _P, _N, _P, _N]
        libc.iconv_close.restype, libc.iconv_close.argtypes = ctypes.c_int, [ctypes.c_void_p]
    except (AttributeError, OSError):
        return None
    return libc


class Iconv:
    """One iconv descriptor CP932 -> UTF-8 and its output buffer; used by one thread at a time."""

    def __init__(self) -> None:
        libc = _libc()
        handle = libc.iconv_open(TO, FROM) if libc is not None else None
        if handle in (None, _FAILED):
            raise OSError(f"iconv cannot convert {FROM.decode()} to {TO.decode()}")
        self._libc, self._cd = libc, handle
        self._out = ctypes.create_string_buffer(0)

    def convert(self, data: bytes) -> bytes | None:
        """``data`` as UTF-8, or None if iconv reports any error or irreversible conversion for it."""
        out, failed_at = self.run(data)
        return out if failed_at is None else None

    def run(self, data: bytes) -> tuple[bytes, int | None]:
        """iconv's own answer for ``data``: the UTF-8 it wrote and the offset where it stopped with an error (or
        an irreversible conversion: ``len(data)``), None when it converted everything."""
        need = 3 * len(data) + 16  # a CP932 byte becomes at most 3 UTF-8 bytes (half-width kana)
        if len(self._out) < need:
            self._out = ctypes.create_string_buffer(need)
        start = ctypes.addressof(self._out)
        src, left = ctypes.c_void_p(ctypes.cast(data, ctypes.c_void_p).value), ctypes.c_size_t(len(data))
        dst, room = ctypes.c_void_p(start), ctypes.c_size_t(need)
        self._libc.iconv(self._cd, None, None, None, None)  # initial state (CP932 has none; kept for form)
        done = self._libc.iconv(self._cd, ctypes.byref(src), ctypes.byref(left), ctypes.byref(dst),
                                ctypes.byref(room))
        out = ctypes.string_at(start, need - room.value)
        if done == _FAILED or left.value:
            return out, len(data) - left.value
        return out, None if done == 0 else len(data)

    def close(self) -> None:
        if self._cd is not None:
            self._libc.iconv_close(self._cd)
            self._cd = None

    def __enter__(self) -> Iconv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def available() -> bool:
    """True when glibc's iconv converts CP932 to UTF-8 here (``iconv_open`` succeeds)."""
    try:
        Iconv().close()
    except OSError:
        return False
    return True


def decode(data: bytes, iconv: Iconv) -> tuple[bytes, bool]:
    """``data`` (whole characters, or the end of a text) as UTF-8 and whether iconv's answer was used; Python's
    codec where iconv reports anything. Raises :class:`DecodeFailure` (offset in ``data``) for invalid input."""
    out = iconv.convert(data)
    if out is not None:
        return out, True
    return decode_piece(data), False


@dataclass(frozen=True)
class Transcoded:
    """What :func:`transcode_threads` did: the bytes read, and the pieces decoded by iconv and by Python."""

    read: int
    by_iconv: int
    by_python: int


def transcode_threads(src: BinaryIO, dest: BinaryIO, *, first: bytes = b"", workers: int | None = None,
                      chunk: int = PIECE) -> Transcoded:
    """Decode CP932 ``first`` + ``src`` (a leading UTF-8 BOM dropped, as the serial path does) into ``dest`` as
    UTF-8 with ``workers`` threads; returns what was read and which decoder decoded the pieces (all Python's
    when iconv cannot convert CP932 here, see :func:`available`). Raises :class:`DecodeFailure` (offset and line
    in the whole text) for invalid input."""
    workers = workers or os.cpu_count() or 1
    first += src.read(max(0, len(_BOM) - len(first)))
    skipped = 0
    if first.startswith(_BOM):
        first, skipped = first[len(_BOM):], len(_BOM)
    descriptors: list[Iconv] = []
    try:
        try:
            for _ in range(workers):
                descriptors.append(Iconv())
        except OSError:  # no iconv here: Python's codec on every piece (callers prefer worker processes then)
            pass
        idle: queue.SimpleQueue[Iconv] = queue.SimpleQueue()
        for iconv in descriptors:
            idle.put(iconv)
        convert = partial(_with, idle) if descriptors else _python
        return _run(src, dest, first, skipped, workers, chunk, convert)
    finally:
        for iconv in descriptors:
            iconv.close()


def _with(idle: queue.SimpleQueue[Iconv], piece: bytes) -> tuple[bytes, bool]:
    iconv = idle.get()
    try:
        return decode(piece, iconv)
    finally:
        idle.put(iconv)


def _python(piece: bytes) -> tuple[bytes, bool]:
    return decode_piece(piece), False


def _run(src: BinaryIO, dest: BinaryIO, first: bytes, skipped: int, workers: int, chunk: int,
         convert: Callable[[bytes], tuple[bytes, bool]]) -> Transcoded:
    """Read pieces (this thread), convert them (``workers`` threads) and write them in order (one more thread,
    so that neither the reading nor the converting waits on the file)."""
    in_flight: deque[tuple[Future[tuple[bytes, bool]], int, int]] = deque()
    writes: deque[Future[int]] = deque()
    offset, row = 0, 1  # of the next piece, in the text without the BOM
    used = [0, 0]  # pieces by Python, by iconv

    def settle() -> None:
        future, at, line = in_flight.popleft()
        try:
            out, by_iconv = future.result()
        except DecodeFailure as exc:
            raise DecodeFailure(skipped + at + exc.offset, line + exc.row, exc.value, exc.truncated) from None
        writes.append(writer.submit(dest.write, out))
        used[by_iconv] += 1
        while len(writes) > 2:
            writes.popleft().result()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cp932") as pool, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cp932-write") as writer:
        try:
            for piece in line_pieces(src, first, chunk):
                in_flight.append((pool.submit(convert, piece), offset, row))
                offset += len(piece)
                row += piece.count(b"\n")
                while len(in_flight) > 2 * workers:
                    settle()
            while in_flight:
                settle()
            while writes:
                writes.popleft().result()
        except BaseException:
            for future in (*(f for f, *_ in in_flight), *writes):
                future.cancel()
            raise
    return Transcoded(skipped + offset, by_iconv=used[1], by_python=used[0])
