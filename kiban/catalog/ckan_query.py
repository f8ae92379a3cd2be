"""The subset of Solr query syntax that CKAN clients send to ``package_search`` (``q``, ``fq``, ``sort``, facets).

CKAN hands ``q`` and ``fq`` to Solr; harvesters and portals rely on a small part of it, which is what this module
understands, over the package dicts themselves (a catalog of a few dozen datasets needs no index):

* ``field:value``, ``field:"quoted value"``, ``field:(a OR b)``, wildcards ``*`` and ``?`` in values, ``*:*``;
* ranges ``field:[X TO Y]`` (inclusive) and ``field:{X TO Y}`` (exclusive) with ``*`` open ends, on dates
  (ISO 8601, ``NOW``, ``NOW-1DAY``) and numbers -- e.g. ckanext-harvest's ``metadata_modified:[2026-11-01T00:00:00Z
  TO *]``;
* ``-clause`` / ``NOT clause`` (negation), ``+clause`` (required), ``AND``, ``OR`` and parentheses. Clauses side by
  side are all required (CKAN's ``q.op`` is AND), ``OR`` joins its neighbours: ``organization:a OR organization:b
  metadata_modified:[X TO *]`` is ``(a OR b) AND modified``, which is how ckanext-harvest builds its ``fq``;
* a bare term matches the catalog text (name, title, notes, tags, groups, organization, resources, extras), by
  case-insensitive substring (Japanese has no word spacing; Solr's CJK bigrams behave much the same).

An unknown field or a malformed query raises :class:`QueryError` (CKAN answers ``Search Query Error``, HTTP 400).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Package = dict[str, Any]


class QueryError(ValueError):
    """A query Kiban cannot evaluate (CKAN: ``Search Query Error``)."""


# --------------------------------------------------------------------------------------------- field extraction

def _org(p: Package) -> list[str]:
    return [p["organization"]["name"]] if p.get("organization") else []


def _extras(p: Package) -> dict[str, str]:
    return {e["key"]: str(e["value"]) for e in p.get("extras", [])}


#: exact-match (Solr "string") fields -> their values in a package dict
STRING_FIELDS: dict[str, Callable[[Package], list[str]]] = {
    "id": lambda p: [p["id"]],
    "name": lambda p: [p["name"]],
    "site_id": lambda p: ["kiban"],
    "organization": _org,
    "owner_org": lambda p: [p["owner_org"]] if p.get("owner_org") else [],
    "groups": lambda p: [g["name"] for g in p.get("groups", [])],
    "tags": lambda p: [t["name"] for t in p.get("tags", [])],
    "res_format": lambda p: [r["format"] for r in p.get("resources", [])],
    "res_url": lambda p: [r["url"] for r in p.get("resources", [])],
    "license_id": lambda p: [p["license_id"]] if p.get("license_id") else [],
    "type": lambda p: [p["type"]],
    "dataset_type": lambda p: [p["type"]],
    "state": lambda p: [p["state"]],
    "capacity": lambda p: ["private" if p.get("private") else "public"],
    "version": lambda p: [p["version"]] if p.get("version") else [],
    "entity_type": lambda p: ["package"],
}

#: tokenised (Solr "text") fields -> their text; matched by case-insensitive substring
TEXT_FIELDS: dict[str, Callable[[Package], list[str]]] = {
    "title": lambda p: [p.get("title") or ""],
    "notes": lambda p: [p.get("notes") or ""],
    "author": lambda p: [p.get("author") or ""],
    "maintainer": lambda p: [p.get("maintainer") or ""],
    "res_name": lambda p: [r.get("name") or "" for r in p.get("resources", [])],
    "res_description": lambda p: [r.get("description") or "" for r in p.get("resources", [])],
}

DATE_FIELDS = ("metadata_created", "metadata_modified")
NUMBER_FIELDS = ("num_resources", "num_tags")

#: fields ``sort`` accepts; ``score`` is a constant here (every hit matches equally well)
SORT_FIELDS = ("score", "id", "name", "title", "title_string", "metadata_created", "metadata_modified",
               "num_resources", "num_tags")


def text_of(p: Package) -> str:
    """The catch-all ``text`` field: what a bare search term is looked for in."""
    parts = [p["name"], p.get("title") or "", p.get("notes") or "", *STRING_FIELDS["tags"](p),
             *STRING_FIELDS["groups"](p), *[g.get("title", "") for g in p.get("groups", [])], *_org(p),
             *TEXT_FIELDS["res_name"](p), *TEXT_FIELDS["res_description"](p), *STRING_FIELDS["res_format"](p),
             *_extras(p).values()]
    return "\n".join(parts).lower()


def field_values(p: Package, field: str) -> list[str]:
    """The values of ``field`` (any indexed field, incl. ``extras_<key>``) in package ``p``, as strings."""
    if field in STRING_FIELDS:
        return STRING_FIELDS[field](p)
    if field in TEXT_FIELDS:
        return TEXT_FIELDS[field](p)
    if field in DATE_FIELDS or field in NUMBER_FIELDS:
        return [] if p.get(field) is None else [str(p[field])]
    if field == "text":
        return [text_of(p)]
    if field.startswith("extras_"):
        value = _extras(p).get(field[len("extras_"):])
        return [] if value is None else [value]
    raise QueryError(f"undefined field {field}")


# ------------------------------------------------------------------------------------------------------ values

_NOW = re.compile(r"NOW((?:[+-]\d+(?:YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?)*)(?:/(DAY|HOUR|MINUTE))?")
_STEP = re.compile(r"([+-])(\d+)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?")
_UNIT = {"YEAR": timedelta(days=365), "MONTH": timedelta(days=30), "DAY": timedelta(days=1),
         "HOUR": timedelta(hours=1), "MINUTE": timedelta(minutes=1), "SECOND": timedelta(seconds=1)}


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ISO 8601 (``Z``, an offset, or naive = UTC, as CKAN stores it) or Solr date math (``NOW-1DAY``)."""
    m = _NOW.fullmatch(text)
    if m:
        t = now or datetime.now(UTC)
        for sign, n, unit in _STEP.findall(m.group(1)):
            t = t + int(n) * _UNIT[unit] * (1 if sign == "+" else -1)
        if m.group(2) == "DAY":
            t = t.replace(hour=0, minute=0, second=0, microsecond=0)
        elif m.group(2) == "HOUR":
            t = t.replace(minute=0, second=0, microsecond=0)
        elif m.group(2) == "MINUTE":
            t = t.replace(second=0, microsecond=0)
        return t
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise QueryError(f"invalid date {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _as_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise QueryError(f"invalid number {text!r}") from None


# ----------------------------------------------------------------------------------------------------- the AST

@dataclass(frozen=True)
class Term:
    """``field:value`` (``field`` None: the catalog text); ``*`` and ``?`` are wildcards."""

    field: str | None
    value: str
    quoted: bool = False

    def matches(self, p: Package) -> bool:
        if self.field is None and self.value == "*":
            return True
        field = self.field or "text"
        values = field_values(p, field)
        if self.value == "*" and not self.quoted:
            return bool(values)
        if field in DATE_FIELDS:
            want = parse_time(self.value)
            return any(parse_time(v) == want for v in values)
        if field in NUMBER_FIELDS:
            return any(_as_number(v) == _as_number(self.value) for v in values)
        wild = not self.quoted and any(c in self.value for c in "*?")
        if field == "text" or field in TEXT_FIELDS:
            needle = self.value.lower()
            if wild:
                return any(fnmatch.fnmatchcase(v.lower(), f"*{needle}*") for v in values)
            return any(needle in v.lower() for v in values)
        if wild:
            return any(fnmatch.fnmatchcase(v, self.value) for v in values)
        return self.value in values


@dataclass(frozen=True)
class Range:
    field: str
    low: str
    high: str
    include_low: bool
    include_high: bool

    def matches(self, p: Package) -> bool:
        convert: Callable[[str], Any]
        if self.field in DATE_FIELDS:
            convert = parse_time
        elif self.field in NUMBER_FIELDS:
            convert = _as_number
        else:
            convert = str
        low = None if self.low == "*" else convert(self.low)
        high = None if self.high == "*" else convert(self.high)
        for raw in field_values(p, self.field):
            v = convert(raw)
            if low is not None and (v < low or (v == low and not self.include_low)):
                continue
            if high is not None and (v > high or (v == high and not self.include_high)):
                continue
            return True
        return False


@dataclass(frozen=True)
class Not:
    node: Node

    def matches(self, p: Package) -> bool:
        return not self.node.matches(p)


@dataclass(frozen=True)
class All:
    nodes: tuple[Node, ...]

    def matches(self, p: Package) -> bool:
        return all(n.matches(p) for n in self.nodes)


@dataclass(frozen=True)
class Any_:
    nodes: tuple[Node, ...]

    def matches(self, p: Package) -> bool:
        return any(n.matches(p) for n in self.nodes)


Node = Term | Range | Not | All | Any_


# ------------------------------------------------------------------------------------------------------ parser

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lparen>\() | (?P<rparen>\)) |
      (?P<range>(?P<field_r>[A-Za-z_][\w.]*):(?P<open>[\[{])\s*(?P<low>\S+)\s+TO\s+(?P<high>[^\]}\s]+)\s*(?P<close>[\]}])) |
      (?P<fieldgroup>(?P<field_g>[A-Za-z_][\w.]*):\() |
      (?P<quoted>(?:(?P<field_q>[A-Za-z_*][\w.]*):)?"(?P<qvalue>(?:[^"\\]|\\.)*)") |
      (?P<prefix>[-+!](?=\S)) |
      (?P<word>(?:\\.|[^\s()"\\])+)
    )""", re.VERBOSE)

_KEYWORDS = {"AND", "OR", "NOT", "&&", "||"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _tokens(query: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(query):
        if query[pos:].strip() == "":
            break
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot parse query at {query[pos:pos + 20]!r}")
        pos = m.end()
        if m.group("lparen"):
            out.append(("(", None))
        elif m.group("rparen"):
            out.append((")", None))
        elif m.group("range"):
            out.append(("node", Range(m.group("field_r"), _unescape(m.group("low")), _unescape(m.group("high")),
                                      m.group("open") == "[", m.group("close") == "]")))
        elif m.group("fieldgroup"):
            out.append(("fieldgroup", m.group("field_g")))
        elif m.group("quoted"):
            field = m.group("field_q")
            out.append(("node", Term(None if field in (None, "*") else field, _unescape(m.group("qvalue")), True)))
        elif m.group("prefix"):
            out.append(("prefix", m.group("prefix")))
        else:
            word = m.group("word")
            if word in _KEYWORDS:
                out.append(("op", {"&&": "AND", "||": "OR"}.get(word, word)))
                continue
            field, sep, value = _split_field(word)
            if sep and not value:
                raise QueryError(f"no value for field {field!r}")
            if field == "*" and value == "*":
                out.append(("node", Term(None, "*")))
            else:
                out.append(("node", Term(field if sep else None, _unescape(value if sep else word))))
    return out


def _split_field(word: str) -> tuple[str, str, str]:
    """``field:value`` -> (field, ':', value) unless the colon is escaped; else (word, '', '')."""
    m = re.match(r"([A-Za-z_*][\w.]*):(.*)", word, re.DOTALL)
    return (m.group(1), ":", m.group(2)) if m else (word, "", "")


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def sequence(self, field: str | None = None) -> Node:
        """Clauses up to ``)`` or the end: groups joined by OR, groups ANDed."""
        groups: list[list[Node]] = []
        joiner = "AND"
        while (tok := self.peek()) is not None and tok[0] != ")":
            if tok[0] == "op" and tok[1] in ("AND", "OR"):
                self.take()
                joiner = tok[1]
                continue
            clause = self.clause(field)
            if joiner == "OR" and groups:
                groups[-1].append(clause)
            else:
                groups.append([clause])
            joiner = "AND"
        if not groups:
            raise QueryError("empty query clause")
        nodes = tuple(g[0] if len(g) == 1 else Any_(tuple(g)) for g in groups)
        return nodes[0] if len(nodes) == 1 else All(nodes)

    def clause(self, field: str | None) -> Node:
        kind, value = self.take()
        if kind == "prefix":
            inner = self.clause(field)
            return Not(inner) if value in "-!" else inner
        if kind == "op" and value == "NOT":
            return Not(self.clause(field))
        if kind == "(":
            node = self.sequence(field)
            self._close()
            return node
        if kind == "fieldgroup":
            if field is not None:
                raise QueryError("nested field groups")
            node = self.sequence(value)
            self._close()
            return node
        if kind == "node":
            if field is not None and isinstance(value, Term) and value.field is None:
                return Term(field, value.value, value.quoted)
            return value
        raise QueryError(f"unexpected {value or kind!r} in query")

    def _close(self) -> None:
        if self.peek() is None or self.take()[0] != ")":
            raise QueryError("unbalanced parentheses")


def parse(query: str) -> Node | None:
    """The query as a tree; None for an empty query (matches everything)."""
    if not query or not query.strip():
        return None
    parser = _Parser(_tokens(query))
    node = parser.sequence()
    if parser.peek() is not None:
        raise QueryError("unbalanced parentheses")
    _check_fields(node)
    return node


def known_field(field: str) -> bool:
    return (field in STRING_FIELDS or field in TEXT_FIELDS or field in DATE_FIELDS or field in NUMBER_FIELDS
            or field == "text" or field.startswith("extras_"))


def _check_fields(node: Node) -> None:
    if isinstance(node, Term | Range):
        if node.field is not None and not known_field(node.field):
            raise QueryError(f"undefined field {node.field}")
    elif isinstance(node, Not):
        _check_fields(node.node)
    else:
        for n in node.nodes:
            _check_fields(n)


def matches(node: Node | None, p: Package) -> bool:
    return node is None or node.matches(p)


# -------------------------------------------------------------------------------------------------- sort, facets

def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``"name asc, metadata_modified desc"`` -> ``[("name", False), ("metadata_modified", True)]``."""
    out = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or words[0] not in SORT_FIELDS or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryError(f"can not sort on {part.strip()!r}")
        out.append((words[0], len(words) == 2 and words[1] == "desc"))
    return out


def _sort_value(p: Package, field: str) -> Any:
    if field == "score":
        return 0
    if field in ("title", "title_string"):
        return (p.get("title") or "").lower()
    if field in DATE_FIELDS:
        return parse_time(p[field]) if p.get(field) else datetime.min.replace(tzinfo=UTC)
    return p.get(field)


def sort_packages(packages: list[Package], sort: str) -> list[Package]:
    """Stable sort by every key, last key first; name ascending breaks remaining ties."""
    out = sorted(packages, key=lambda p: p["name"])
    for field, descending in reversed(parse_sort(sort)):
        out.sort(key=lambda p, f=field: _sort_value(p, f), reverse=descending)
    return out


def facet_counts(packages: Iterable[Package], field: str, limit: int, mincount: int) -> dict[str, int]:
    """Value -> number of packages with it, most frequent first (then by value); ``limit`` < 0: all."""
    counts: dict[str, int] = {}
    for p in packages:
        for v in dict.fromkeys(field_values(p, field)):
            counts[v] = counts.get(v, 0) + 1
    ranked = sorted(((v, n) for v, n in counts.items() if n >= mincount), key=lambda vn: (-vn[1], vn[0]))
    return dict(ranked if limit < 0 else ranked[:limit])
