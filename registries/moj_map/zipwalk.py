"""Find the 地図XML documents in a published input: a bare ``.xml``, a zip of XML, or a zip of zips.

G空間情報センター publishes one zip per municipality (``13101-0001.zip``) that holds further zips
(``13101-0001-1.zip``), each with one XML (``13101-0001-1.xml``). Member names come back joined with ``!``
(``13101-0001.zip!13101-0001-1.zip!13101-0001-1.xml``). Inner zips are spooled to a temporary file (memory up
to 64 MB, disk beyond) because a zip must be seekable; XML members are streamed, never read whole.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from registries.errors import SourceError
from registries.zipguard import check_zip

_SPOOL_BYTES = 64 * 1024 * 1024
#: Published files nest one level (a zip of zips); deeper nesting is refused before it is unpacked.
MAX_DEPTH = 4


def _member_name(info: zipfile.ZipInfo) -> str:
    """Decode names written in CP932 without the UTF-8 flag (common for Japanese zips)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp932")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _walk_zip(zf: zipfile.ZipFile, prefix: str, depth: int = 1) -> Iterator[tuple[str, IO[bytes]]]:
    if depth > MAX_DEPTH:
        raise SourceError(prefix, f"zips nested more than {MAX_DEPTH} deep (published files nest one level)",
                          rule="zip_too_deep")
    for info in sorted(check_zip(zf, prefix), key=lambda i: i.filename):
        if info.is_dir():
            continue
        name = _member_name(info)
        lower = name.lower()
        label = f"{prefix}!{name}"
        if lower.endswith(".xml"):
            with zf.open(info) as stream:
                yield label, stream
        elif lower.endswith(".zip"):
            with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
                with zf.open(info) as src:
                    shutil.copyfileobj(src, spool, 1024 * 1024)
                spool.seek(0)
                try:
                    inner = zipfile.ZipFile(spool)
                except zipfile.BadZipFile as exc:
                    raise SourceError(label, f"nested member is not a zip: {exc}", rule="not_a_zip") from exc
                with inner:
                    yield from _walk_zip(inner, label, depth + 1)


def iter_xml(path: str | Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(source_file, binary stream)`` for every XML document in ``path``, in name order.

    Raises :class:`SourceError` (``not_a_zip``, ``truncated_zip``, ``empty``) for inputs that are not what
    they claim to be. Each stream is valid only until the next item is requested.
    """
    path = Path(path)
    if path.suffix.lower() == ".xml":
        with path.open("rb") as stream:
            yield path.name, stream
        return
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError(path.name, f"not a zip file: {exc}", rule="not_a_zip") from exc
    found = False
    with zf:
        try:
            for item in _walk_zip(zf, path.name):
                found = True
                yield item
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise SourceError(path.name, f"damaged zip: {exc}", rule="truncated_zip") from exc
    if not found:
        raise SourceError(path.name, "no .xml file found in the zip", rule="empty")

