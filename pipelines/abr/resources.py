"""Where the municipality master and the ABR files come from: bundled samples or the official sites."""

from pathlib import Path

import dagster as dg

from kiban.archive import RawArchive, RawObject
from kiban.config import Paths
from registries.abr.catalog import FEED_URL
from registries.abr.load import archive_sets, catalog_files
from registries.municipalities.resolve import master_url


class MunicipalityMasterSource(dg.ConfigurableResource):
    """総務省 「全国地方公共団体コード」.

    ``local_file``: a copy of the ``.xls`` (the bundled sample in the demo). Empty: download ``url`` (env
    ``KIBAN_MUNICIPALITIES_URL``, else the R6.1.1 file on soumu.go.jp).
    """

    local_file: str = ""
    url: str = ""

    def fetch(self, paths: Paths) -> RawObject:
        archive = RawArchive(paths.raw)
        if self.local_file:
            path = Path(self.local_file)
            return archive.put_file(path, source=str(path.resolve()))
        from registries.municipalities.fetch import fetch_master

        url = self.url or master_url()
        dl = fetch_master(paths.staging, url=url)
        try:
            return archive.put_file(dl.path, original_name=dl.name, source=dl.url, sha256=dl.sha256)
        finally:
            Path(dl.path).unlink(missing_ok=True)


class AbrSource(dg.ConfigurableResource):
    """デジタル庁 ABR through its DCAT-US feed.

    ``local_dir``: a folder holding ``dcat.json`` and the files it lists (the bundled sample). Empty: read
    ``feed_url`` (env ``KIBAN_ABR_FEED_URL``, else the official feed) and download only the files that changed
    (ETag / Last-Modified / catalog date; state under ``KIBAN_HOME/downloads/abr``).
    ``types`` (env ``KIBAN_ABR_TYPES``, e.g. ``pref,city,town``) and ``lg_codes`` (env ``KIBAN_ABR_LG_CODES``,
    6-digit codes) narrow the selection; empty means every type, nationwide (one copy of each slice).
    """

    local_dir: str = ""
    feed_url: str = ""
    types: str = ""
    lg_codes: str = ""

    def fetch(self, paths: Paths) -> list[RawObject]:
        """Every ABR set (master + ``_pos`` files) built from the current files, archived by content."""
        selection = {"types": _split(self.types), "lg_codes": _split(self.lg_codes)}
        if self.local_dir:
            folder = Path(self.local_dir)
            files = catalog_files(paths, folder / "dcat.json", local_dir=folder, **selection)
        else:
            files = catalog_files(paths, self.feed_url or FEED_URL, **selection)
        return archive_sets(paths, files)


def _split(value: str) -> set[str] | None:
    items = {v.strip() for v in value.split(",") if v.strip()}
    return items or None
