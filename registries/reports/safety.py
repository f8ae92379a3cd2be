"""Upload guards: size limit, zip-bomb check (XLSX is a zip) and file-name sanitising."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import PurePosixPath

from registries.errors import SourceError
from registries.zipguard import check_name

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: limits on the *declared* uncompressed sizes inside an XLSX before openpyxl touches it
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 2000


def safe_filename(name: str | None) -> str:
    """A file name safe to store and show: last path component only, no control characters.

    ``../../x`` -> ``x``; ``C:\\\\tmp\\\\a.csv`` -> ``a.csv``; empty or dot-only names -> ``upload``.
    """
    text = unicodedata.normalize("NFKC", name or "").replace("\\", "/")
    base = PurePosixPath(text).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    base = re.sub(r"[<>:\"|?*/]", "_", base)
    return base[:200] or "upload"


def check_size(data: bytes, file: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise SourceError(file, f"upload is {len(data)} bytes; the limit is {max_bytes}", rule="too_large")
    if not data:
        raise SourceError(file, "upload is empty", rule="empty")


def check_zip(data: bytes, file: str, *, max_uncompressed: int = MAX_UNCOMPRESSED,
              max_ratio: int = MAX_RATIO) -> None:
    """Refuse a zip whose declared sizes are implausible (zip bomb) before anything decompresses it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SourceError(file, f"not a valid XLSX (zip) file: {exc}", rule="not_a_zip") from None
    infos = zf.infolist()
    for info in infos:
        check_name(info, file)
    if len(infos) > MAX_MEMBERS:
        raise SourceError(file, f"zip has {len(infos)} members (limit {MAX_MEMBERS})", rule="zip_bomb")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > max_uncompressed or (total > 1024 * 1024 and total / packed > max_ratio):
        raise SourceError(
            file, f"zip declares {total} uncompressed bytes from {packed} packed (limit {max_uncompressed}, "
                  f"ratio {max_ratio}); refusing to open", rule="zip_bomb")
