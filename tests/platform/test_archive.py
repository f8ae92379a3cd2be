from __future__ import annotations

from kiban.archive import FetchLog, RawArchive, safe_name


def test_same_content_stored_once_with_two_receipts(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    a = archive.put_bytes(b"hello", original_name="a.csv", source="upload")
    b = archive.put_bytes(b"hello", original_name="b.csv", source="upload")
    assert a.sha256 == b.sha256 and a.new and not b.new
    assert a.path.read_bytes() == b"hello"
    assert [r["original_name"] for r in archive.receipts(a.sha256)] == ["a.csv", "b.csv"]
    assert len([p for p in (tmp_path / "raw").rglob("*") if p.is_file() and not p.suffix]) == 1


def test_archived_files_are_read_only_copies(tmp_path):
    src = tmp_path / "in.zip"
    src.write_bytes(b"PK...")
    obj = RawArchive(tmp_path / "raw").put_file(src)
    src.write_bytes(b"changed")
    assert obj.path.read_bytes() == b"PK..."
    assert not obj.path.stat().st_mode & 0o222


def test_untrusted_names_are_reduced_to_a_base_name():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\x.csv") == "x.csv"
    assert safe_name("../") == "unnamed"


def test_fetch_log_is_append_only(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    log = FetchLog(tmp_path / "raw", "corporate")
    log.record(archive.put_bytes(b"1", original_name="x", source="s"), kind="full")
    log.record(archive.put_bytes(b"2", original_name="y", source="s"), kind="diff")
    assert [e["original_name"] for e in log.entries()] == ["x", "y"]


def test_the_same_content_arriving_in_many_threads_at_once_keeps_every_receipt(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from kiban.archive import RawArchive

    archive = RawArchive(tmp_path / "raw")
    with ThreadPoolExecutor(max_workers=8) as pool:
        objs = list(pool.map(lambda i: archive.put_bytes(b"same report", original_name=f"r{i}.csv",
                                                         source="http"), range(64)))
    assert len({o.sha256 for o in objs}) == 1
    receipts = archive.receipts(objs[0].sha256)
    assert sorted(r["original_name"] for r in receipts) == sorted(f"r{i}.csv" for i in range(64))
    assert not [p for p in (tmp_path / "raw").rglob("*.tmp")]
