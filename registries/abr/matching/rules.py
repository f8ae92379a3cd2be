"""A tiny rule language for text rewriting that runs both in Python and as DuckDB SQL.

A rule is one of: :class:`Translate` (character-for-character map, DuckDB ``translate``), :class:`Literal`
(plain substring replacement, ``replace``), :class:`Regex` (RE2-compatible pattern, ``regexp_replace`` with the
``g`` flag, repeated ``times`` for overlapping matches) or :class:`Guarded` (a block of rules applied only when
a pattern occurs: cheap in SQL when the block is rarely needed). Replacement strings use ``\\1`` .. ``\\9``
back-references; a digit right after a back-reference is written ``\\1{0}`` so both engines read it the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Translate:
    src: str
    dst: str

    def __post_init__(self) -> None:
        if len(self.src) != len(self.dst):
            raise ValueError("Translate needs equally long source and target alphabets")


@dataclass(frozen=True)
class Literal:
    old: str
    new: str


@dataclass(frozen=True)
class Regex:
    pattern: str
    repl: str
    times: int = 1


@dataclass(frozen=True)
class Guarded:
    guard: str
    rules: tuple[Rule, ...]


Rule = Translate | Literal | Regex | Guarded

def sql_literal(text: str) -> str:
    """A SQL string literal (rules are constants of this module, never request values)."""
    return "'" + text.replace("'", "''") + "'"


_SHORT = 3  # a Translate this short becomes chained replace() calls


def char_class(chars: str) -> str:
    """A regular-expression character class matching any of ``chars``."""
    return "[" + "".join(re.escape(c) if c in "\\]^-[" else c for c in dict.fromkeys(chars)) + "]"


_BRACED = re.compile(r"\\(\d)\{(\d)\}")


def _python_repl(repl: str) -> str:
    """``\\1{0}`` -> ``\\g<1>0``; plain ``\\1`` stays."""
    return _BRACED.sub(r"\\g<\1>\2", repl)


def _sql_repl(repl: str) -> str:
    """``\\1{0}`` -> ``\\10`` (RE2 reads one digit after the backslash)."""
    return _BRACED.sub(r"\\\1\2", repl)


@cache
def _table(rule: Translate) -> dict[int, str]:
    return str.maketrans(rule.src, rule.dst)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def apply(rules: tuple[Rule, ...], text: str) -> str:
    """Apply ``rules`` in order to ``text`` (the Python execution)."""
    for rule in rules:
        if isinstance(rule, Translate):
            text = text.translate(_table(rule))
        elif isinstance(rule, Literal):
            text = text.replace(rule.old, rule.new)
        elif isinstance(rule, Regex):
            pattern, repl = _compiled(rule.pattern), _python_repl(rule.repl)
            for _ in range(rule.times):
                text = pattern.sub(repl, text)
        elif _compiled(rule.guard).search(text):
            text = apply(rule.rules, text)
    return text


def _let(expr: str, body: str, depth: int) -> str:
    """``body`` with ``_vN`` bound to ``expr`` once (a one-element list and a lambda: DuckDB has no LET)."""
    return f"list_transform([{expr}], _v{depth} -> {body})[1]"


def to_sql(rules: tuple[Rule, ...], expr: str, _depth: int = 0) -> str:
    """The same rewriting as a DuckDB SQL expression over ``expr`` (the SQL execution).

    Guards test the text once and skip the block's rewrites on rows that do not need them; the tested text is
    bound once (:func:`_let`), so guards nest without repeating their input expression.
    """
    for rule in rules:
        if isinstance(rule, Translate) and len(rule.src) <= _SHORT:
            for a, b in zip(rule.src, rule.dst, strict=True):
                expr = f"replace({expr}, {sql_literal(a)}, {sql_literal(b)})"
        elif isinstance(rule, Translate):
            # DuckDB's translate costs time in proportion to the alphabet: only rows that need it pay
            v = f"_v{_depth}"
            expr = _let(expr, f"CASE WHEN regexp_matches({v}, {sql_literal(char_class(rule.src))}) "
                              f"THEN translate({v}, {sql_literal(rule.src)}, {sql_literal(rule.dst)}) ELSE {v} END",
                        _depth)
            _depth += 1
        elif isinstance(rule, Literal):
            expr = f"replace({expr}, {sql_literal(rule.old)}, {sql_literal(rule.new)})"
        elif isinstance(rule, Regex):
            for _ in range(rule.times):
                expr = (f"regexp_replace({expr}, {sql_literal(rule.pattern)}, "
                        f"{sql_literal(_sql_repl(rule.repl))}, 'g')")
        else:
            v = f"_v{_depth}"
            inner = to_sql(rule.rules, v, _depth + 1)
            expr = _let(expr, f"CASE WHEN regexp_matches({v}, {sql_literal(rule.guard)}) THEN {inner} ELSE {v} END",
                        _depth)
            _depth += 10
    return expr
