"""Bounded decompression for every zip Kiban opens (zip bombs never run unbounded).

Python's ``zipfile`` stops a member at its *declared* uncompressed size (and checks the CRC), so checking the
declared sizes before reading bounds what decompression can produce: a member may not expand beyond
``max_ratio`` times its packed size (real CSV and XML compress 5-20x; a bomb 1,000x), nor beyond
``max_member`` bytes, and a zip may not hold more than ``max_members`` members. Limits are per call site and can
be raised by the environment for unusual national files (``KIBAN_ZIP_MAX_MEMBER``, ``KIBAN_ZIP_MAX_RATIO``).

Member names are checked too: a name that is absolute, carries a drive letter, climbs out with ``..`` or holds a
NUL (``../../etc/x.csv``) is never produced by the publishers, so such a zip is refused (``unsafe_member_name``)
rather than read under a stripped name.
"""

from __future__ import annotations

import os
import re
import zipfile

from registries.errors import SourceError

MAX_RATIO = int(os.environ.get("KIBAN_ZIP_MAX_RATIO", "200"))
MAX_MEMBER = int(os.environ.get("KIBAN_ZIP_MAX_MEMBER", str(32 * 1024**3)))
MAX_MEMBERS = 100_000
#: Members smaller than this are never refused for their ratio (tiny files compress oddly).
RATIO_FLOOR = 1024 * 1024


def unsafe_name(name: str) -> bool:
    """True for a member name that is absolute, names a drive, climbs out of its folder or holds a NUL."""
    posix = name.replace("\\", "/")
    return (posix.startswith("/") or bool(re.match(r"[A-Za-z]:", posix)) or ".." in posix.split("/")
            or "\x00" in posix)


def check_name(info: zipfile.ZipInfo, file: str) -> None:
    if unsafe_name(info.filename):
        raise SourceError(file, f"zip member name {info.filename!r} is absolute or climbs out of its folder; "
                                "refusing the zip", rule="unsafe_member_name", value=info.filename[:200])


def check_member(info: zipfile.ZipInfo, file: str, *, max_ratio: int = MAX_RATIO, max_member: int = MAX_MEMBER
                 ) -> None:
    """Refuse one member whose name is unsafe or whose declared size is implausible, before it is decompressed."""
    check_name(info, file)
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > max_member or (size > RATIO_FLOOR and size / packed > max_ratio):
        raise SourceError(file, f"zip member {info.filename!r} declares {size:,} bytes from {packed:,} packed "
                                f"(limits: {max_member:,} bytes, ratio {max_ratio}); refusing to decompress it",
                          rule="zip_bomb")


def check_zip(zf: zipfile.ZipFile, file: str, *, max_ratio: int = MAX_RATIO, max_member: int = MAX_MEMBER,
              max_members: int = MAX_MEMBERS) -> list[zipfile.ZipInfo]:
    """Check every member of an open zip; returns its members."""
    infos = zf.infolist()
    if len(infos) > max_members:
        raise SourceError(file, f"zip has {len(infos):,} members (limit {max_members:,})", rule="zip_bomb")
    for info in infos:
        check_member(info, file, max_ratio=max_ratio, max_member=max_member)
    return infos
