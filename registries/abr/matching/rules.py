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


def _rule_sql(rule: Translate | Literal | Regex, v: str) -> tuple[str | None, str]:
    """One unguarded rule over column ``v``: (the condition under which it can change anything, the rewrite)."""
    if isinstance(rule, Translate) and len(rule.src) <= _SHORT:
        expr = v
        for a, b in zip(rule.src, rule.dst, strict=True):
            expr = f"replace({expr}, {sql_literal(a)}, {sql_literal(b)})"
        return None, expr
    if isinstance(rule, Translate):
        return (f"regexp_matches({v}, {sql_literal(char_class(rule.src))})",
                f"translate({v}, {sql_literal(rule.src)}, {sql_literal(rule.dst)})")
    if isinstance(rule, Literal):
        return f"contains({v}, {sql_literal(rule.old)})", f"replace({v}, {sql_literal(rule.old)}, {sql_literal(rule.new)})"
    expr = v
    for _ in range(rule.times):
        expr = f"regexp_replace({expr}, {sql_literal(rule.pattern)}, {sql_literal(_sql_repl(rule.repl))}, 'g')"
    return f"regexp_matches({v}, {sql_literal(rule.pattern)})", expr


def to_steps(rules: tuple[Rule, ...], column: str, _flag: str | None = None,
             _names: list[int] | None = None) -> list[tuple[str, str]]:
    """The same rewriting as a sequence of projections: ``(target column, SQL expression)`` pairs, in order.

    Each step either rewrites ``column`` (only where its own cheap test, and the guard flag of its block, say it
    can change anything: a row that does not need a rule does not pay its rewrite) or sets a guard flag column
    ``_gN`` that the rules of a :class:`Guarded` block test. Unlike :func:`to_sql` no value is bound through a
    lambda, which DuckDB pays for on every row at every nesting level. See :func:`staged_sql`.
    """
    names = _names if _names is not None else [0]
    steps: list[tuple[str, str]] = []
    for rule in rules:
        if isinstance(rule, Guarded):
            names[0] += 1
            flag = f"_g{names[0]}"
            test = f"regexp_matches({column}, {sql_literal(rule.guard)})"
            steps.append((flag, test if _flag is None else f"CASE WHEN {_flag} THEN {test} ELSE false END"))
            steps += to_steps(rule.rules, column, flag, names)
            continue
        test, expr = _rule_sql(rule, column)
        cond = " AND ".join(c for c in (_flag, test) if c)
        if cond and _flag and test:  # the flag first: the test runs only on the rows of the block
            steps.append((column, f"CASE WHEN {_flag} THEN CASE WHEN {test} THEN {expr} ELSE {column} END "
                                  f"ELSE {column} END"))
        elif cond:
            steps.append((column, f"CASE WHEN {cond} THEN {expr} ELSE {column} END"))
        else:
            steps.append((column, expr))
    return steps


def staged_sql(rules: tuple[Rule, ...], relation: str, column: str) -> str:
    """``SELECT * FROM (relation)`` with ``column`` rewritten by ``rules``, one projection per step of
    :func:`to_steps` (the guard flags dropped at the end). For large inputs; :func:`to_sql` gives one expression."""
    sql = f"SELECT * FROM ({relation})"
    flags = []
    for target, expr in to_steps(rules, column):
        if target == column:
            sql = f"SELECT * REPLACE ({expr} AS {column}) FROM ({sql})"
        else:
            flags.append(target)
            sql = f"SELECT *, {expr} AS {target} FROM ({sql})"
    return f"SELECT * EXCLUDE ({', '.join(flags)}) FROM ({sql})" if flags else sql
