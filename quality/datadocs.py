"""Great Expectations Data Docs (GE's own HTML reports) for every validated load and every release.

GE renders Data Docs from a context's stores: the validation results (JSON, one per validated dataset) go into a
filesystem ``ValidationResultsStore`` and GE's ``SiteBuilder`` renders the validation pages and the index::

    KIBAN_HOME/quality/
      gx/validations/<dataset>/<load_id>/<run_time>/<file>.json   GE validation results (the source of the pages)
      docs/index.html                                           the Data Docs site, served at /quality/
      docs/validations/<dataset>/<load_id>/<run_time>/<file>.html

A release carries its own site under ``<release>/quality/`` (served at ``/quality/releases/<version>/``).
Only the new pages are rendered per load (``resource_identifiers``), plus the index, which lists the newest
:data:`INDEX_LIMIT` validations. GE's HTML asks CDNs for Bootstrap, jQuery and Font Awesome; :mod:`quality.docs_assets`
rewrites those references to files vendored under ``quality/static/`` and copied into every site, so the pages work
offline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import FileSystemBytecodeCache

from quality import docs_assets

SITE = "kiban"
INDEX_LIMIT = 500  # validations listed on a site's index page (every page stays on disk)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocsLocation:
    """Where one site's stores and pages live."""

    store: Path  # GE stores (validation results)
    site: Path  # the HTML site (index.html)


def home_location(home: Path) -> DocsLocation:
    return DocsLocation(home / "quality" / "gx", home / "quality" / "docs")


def release_location(release_root: Path) -> DocsLocation:
    return DocsLocation(release_root / "quality" / "gx", release_root / "quality")


#: GE builds a fresh Jinja environment for every site build and compiles its ~30 templates each time (about
#: 1.2 s of a 1.8 s page build). Compiled templates are cached on disk (keyed by the template source's checksum).
_BYTECODE = FileSystemBytecodeCache()


class CachedPageView(DefaultJinjaPageView):
    """GE's page view with compiled templates cached across builds and processes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _BYTECODE


class CachedIndexPageView(DefaultJinjaIndexPageView):
    """GE's index page view with compiled templates cached across builds and processes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _BYTECODE


def _view(cls: type) -> dict[str, str]:
    return {"module_name": __name__, "class_name": cls.__name__}


def _site_config(loc: DocsLocation) -> dict[str, Any]:
    return {
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(loc.site)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": INDEX_LIMIT,
                               "view": _view(CachedIndexPageView)},
        "site_section_builders": {"expectations": "None", "profiling": "None",
                                  "validations": {"view": _view(CachedPageView)}},
    }


def _site_builder(context: Any, loc: DocsLocation) -> Any:
    """GE's ``SiteBuilder`` of the site, used piecewise: pages of given results, static assets once, the index."""
    from great_expectations.render.renderer.site_builder import SiteBuilder

    return SiteBuilder(data_context=context, site_name=SITE, **_site_config(loc))


def _context(loc: DocsLocation) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def backend(sub: str) -> dict[str, Any]:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(loc.store / sub)}

    config = DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": backend("expectations")},
            "validation_results_store": {"class_name": "ValidationResultsStore",
                                         "store_backend": backend("validations")},
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": {"class_name": "InMemoryStoreBackend"}},
            "validation_definition_store": {"class_name": "ValidationDefinitionStore",
                                            "store_backend": {"class_name": "InMemoryStoreBackend"}},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={SITE: {"class_name": "SiteBuilder", **_site_config(loc)}},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _segment(text: str) -> str:
    """A safe path segment (GE uses the identifiers as folder and file names)."""
    return _UNSAFE.sub("_", text).strip("._") or "_"


def _key(dataset: str, run_name: str, run_time: datetime, batch: str) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(ExpectationSuiteIdentifier(_segment(dataset)),
                                      RunIdentifier(run_name=_segment(run_name), run_time=run_time), _segment(batch))


def page_path(key: Any) -> str:
    """The site-relative path of a validation result's page (GE's layout)."""
    suite, run_name, run_time, batch = key.to_tuple()
    return f"validations/{suite}/{run_name}/{run_time}/{batch}.html"


STALE = ".index-stale"


def build(loc: DocsLocation, run_name: str, reports: Sequence[Any], meta: dict[str, Any] | None = None,
          run_time: datetime | None = None, *, index: bool = True) -> dict[str, str]:
    """Store the GE results of ``reports`` (``quality.runner.ValidationReport``) under run ``run_name`` and render
    their pages; returns dataset -> page path relative to the site root. ``index``: render the site index now;
    otherwise mark it stale for :func:`ensure_index` (GE reads every listed result to draw it).

    Never raises for a rendering problem: Data Docs are a view; a failure is logged and the load goes on.
    """
    run_time = run_time or datetime.now(UTC)
    pages: dict[str, str] = {}
    try:
        context = _context(loc)
        store = context.validation_results_store
        keys = []
        for i, report in enumerate(r for r in reports if getattr(r, "gx_result", None) is not None):
            result = report.gx_result
            result.meta = {**(result.meta or {}), "run_id": {"run_name": run_name, "run_time": run_time.isoformat()},
                           "kiban": {"dataset": report.dataset, "source_file": report.source_file,
                                     "rows": report.row_count, "blocking_success": report.success,
                                     "blocking_failures": [r.name for r in report.blocking_failures()],
                                     **(meta or {})}}
            key = _key(report.dataset, run_name, run_time, f"{i:02d}-{Path(report.source_file).name}")
            store.set(key, result)
            keys.append(key)
            pages[report.dataset] = page_path(key)
        if keys:
            builder = _site_builder(context, loc)
            for section in builder.site_section_builders.values():
                section.build(resource_identifiers=keys)
            if not (loc.site / "static" / "images").is_dir():
                builder.target_store.copy_static_assets()
            missing = [d for d, p in pages.items() if not (loc.site / p).is_file()]
            for dataset in missing:  # GE logs its rendering errors and goes on
                log.error("Data Docs page of %s in %s was not rendered", dataset, run_name)
                del pages[dataset]
            if index:
                builder.site_index_builder.build()
            else:
                (loc.site / STALE).touch()
            docs_assets.localise_site(loc.site, [loc.site / p for p in pages.values()], index=index)
    except Exception:  # noqa: BLE001 -- Data Docs never fail a load
        log.exception("Great Expectations Data Docs could not be built for %s", run_name)
        return {}
    return pages


def ensure_index(loc: DocsLocation) -> Path | None:
    """The site's ``index.html``, rebuilt first if loads added pages since it was drawn; None if there is no site.
    Serialised by a lock file, so concurrent requests draw it once."""
    import fcntl

    index = loc.site / "index.html"
    stale = loc.site / STALE
    if not loc.site.is_dir() or (index.is_file() and not stale.exists()):
        return index if index.is_file() else None
    with open(loc.site / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stale.exists() or not index.is_file():
            stale.unlink(missing_ok=True)  # a load finishing while we draw marks it stale again
            try:
                _site_builder(_context(loc), loc).site_index_builder.build()
                docs_assets.localise_site(loc.site, [])
            except Exception:  # noqa: BLE001 -- keep serving the previous index
                log.exception("Great Expectations Data Docs index could not be built in %s", loc.site)
    return index if index.is_file() else None


def planned_for_load(load_id: str, reports: Sequence[Any], run_time: datetime) -> dict[str, str]:
    """The pages :func:`build_for_load` will render for ``reports`` at ``run_time`` (dataset -> URL path), known
    before they are drawn: a batch's results name their page while it is rendered in the background."""
    pages = {}
    for i, report in enumerate(r for r in reports if getattr(r, "gx_result", None) is not None):
        key = _key(report.dataset, load_id, run_time, f"{i:02d}-{Path(report.source_file).name}")
        pages[report.dataset] = f"/quality/{page_path(key)}"
    return pages


def build_for_load(home: Path, load_id: str, reports: Sequence[Any], status: str,
                   run_time: datetime | None = None) -> dict[str, str]:
    """Data Docs of one load (quarantined ones included): dataset -> URL path under ``/quality/``. The pages are
    rendered now; the index (which lists the newest loads) when it is next served (:func:`ensure_index`)."""
    pages = build(home_location(home), load_id, reports, {"load_id": load_id, "status": status}, run_time,
                  index=False)
    return {dataset: f"/quality/{page}" for dataset, page in pages.items()}


def docs_file(home: Path, url_path: str) -> Path:
    """The file on disk of a ``/quality/...`` page of the home's site."""
    return home_location(home).site / url_path.removeprefix("/quality/")


def build_for_release(release_root: Path, version: str, reports: Sequence[Any]) -> dict[str, str]:
    """Data Docs of a release's checks, inside the release folder: dataset -> path relative to the release."""
    pages = build(release_location(release_root), version, reports, {"release": version})
    return {dataset: f"quality/{page}" for dataset, page in pages.items()}
