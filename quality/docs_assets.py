"""Make GE Data Docs pages work offline: point their CDN references at vendored copies (``quality/static/vendor``).

Great Expectations' page templates load Bootstrap, jQuery, Popper, bootstrap-table, bootstrap-datepicker and
Font Awesome from CDNs, the logo from S3, and Vega (profiling charts only). :func:`localise_site` copies the vendored
files into the site's ``static/vendor/`` once and rewrites each given page and the index: known CDN URLs become
relative paths, the GE logo comes from the ``static/images`` GE copies into every site, Vega is dropped, and GE's
own links into ``static/`` are recomputed from the page's depth. A page that
still loads anything from another host raises :class:`ExternalAsset` (a GE upgrade added one: vendor it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"

#: CDN URL -> path under ``static/vendor`` (GE 1.24.1's templates)
ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css",
}

_STATIC = re.compile(r'((?:src|href)=")(?:\./|(?:\.\./)*)static/')
_VEGA = re.compile(r'<script src="https://cdn\.jsdelivr\.net/npm/vega(?:-lite|-embed)?@\d+"></script>\s*')
_LOGO = re.compile(r'https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([\w.-]+)(?:\?[^"\'\s)]*)?')
#: the images GE copies into every site's ``static/images``
GE_IMAGES = {"favicon.ico", "logo-long.png", "logo-long-vector.svg", "short-logo.png", "short-logo-vector.svg"}
#: anything a browser would fetch by itself: src=, <link href=, url(...) in inline styles
_EXTERNAL = re.compile(r'(?:\bsrc\s*=\s*["\']|<link\b[^>]*\bhref\s*=\s*["\']|url\(\s*["\']?)(https?:)?//', re.I)


class ExternalAsset(RuntimeError):
    """A Data Docs page still loads something from another host."""


def install(site: Path) -> Path:
    """Copy the vendored assets into ``site/static/vendor`` (once; files already there are kept)."""
    target = site / "static" / "vendor"
    for src in VENDOR.rglob("*"):
        if src.is_file():
            dst = target / src.relative_to(VENDOR)
            if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    return target


def localise(html: str, static: str) -> str:
    """``html`` with CDN references replaced by ``static``-relative paths (``static`` = the site's static folder
    as seen from the page, e.g. ``../../static``)."""
    html = _VEGA.sub("", html)
    html = _STATIC.sub(lambda m: f"{m.group(1)}{static}/", html)  # GE's favicon link is one level short
    for url, local in ASSETS.items():
        html = html.replace(url, f"{static}/vendor/{local}")
    html = _LOGO.sub(lambda m: f"{static}/images/{m.group(1) if m.group(1) in GE_IMAGES else 'logo-long.png'}", html)
    if (m := _EXTERNAL.search(html)) is not None:
        raise ExternalAsset(f"page still loads from another host: {html[m.start():m.start() + 120]!r}")
    return html


def localise_site(site: Path, pages: Iterable[Path], *, index: bool = True) -> None:
    """Install the assets into ``site`` and localise ``pages`` (and ``index.html`` unless ``index`` is False)."""
    install(site)
    for page in [*([site / "index.html"] if index else []), *pages]:
        if page.is_file():
            static = os.path.relpath(site / "static", page.parent).replace(os.sep, "/")
            page.write_text(localise(page.read_text(encoding="utf-8"), static), encoding="utf-8")
