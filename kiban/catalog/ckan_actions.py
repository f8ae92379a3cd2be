"""The read actions of CKAN's action API, over Kiban's catalog (pure: no HTTP here).

``run(site, name, data)`` answers one action the way CKAN 2.10/2.11 does: the result, or an :class:`ActionError`
carrying CKAN's ``__type`` and HTTP status (``Not Found Error`` 404, ``Validation Error`` 409, ``Authorization
Error`` 403, ``Search Query Error`` 400). An unknown action is :class:`BadRequest` (CKAN answers 400 with a bare
JSON string, not an envelope). Kiban is read-only: CKAN's write actions answer ``Authorization Error``, as CKAN
does to an anonymous caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiban.catalog import ckan, ckan_query

CKAN_VERSION = "2.10.0"  # the API level these actions answer for (field names, envelopes, errors)
ROWS_MAX = 1000
LIST_MAX = 1000
ALL_FIELDS_MAX = 25


class ActionError(Exception):
    status = 500
    type = "Internal Server Error"

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def error(self) -> dict[str, Any]:
        return {"__type": self.type, "message": self.message}


class NotFound(ActionError):
    status, type = 404, "Not Found Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.type, "message": "Not found" + (f": {self.message}" if self.message else "")}


class NotAuthorized(ActionError):
    status, type = 403, "Authorization Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.type, "message": "Access denied" + (f": {self.message}" if self.message else "")}


class ValidationError(ActionError):
    """CKAN's validation errors name the fields: ``{"__type": "Validation Error", "rows": ["Invalid integer"]}``."""

    status, type = 409, "Validation Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.type, **self.fields}


class SearchQueryError(ActionError):
    status, type = 400, "Search Query Error"

    def error(self) -> dict[str, Any]:
        return {"__type": self.type, "message": f"Search Query is invalid: {self.message!r}"}


class BadRequest(Exception):
    """Answered as HTTP 400 with a JSON string body, as CKAN does for an unknown action."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Bad request - {message}")


@dataclass
class Site:
    """What the actions read: every public package (CKAN dicts), the organization, the groups, the site URL."""

    packages: list[dict[str, Any]]
    site_url: str
    title: str = "Kiban 基盤"
    created: str | None = None
    organizations: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.organizations:
            self.organizations = [ckan.organization(self.created, len(self.packages))]
        if not self.groups:
            names = sorted({g["name"] for p in self.packages for g in p["groups"]})
            self.groups = [{**ckan.group(n.replace("-", "_"), self.created),
                            "package_count": sum(1 for p in self.packages if any(g["name"] == n for g in p["groups"]))}
                           for n in names]


# --------------------------------------------------------------------------------------------- parameter helpers

def _integer(data: dict[str, Any], key: str, default: int | None, *, natural: bool = True) -> int | None:
    raw = data.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or (isinstance(raw, float) and raw != int(raw)):
        raise ValidationError(**{key: ["Invalid integer"]})
    if natural and value < 0:
        raise ValidationError(**{key: ["Must be a natural number"]})
    return value


def _bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    raw = data.get(key)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "on", "y", "t", "1"):
        return True
    if text in ("false", "no", "off", "n", "f", "0"):
        return False
    raise ValidationError(**{key: [f"Unsupported boolean value {raw!r}"]})


def _required(data: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    raise ValidationError(**{keys[-1]: ["Missing value"]})


def _string_list(data: dict[str, Any], key: str) -> list[str]:
    raw = data.get(key)
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ValidationError(**{key: ["Not a list of strings"]})
    return raw


def _page(items: list[Any], data: dict[str, Any], maximum: int) -> list[Any]:
    limit = _integer(data, "limit", None)
    offset = _integer(data, "offset", 0) or 0
    limit = maximum if limit is None or limit > maximum else limit
    return items[offset:offset + limit]


# ------------------------------------------------------------------------------------------------------ actions

def package_list(site: Site, data: dict[str, Any]) -> list[str]:
    """Return a list of the names of the site's datasets (packages).

    :param limit: if given, the list of datasets will be broken into pages of at most ``limit`` datasets per page
        and only one page will be returned at a time (optional)
    :param offset: when ``limit`` is given, the offset to start returning packages from
    :rtype: list of strings
    """
    names = sorted(p["name"] for p in site.packages)
    offset = _integer(data, "offset", 0) or 0
    limit = _integer(data, "limit", None)
    return names[offset:] if not limit else names[offset:offset + limit]


def package_show(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Return the metadata of a dataset (package) and its resources.

    :param id: the id or name of the dataset (Kiban also accepts the dataset's contract name)
    :rtype: dictionary
    """
    ident = _required(data, "id", "name_or_id")
    for p in site.packages:
        if ident in (p["id"], p["name"], p["name"].replace("-", "_")):
            return p
    raise NotFound()


def resource_show(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Return the metadata of a resource.

    :param id: the id of the resource
    :rtype: dictionary
    """
    ident = _required(data, "id")
    for p in site.packages:
        for r in p["resources"]:
            if r["id"] == ident:
                return r
    raise NotFound()


def package_search(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Searches for packages satisfying a given search criteria.

    Kiban evaluates the part of Solr's syntax that CKAN clients send (see ``kiban.catalog.ckan_query``).

    :param q: the query (default ``*:*``): words matched in the catalog text, or ``field:value`` clauses
    :param fq: filter query, e.g. ``organization:kiban``, ``tags:住所``, ``metadata_modified:[2026-11-01T00:00:00Z
        TO *]``, ``-groups:reports``
    :param fq_list: more filter queries (list of strings)
    :param sort: comma-separated ``field asc|desc`` (default ``score desc, metadata_modified desc``)
    :param rows: maximum number of datasets to return (default 10, at most 1000)
    :param start: offset of the first dataset returned
    :param facet.field: the fields to facet upon (JSON list), e.g. ``["organization", "groups", "tags",
        "res_format", "license_id"]``
    :param facet.limit: maximum number of values per facet (default 50, negative: all)
    :param facet.mincount: minimum count of a facet value (default 1)
    :param fl: return only these fields of each dataset (list or comma/space-separated string)
    :param include_private: accepted and ignored (Kiban publishes no private datasets)
    :rtype: dictionary with ``count``, ``results``, ``sort``, ``facets`` and ``search_facets``
    """
    rows = _integer(data, "rows", 10)
    rows = ROWS_MAX if rows is None or rows > ROWS_MAX else rows
    start = _integer(data, "start", 0) or 0
    facet_fields = _string_list(data, "facet.field")
    facet_limit = _integer(data, "facet.limit", 50, natural=False)
    facet_mincount = _integer(data, "facet.mincount", 1)
    sort = str(data.get("sort") or "score desc, metadata_modified desc")
    fl_raw = data.get("fl")
    fl = (fl_raw if isinstance(fl_raw, list) else str(fl_raw).replace(",", " ").split()) if fl_raw else []
    filters = [str(data.get("q") or ""), str(data.get("fq") or ""), *_string_list(data, "fq_list")]
    try:
        nodes = [ckan_query.parse(f) for f in filters]
        hits = [p for p in site.packages if all(ckan_query.matches(n, p) for n in nodes)]
        hits = ckan_query.sort_packages(hits, sort)
        facets = {f: ckan_query.facet_counts(hits, f, facet_limit if facet_limit is not None else 50,
                                             facet_mincount or 0) for f in facet_fields}
    except ckan_query.QueryError as e:
        raise SearchQueryError(str(e)) from None
    titles = {**{o["name"]: o["title"] for o in site.organizations}, **{g["name"]: g["title"] for g in site.groups}}
    search_facets = {
        f: {"title": f, "items": sorted(
            ({"name": v, "display_name": titles.get(v, v) if f in ("organization", "groups") else v, "count": n}
             for v, n in counts.items()), key=lambda item: item["display_name"], reverse=True)}
        for f, counts in facets.items()
    }
    page = hits[start:start + rows]
    results = [{k: p.get(k) for k in fl} for p in page] if fl else page
    return {"count": len(hits), "facets": facets, "results": results, "sort": sort, "search_facets": search_facets}


def _group_list(items: list[dict[str, Any]], data: dict[str, Any], names_key: str) -> list[Any]:
    wanted = _string_list(data, names_key) if data.get(names_key) else []
    q = str(data.get("q") or "").strip().lower()
    out = [g for g in items if (not wanted or g["name"] in wanted)
           and (not q or q in g["name"].lower() or q in g["title"].lower())]
    sort = str(data.get("sort") or "title asc").split()
    key = {"name": "name", "title": "title", "package_count": "package_count", "packages": "package_count"}.get(
        sort[0] if sort else "title")
    if key is None:
        raise ValidationError(sort=[f"Cannot sort by field `{sort[0]}`"])
    out.sort(key=lambda g: g[key], reverse=(len(sort) > 1 and sort[1] == "desc") or sort[0] == "packages")
    all_fields = _bool(data, "all_fields")
    out = _page(out, data, ALL_FIELDS_MAX if all_fields else LIST_MAX)
    return out if all_fields else [g["name"] for g in out]


def organization_list(site: Site, data: dict[str, Any]) -> list[Any]:
    """Return a list of the names of the site's organizations.

    :param all_fields: return organization dictionaries instead of just names (default False)
    :param sort: ``name``, ``title`` or ``package_count``, with ``asc``/``desc`` (default ``title asc``)
    :param limit: maximum number returned; :param offset: offset of the first one
    :param organizations: only these names (list); :param q: name or title contains this
    :rtype: list of strings (or dictionaries)
    """
    return _group_list(site.organizations, data, "organizations")


def group_list(site: Site, data: dict[str, Any]) -> list[Any]:
    """Return a list of the names of the site's groups (Kiban: one group per domain, e.g. ``address``).

    :param all_fields: return group dictionaries instead of just names (default False)
    :param sort: ``name``, ``title`` or ``package_count``, with ``asc``/``desc`` (default ``title asc``)
    :param limit: maximum number returned; :param offset: offset of the first one
    :param groups: only these names (list); :param q: name or title contains this
    :rtype: list of strings (or dictionaries)
    """
    return _group_list(site.groups, data, "groups")


def _group_show(items: list[dict[str, Any]], site: Site, data: dict[str, Any], key: str) -> dict[str, Any]:
    ident = _required(data, "id")
    for g in items:
        if ident in (g["id"], g["name"]):
            out = dict(g)
            if key == "organization":
                members = [p for p in site.packages if p["owner_org"] == g["id"]]
            else:
                members = [p for p in site.packages if any(x["id"] == g["id"] for x in p["groups"])]
            out["package_count"] = len(members)
            if _bool(data, "include_datasets"):
                out["packages"] = members[:1000]
            out.setdefault("extras", [])
            out.setdefault("tags", [])
            out.setdefault("groups", [])
            out.setdefault("users", [])
            out["num_followers"] = 0
            return out
    raise NotFound()


def organization_show(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Return the details of an organization.

    :param id: the id or name of the organization
    :param include_datasets: include the organization's datasets (optional, default False)
    :rtype: dictionary
    """
    return _group_show(site.organizations, site, data, "organization")


def group_show(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Return the details of a group.

    :param id: the id or name of the group
    :param include_datasets: include the group's datasets (optional, default False)
    :rtype: dictionary
    """
    return _group_show(site.groups, site, data, "groups")


def tag_list(site: Site, data: dict[str, Any]) -> list[Any]:
    """Return a list of the site's tags.

    :param query: only tags whose names contain this string (optional)
    :param all_fields: return full tag dictionaries instead of just names (default False)
    :rtype: list of strings (or dictionaries)
    """
    query = str(data.get("query") or data.get("q") or "").strip()
    tags: dict[str, dict[str, Any]] = {}
    for p in site.packages:
        for t in p["tags"]:
            if not query or query in t["name"]:
                tags.setdefault(t["name"], t)
    ordered = [tags[n] for n in sorted(tags)]
    return ordered if _bool(data, "all_fields") else [t["name"] for t in ordered]


def status_show(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """Return a dictionary with information about the site's configuration.

    :rtype: dictionary
    """
    return {"site_title": site.title, "site_description": "Kiban 基盤: base registries and municipal reports",
            "site_url": site.site_url, "ckan_version": CKAN_VERSION, "error_emails_to": None,
            "locale_default": "ja", "extensions": []}


def help_show(site: Site, data: dict[str, Any]) -> str:
    """Return the help string for a particular API action.

    :param name: Action function name (eg ``package_search``)
    :rtype: string
    """
    name = _required(data, "name")
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return ACTIONS[name].__doc__ or ""


Action = Callable[[Site, dict[str, Any]], Any]

ACTIONS: dict[str, Action] = {f.__name__: f for f in (
    package_list, package_show, package_search, resource_show, organization_list, organization_show,
    group_list, group_show, tag_list, status_show, help_show,
)}

#: CKAN's write actions: known to CKAN, refused here (read-only catalog)
WRITE_ACTIONS = frozenset({
    "package_create", "package_update", "package_patch", "package_delete", "package_purge", "resource_create",
    "resource_update", "resource_patch", "resource_delete", "organization_create", "organization_update",
    "organization_patch", "organization_delete", "group_create", "group_update", "group_patch", "group_delete",
    "dataset_purge", "package_revise", "member_create", "member_delete", "tag_create", "user_create",
})


def run(site: Site, name: str, data: dict[str, Any], *, method: str = "GET") -> Any:
    """Answer action ``name`` with request ``data``; raises :class:`ActionError` or :class:`BadRequest`."""
    if name in WRITE_ACTIONS:
        if method == "GET":
            raise BadRequest("JSON Error: Invalid request. Please use POST method for your request")
        raise NotAuthorized(f"Kiban's catalog is read-only: {name} is not available")
    action = ACTIONS.get(name)
    if action is None:
        raise BadRequest(f"Action name not known: {name}")
    return action(site, data)
