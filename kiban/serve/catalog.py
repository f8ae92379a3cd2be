"""Catalog routes: DCAT JSON-LD, CKAN's action API (read actions), data dictionaries, release files, manifests.

The CKAN action API answers at ``/api/3/action/<name>`` and ``/api/action/<name>``, by GET (query parameters) and
POST (JSON body or form), with CKAN's envelope ``{"help", "success", "result"}`` and CKAN's errors
(``{"success": false, "error": {"__type", ...}}`` with CKAN's status codes), so ckanapi, ckanext-harvest's CKAN
harvester and portals written for CKAN read Kiban unchanged. The actions themselves are in
:mod:`kiban.catalog.ckan_actions`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kiban.catalog import ckan, ckan_actions, dcat, dictionary
from kiban.catalog.links import Links
from kiban.config import Paths
from kiban.releases.publish import PRIVATE_GROUPS
from kiban.releases.store import LATEST, ReleaseNotFound, ReleaseStore
from kiban.serve.http import json_response, problem
from quality.datadocs import DocsLocation, ensure_index, home_location, release_location


def public_contracts() -> dict:
    from schemas import all_contracts

    return {n: c for n, c in all_contracts().items() if c.group not in PRIVATE_GROUPS}


def _latest(store: ReleaseStore) -> dict[str, Any] | None:
    try:
        return store.manifest(LATEST)
    except ReleaseNotFound:
        return None


_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def safe_file(root: Path, path: str) -> Path | None:
    """``root/path`` if every segment is a plain name (no ``..``, no hidden files) and it is a file inside root."""
    parts = path.split("/")
    if not all(_SEGMENT.fullmatch(p) and ".." not in p for p in parts):
        return None
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class _FirstReleased:
    """Dataset -> ``created_at`` of the oldest retained release that has it (cached per set of releases)."""

    def __init__(self, store: ReleaseStore) -> None:
        self.store = store
        self._key: tuple[str, ...] = ()
        self._value: dict[str, str] = {}

    def __call__(self) -> dict[str, str]:
        versions = tuple(self.store.versions())
        if versions != self._key:
            out: dict[str, str] = {}
            for v in versions:  # oldest first
                try:
                    m = self.store.manifest(v)
                except (ReleaseNotFound, ValueError):
                    continue
                for name in m["datasets"]:
                    out.setdefault(name, m["created_at"])
            self._key, self._value = versions, out
        return self._value


async def _request_data(request: Request) -> dict[str, Any]:
    """CKAN's request data: query parameters on GET (a repeated key gives a list), a JSON object or a form on
    POST. Raises ``BadRequest`` for a body that is not a JSON object."""
    def mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, list[Any]] = {}
        for k, v in items:
            out.setdefault(k, []).append(v)
        return {k: v[0] if len(v) == 1 else v for k, v in out.items()}

    if request.method == "GET":
        return mixed(list(request.query_params.multi_items()))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    body = await request.body()
    if not body.strip():
        return mixed(list(request.query_params.multi_items()))
    try:
        data = json.loads(body)
    except ValueError as e:
        raise ckan_actions.BadRequest(f"JSON Error: Error decoding JSON data. Error: {e}") from None
    if not isinstance(data, dict):
        raise ckan_actions.BadRequest(
            f"JSON Error: Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def routes(paths: Paths) -> list[Route]:
    store = ReleaseStore.of(paths)

    def links(request: Request, manifest: dict[str, Any] | None) -> Links:
        return Links(_base(request), manifest["version"] if manifest else "")

    first_seen = _FirstReleased(store)

    def site(request: Request) -> ckan_actions.Site:
        manifest = _latest(store)
        firsts = first_seen()
        packages = [ckan.package(c, manifest, links(request, manifest), firsts.get(c.name))
                    for c in public_contracts().values()]
        created = min(firsts.values()) if firsts else (manifest["created_at"] if manifest else None)
        return ckan_actions.Site(packages, _base(request), created=ckan.ckan_time(created))

    async def catalog_jsonld(request: Request) -> Response:
        """
        summary: DCAT catalog (JSON-LD) of every dataset, distributions from the latest release
        responses:
          200:
            description: DCAT JSON-LD
        """
        manifest = _latest(store)
        doc = dcat.catalog(public_contracts(), manifest, links(request, manifest))
        return json_response(request, doc)

    async def ckan_action(request: Request) -> Response:
        """
        summary: CKAN action API (read actions), GET with query parameters or POST with a JSON body
        description: package_list, package_show, package_search, resource_show, organization_list,
          organization_show, group_list, group_show, tag_list, status_show, help_show; CKAN's envelope and errors
        responses:
          200:
            description: '{"help", "success": true, "result"}'
          400:
            description: unknown action, bad JSON or an invalid search query
          403:
            description: a CKAN write action (the catalog is read-only)
          404:
            description: no such package, resource, organization or group
          409:
            description: validation error (missing or invalid parameter)
        """
        name = request.path_params["action"]
        base = _base(request)
        body: dict[str, Any] = {"help": f"{base}/api/3/action/help_show?name={quote(name, safe='')}"}
        try:
            data = await _request_data(request)
            data.pop("callback", None)
            result = ckan_actions.run(site(request), name, data, method=request.method)
        except ckan_actions.BadRequest as e:
            return JSONResponse(str(e), status_code=400)
        except ckan_actions.ActionError as e:
            return JSONResponse({**body, "success": False, "error": e.error()}, status_code=e.status)
        return JSONResponse({**body, "success": True, "result": result})

    async def api_version(request: Request) -> Response:
        """
        summary: CKAN API version (3)
        responses:
          200:
            description: '{"version": 3}'
        """
        return JSONResponse({"version": 3})

    async def dataset_page(request: Request) -> Response:
        """
        summary: HTML data dictionary of a dataset (latest release; contract only if never released)
        responses:
          200:
            description: HTML
        """
        contract = ckan.find_package(public_contracts(), request.path_params["dataset"])
        if contract is None:
            return problem(404, "Unknown dataset", f"no dataset {request.path_params['dataset']!r}")
        latest = store.latest()
        page = store.root / latest / "dictionary" / f"{contract.name}.html" if latest else None
        if page is not None and page.is_file():
            return HTMLResponse(page.read_text(encoding="utf-8"))
        return HTMLResponse(dictionary.render(contract))

    async def release_list(request: Request) -> Response:
        """
        summary: Published releases, oldest first, and the one latest points at
        responses:
          200:
            description: versions
        """
        return json_response(request, {"latest": store.latest(), "releases": store.versions()})

    async def release_manifest(request: Request) -> Response:
        """
        summary: The manifest of one release (or latest)
        responses:
          200:
            description: manifest.json
          404:
            description: no such release
        """
        try:
            return json_response(request, store.manifest(request.path_params["version"]))
        except (ReleaseNotFound, ValueError):
            return problem(404, "Unknown release", f"no release {request.path_params['version']!r}")

    async def release_file(request: Request) -> Response:
        """
        summary: A file of a release (Parquet, manifest, dictionary, datapackage.json)
        responses:
          200:
            description: the file
          404:
            description: not found
        """
        version = request.path_params["version"]
        if version == LATEST:
            version = store.latest() or ""
        if version not in store.versions():
            return problem(404, "Unknown release", f"no release {request.path_params['version']!r}")
        root = (store.root / version).resolve()
        target = (root / request.path_params["path"]).resolve()
        if not target.is_relative_to(root) or not target.is_file() or target.name.endswith(".duckdb"):
            return problem(404, "Not found", "no such file in this release")
        return FileResponse(target, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    docs_home = home_location(paths.home)

    def docs_file(loc: DocsLocation, path: str) -> Response:
        if path in ("", "index.html"):
            ensure_index(loc)  # loads render their pages; the index is drawn when it is asked for
        target = safe_file(loc.site, path or "index.html")
        if target is None:
            return problem(404, "Not found", "no such Data Docs page")
        return FileResponse(target)

    async def quality_docs(request: Request) -> Response:
        """
        summary: Great Expectations Data Docs of every validated load (index and pages)
        responses:
          200:
            description: HTML, CSS, JS, images of GE's Data Docs site
          404:
            description: no such page
        """
        return docs_file(docs_home, request.path_params.get("path", ""))

    async def release_quality_docs(request: Request) -> Response:
        """
        summary: Great Expectations Data Docs of a release's checks (inside the release folder)
        responses:
          200:
            description: HTML, CSS, JS, images of GE's Data Docs site
          404:
            description: no such release or page
        """
        version = request.path_params["version"]
        if version == LATEST:
            version = store.latest() or ""
        if version not in store.versions():
            return problem(404, "Unknown release", f"no release {request.path_params['version']!r}")
        return docs_file(release_location(store.root / version), request.path_params.get("path", ""))

    return [
        Route("/quality", lambda request: RedirectResponse("/quality/", status_code=308)),
        Route("/quality/releases/{version}/{path:path}", release_quality_docs),
        Route("/quality/{path:path}", quality_docs),
        Route("/catalog.jsonld", catalog_jsonld),
        Route("/api/3/action/{action}", ckan_action, methods=["GET", "POST"]),
        Route("/api/action/{action}", ckan_action, methods=["GET", "POST"]),
        Route("/api/3", api_version),
        Route("/datasets/{dataset}", dataset_page),
        Route("/v1/releases", release_list),
        Route("/v1/releases/{version}", release_manifest),
        Route("/releases/{version}/{path:path}", release_file),
    ]

