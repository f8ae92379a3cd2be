"""DuckDB extensions load from their pip packages' binaries, checked once per process against what the package
installed (kiban.duck): a changed or foreign binary is refused by name, and connections that run users' SQL
cannot load anything."""

from __future__ import annotations

import os
import shutil
import tempfile

import duckdb
import pytest

from kiban import duck


@pytest.fixture(autouse=True)
def fresh_cache():
    duck.verified_extension.cache_clear()
    yield
    duck.verified_extension.cache_clear()


def tampered_copy(tmp_path, name: str):
    real = duck.extension_path(name)
    copy = tmp_path / real.name
    shutil.copyfile(real, copy)
    with open(copy, "r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    return real, copy


def test_a_binary_changed_after_install_is_refused_with_its_name(tmp_path, monkeypatch):
    real, copy = tampered_copy(tmp_path, "ducklake")
    recorded = duck._recorded_sha256("ducklake", real)  # what the package installed at that place
    monkeypatch.setattr(duck, "extension_path", lambda name: copy)
    monkeypatch.setattr(duck, "_recorded_sha256", lambda name, path: recorded)
    with pytest.raises(RuntimeError, match=r"'ducklake' at .*ducklake\.duckdb_extension differs"):
        duck.connect(extensions=("ducklake",))


def test_a_binary_its_package_does_not_record_is_refused(tmp_path, monkeypatch):
    real = duck.extension_path("httpfs")
    stray = tmp_path / real.name
    shutil.copyfile(real, stray)
    monkeypatch.setattr(duck, "extension_path", lambda name: stray)
    with pytest.raises(RuntimeError, match="not recorded by its package"):
        duck.verified_extension("httpfs")


def test_each_binary_is_hashed_once_per_process(monkeypatch):
    hashed = []
    original = duck.file_sha256
    monkeypatch.setattr(duck, "file_sha256", lambda path: hashed.append(path) or original(path))
    for _ in range(3):
        con = duck.connect(extensions=("ducklake", "postgres"))
        assert con.execute("SELECT count(*) FROM duckdb_extensions() WHERE loaded AND extension_name IN "
                           "('ducklake', 'postgres_scanner')").fetchone()[0] == 2
        con.close()
    assert sorted(p.name for p in hashed) == ["ducklake.duckdb_extension", "postgres.duckdb_extension"]


def test_with_external_access_off_no_extension_can_be_loaded(tmp_path):
    con = duck.connect(extensions=("ducklake",))
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    for target in (str(duck.extension_path("spatial")), str(tmp_path / "own.duckdb_extension"), "spatial"):
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"LOAD '{target}'")


def test_the_alias_folder_must_be_this_users_private_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    top = tmp_path / f"kiban-duckdb-extensions-{os.getuid()}"
    top.mkdir(mode=0o700)
    os.chmod(top, 0o777)  # someone could swap the link: refused
    with pytest.raises(RuntimeError, match="not a private folder"):
        duck.verified_extension("postgres")
    os.chmod(top, 0o700)
    link = duck.verified_extension("postgres")
    assert link.parent.parent == top and link.resolve() == duck.extension_path("postgres").resolve()
