"""The lake's configuration (kiban.lakeconfig): the single-machine default is unchanged; PostgreSQL and S3 settings
are read from the environment and quoted, never pasted."""

from __future__ import annotations

import pytest

from kiban.config import paths as resolve
from kiban.lakeconfig import S3Settings, backend, postgres_dsn, split_s3


def test_without_settings_the_lake_is_the_duckdb_file_under_kiban_home(tmp_path):
    home = resolve(tmp_path / "home")
    b = backend(home, env={})
    assert (b.catalog, b.data_path, b.shared) == (str(home.catalog), str(home.lake_data) + "/", False)
    assert b.extensions == ("ducklake",) and b.postgres is None


def test_a_postgres_url_makes_a_shared_lake_with_a_libpq_dsn(tmp_path):
    env = {"KIBAN_LAKE_CATALOG": "postgres://kiban:p%40ss%20word@db.example.invalid:6543/lake?sslmode=require"
                                 "&schema=kiban_lake", "KIBAN_LAKE_DATA": "s3://bucket/some/prefix",
           "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S'K", "KIBAN_S3_ENDPOINT": "http://127.0.0.1:9000"}
    b = backend(resolve(tmp_path / "home"), env=env)
    assert b.shared and b.remote_data and b.data_path == "s3://bucket/some/prefix/"
    assert b.postgres == ("dbname=lake host=db.example.invalid port=6543 user=kiban password='p@ss word' "
                          "sslmode=require")
    assert b.metadata_schema == "kiban_lake" and b.extensions == ("ducklake", "postgres", "httpfs")
    sql = b.s3.secret_sql()
    assert "SECRET 'S''K'" in sql and "ENDPOINT '127.0.0.1:9000'" in sql and "USE_SSL false" in sql
    attach = b.attach_sql("lake", read_only=True, options=[])
    assert attach.startswith("ATTACH 'ducklake:postgres:dbname=lake") and "METADATA_SCHEMA 'kiban_lake'" in attach


def test_other_catalogs_and_urls_are_refused_with_the_setting_named(tmp_path):
    home = resolve(tmp_path / "home")
    with pytest.raises(ValueError, match="KIBAN_LAKE_CATALOG"):
        backend(home, env={"KIBAN_LAKE_CATALOG": "ducklake:sqlite:x.db"})
    with pytest.raises(ValueError, match="KIBAN_LAKE_CATALOG"):
        backend(home, env={"KIBAN_LAKE_CATALOG": "mysql://x"})
    with pytest.raises(ValueError):
        split_s3("https://bucket/prefix")
    with pytest.raises(ValueError):
        postgres_dsn("mysql://u@h/db")


def test_s3_settings_default_to_aws_in_tokyo_without_an_endpoint():
    s = S3Settings.from_env({})
    assert s.region == "ap-northeast-1" and s.endpoint is None
    assert "ENDPOINT" not in s.secret_sql() and "KEY_ID" not in s.secret_sql()


def test_fanout_areas_come_from_published_file_names():
    from pipelines.fanout import OTHER, abr_area, moj_map_area

    assert moj_map_area("13101-0001.zip") == "13101"
    assert moj_map_area("readme.zip") == OTHER
    assert abr_area("mt_town_city131016.set.zip") == "city131016"
    assert abr_area("mt_town_pos_pref13.csv.zip") == "pref13"
    assert abr_area("mt_pref_all.set.zip") == "all"
    assert abr_area("other.zip") == OTHER
