"""ABR sets and catalog selection: pure functions, no lake."""

from __future__ import annotations

import hashlib

from registries.abr.catalog import Resource
from registries.abr.fetch import choose_resources
from registries.abr.layout import parse_file_name
from registries.abr.sets import build_sets, load_order, write_set

BASE = "https://data.example.invalid"  # catalog URLs are data here; nothing is fetched


def _res(name: str) -> Resource:
    return Resource(url=f"{BASE}/{name}", file_name=name, name=parse_file_name(name), dataset_id=None,
                    dataset_title=None, last_modified=None)


CATALOG = [_res(n) for n in (
    "mt_town_all.csv.zip", "mt_town_pref13.csv.zip", "mt_town_city131016.csv.zip",
    "mt_town_pos_pref13.csv.zip", "mt_town_pos_pref22.csv.zip",
    "mt_parcel_city131016.csv.zip", "mt_parcel_city221384.csv.zip", "mt_parcel_pos_city131016.csv.zip",
)]


def _names(resources) -> list[str]:
    return sorted(r.file_name for r in resources)


def test_one_copy_of_each_slice():
    assert _names(choose_resources(CATALOG)) == [
        "mt_parcel_city131016.csv.zip", "mt_parcel_city221384.csv.zip", "mt_parcel_pos_city131016.csv.zip",
        "mt_town_all.csv.zip", "mt_town_pos_pref13.csv.zip", "mt_town_pos_pref22.csv.zip"]


def test_selection_by_code_takes_the_narrowest_file():
    got = choose_resources(CATALOG, types={"town", "parcel"}, lg_codes={"131016"})
    assert _names(got) == ["mt_parcel_city131016.csv.zip", "mt_parcel_pos_city131016.csv.zip",
                           "mt_town_city131016.csv.zip", "mt_town_pos_pref13.csv.zip"]


def test_sets_pair_masters_with_overlapping_pos_files_and_are_deterministic(samples, tmp_path):
    sets = {s.master.name: sorted(p.name for p in s.pos) for s in build_sets([samples / "mt_town_pos_pref22.csv.zip"])}
    assert sets == {"mt_town_all.csv.zip": ["mt_town_pos_pref13.csv.zip", "mt_town_pos_pref22.csv.zip"]}
    [town] = build_sets([samples / "mt_town_all.csv.zip"])
    a, b = write_set(town, tmp_path / "a"), write_set(town, tmp_path / "b")
    assert a.name == "mt_town_all.set.zip"
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_load_order_wider_scope_first():
    names = ["mt_town_city131016.set.zip", "mt_town_all.set.zip", "mt_town_pref13.set.zip", "bundle.zip"]
    assert sorted(names, key=load_order) == ["mt_town_all.set.zip", "mt_town_pref13.set.zip",
                                             "mt_town_city131016.set.zip", "bundle.zip"]
