"""Catalog routes: DCAT JSON-LD, a read-only CKAN API v3 subset, data dictionaries, release files and manifests.

CKAN actions answer with CKAN's envelope ``{"help": ..., "success": true, "result": ...}`` (errors: ``success``
false and ``error.__type``), so harvesters written for CKAN portals work unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from kiban.catalog import ckan, dcat, dictionary
from kiban.catalog.links import Links
from kiban.config import Paths
from kiban.releases.publish import PRIVATE_GROUPS
from kiban.releases.store import LATEST, ReleaseNotFound, ReleaseStore
from kiban.serve.http import json_response, problem


def public_contracts() -> dict:
    from schemas import all_contracts

    return {n: c for n, c in all_contracts().items() if c.group not in PRIVATE_GROUPS}


def _latest(store: ReleaseStore) -> dict[str, Any] | None:
    try:
        return store.manifest(LATEST)
    except ReleaseNotFound:
        return None


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _ckan(request: Request, action: str, result: Any = None, *, error: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    body: dict[str, Any] = {"help": f"{_base(request)}/api/3/action/help_show?name={action}",
                            "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error
    return JSONResponse(body, status_code=status)


def _not_found(request: Request, action: str) -> Response:
    return _ckan(request, action, error={"__type": "Not Found Error", "message": "Not found"}, status=404)


def _missing(request: Request, action: str, param: str) -> Response:
    return _ckan(request, action, error={"__type": "Validation Error", param: ["Missing value"]}, status=409)


def _int_param(request: Request, name: str, default: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value <= high else None


def routes(paths: Paths) -> list[Route]:
    store = ReleaseStore.of(paths)

    def links(request: Request, manifest: dict[str, Any] | None) -> Links:
        return Links(_base(request), manifest["version"] if manifest else "")

    def packages(request: Request) -> list[dict[str, Any]]:
        manifest = _latest(store)
        return [ckan.package(c, manifest, links(request, manifest)) for c in public_contracts().values()]

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

    async def package_list(request: Request) -> Response:
        """
        summary: CKAN package_list
        responses:
          200:
            description: CKAN envelope with package names
        """
        return _ckan(request, "package_list", sorted(c.name.replace("_", "-") for c in public_contracts().values()))

    async def package_show(request: Request) -> Response:
        """
        summary: CKAN package_show?id=
        responses:
          200:
            description: CKAN envelope with one package
        """
        ident = request.query_params.get("id")
        if not ident:
            return _missing(request, "package_show", "id")
        contract = ckan.find_package(public_contracts(), ident)
        if contract is None:
            return _not_found(request, "package_show")
        manifest = _latest(store)
        return _ckan(request, "package_show", ckan.package(contract, manifest, links(request, manifest)))

    async def package_search(request: Request) -> Response:
        """
        summary: CKAN package_search?q=&rows=&start=
        responses:
          200:
            description: CKAN envelope with count and results
        """
        rows, start = _int_param(request, "rows", 10, 1000), _int_param(request, "start", 0, 10**9)
        if rows is None or start is None:
            return _ckan(request, "package_search", status=409,
                         error={"__type": "Validation Error", "rows": ["Invalid integer"]})
        q = request.query_params.get("q", "")
        return _ckan(request, "package_search", ckan.search(packages(request), q, rows, start))

    async def resource_show(request: Request) -> Response:
        """
        summary: CKAN resource_show?id=
        responses:
          200:
            description: CKAN envelope with one resource
        """
        ident = request.query_params.get("id")
        if not ident:
            return _missing(request, "resource_show", "id")
        for p in packages(request):
            for r in p["resources"]:
                if r["id"] == ident:
                    return _ckan(request, "resource_show", r)
        return _not_found(request, "resource_show")

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

    return [
        Route("/catalog.jsonld", catalog_jsonld),
        Route("/api/3/action/package_list", package_list),
        Route("/api/3/action/package_show", package_show),
        Route("/api/3/action/package_search", package_search),
        Route("/api/3/action/resource_show", resource_show),
        Route("/datasets/{dataset}", dataset_page),
        Route("/v1/releases", release_list),
        Route("/v1/releases/{version}", release_manifest),
        Route("/releases/{version}/{path:path}", release_file),
    ]

