"""Normalisation of Japanese addresses as written, in two layers (rules as data, see :mod:`.rules`).

``display`` (what the output shows and where unmatched text comes from):

1. full-width ASCII -> ASCII (``１``/``Ａ``/``（``), ideographic and other spaces -> space;
2. half-width katakana -> full-width (``ｹ`` -> ``ケ``, ``ｶﾞ`` -> ``ガ``);
3. what stands before the address is dropped: surrounding quotes or brackets (``「…」``), ``日本、``, a label
   (``住所：``, ``【所在地】``, ``本社``), a postal code (``〒100-0013``) and a parenthesised note (``（前期）``);
4. 漢数字 -> arabic numerals: positional (``二四`` -> ``24``) and with units (``二十四`` -> ``24``,
   ``千二百三十四`` -> ``1234``, ``十`` -> ``10``; 百 and 千 only next to a numeral, so ``千代田`` stays);
   ``壱弐参拾`` count as numerals; a ``一`` between two arabic numerals is a dash (``1一3`` -> ``1-3``);
5. dash look-alikes next to a numeral (``－ ー ‐ ‑ ‒ – — ― − ─ ━``) -> ``-``; spaces collapsed, and dropped
   before the first numeral (``東京都 千代田区 霞が関`` -> ``東京都千代田区霞が関``), around a dash between numerals
   and before 丁目/番地/番/号, and after ``1条`` (``北1条 西2丁目``) and ``1地割``; a comma between the parts
   before the first numeral counts as a space (``千代田区、霞が関``);
6. 条・丁目 abbreviated: ``北1西2`` -> ``北1条西2`` (札幌), ``西2南9`` -> ``西2条南9`` (帯広);
7. 岩手の地割 written with or without 第: ``第1地割`` -> ``1地割`` (ABR names too, so both compare equal).

``key`` (what is compared; character for character, so it keeps the length of its input):
旧字体・異体字 -> common form (:data:`.variants.VARIANTS`), hiragana -> katakana, small kana -> large,
``ヶ ヵ が ガ`` -> ``ケ``, ``の 之 丿`` -> ``ノ``, latin letters upper-case. ABR names go through the same two
layers, so ``霞ヶ関``, ``霞が関`` and ``霞ケ関`` compare equal, and so do ``二十四条`` and ``24条``.
"""

from __future__ import annotations

from registries.abr.matching.rules import Guarded, Literal, Regex, Rule, Translate, apply, char_class, to_sql
from registries.abr.matching.variants import VARIANTS

DIGITS = "0123456789"
DASHES = "-－ー‐‑‒–—―−─━﹣⁃"

_FW_ASCII = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_HW_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
_SPACES = "\u3000\u00a0\u2002\u2003\u2009\t"

# half-width katakana: voiced and semi-voiced pairs first, then one character each
_HW_KANA = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ｡｢｣､･"
_FW_KANA = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜。「」、・"
_VOICED = {b: v for b, v in zip("ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎｳ", "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ", strict=True)}
_SEMI = {b: v for b, v in zip("ﾊﾋﾌﾍﾎ", "パピプペポ", strict=True)}

_KANJI_DIGITS = ("〇零一二三四五六七八九壱弐参", "00123456789123")
_N = "[0-9]"
_DASH_CLASS = "[" + DASHES.replace("-", "\\-") + "]"

_FW_DIGITS = "０１２３４５６７８９"
_FW_OTHER = "".join(c for c in _FW_ASCII if c not in _FW_DIGITS)

#: first stage, on the text as received: half-width katakana (rare, so guarded)
DISPLAY_KANA: tuple[Rule, ...] = (
    Guarded("[ｦ-ﾟ｡-･]", (
        *(Literal(b + "ﾞ", v) for b, v in _VOICED.items()),
        *(Literal(b + "ﾟ", v) for b, v in _SEMI.items()),
        Translate(_HW_KANA, _FW_KANA),
    )),
)

_KANJI_NUMERALS: tuple[Rule, ...] = (
    # a 一 (or long-vowel mark) between arabic numerals is a dash; then positional digits
    Regex(f"({_N})[一ー]({_N})", r"\1-\2", times=2),
    Translate(*_KANJI_DIGITS),
    Literal("拾", "十"),
    # 十: 2十4 -> 24, 2十 -> 20, 十4 -> 14, 十 -> 10
    Regex(f"({_N})十({_N})", r"\1\2"),
    Regex(f"({_N})十", r"\1{0}"),
    Regex(f"十({_N})", r"1\1"),
    Literal("十", "10"),
    # 百 next to a numeral: 3百45 -> 345, 3百5 -> 305, 3百 -> 300, 百45 -> 145, 百5 -> 105
    Guarded("百", (
        Regex(f"({_N})百({_N}{_N})", r"\1\2"),
        Regex(f"({_N})百({_N})", r"\1{0}\2"),
        Regex(f"({_N})百", r"\1{0}0"),
        Regex(f"百({_N}{_N})", r"1\1"),
        Regex(f"百({_N})", r"10\1"),
    )),
    # 千 next to a numeral
    Guarded("千", (
        Regex(f"({_N})千({_N}{{3}})", r"\1\2"),
        Regex(f"({_N})千({_N}{_N})", r"\1{0}\2"),
        Regex(f"({_N})千({_N})", r"\1{0}0\2"),
        Regex(f"({_N})千", r"\1{0}00"),
        Regex(f"千({_N}{{3}})", r"1\1"),
        Regex(f"千({_N}{_N})", r"10\1"),
        Regex(f"千({_N})", r"100\1"),
    )),
)

_DASHES: tuple[Rule, ...] = (
    # dashes next to numerals (ー stays a long-vowel mark inside words such as センター)
    Regex(f"({_N})\\s*{_DASH_CLASS}", r"\1-"),
    Regex(f"([^ァ-ヶ]){_DASH_CLASS}\\s*({_N})", r"\1-\2"),
    Regex(f"^{_DASH_CLASS}\\s*({_N})", r"-\1"),
    Regex(f"({_N}) ?- ?({_N})", r"\1-\2"),
)

_SPACES_RULES: tuple[Rule, ...] = (
    Regex(r"\s+", " "),
    Regex(r"^ | $", ""),
    Regex(r"^([^0-9 ]*) ", r"\1", times=4),
    Regex(f"({_N}) (丁目|番地|番|号)", r"\1\2"),
    Regex(f"(丁目|番地|番|号) ({_N})", r"\1\2"),
    Regex(f"({_N}条) ", r"\1"),  # 北1条 西2丁目: the 丁目 of a 条 follows it
    Regex(f"({_N}地割) ", r"\1"),  # 第1地割 上村: the 小字 of a 地割 follows it
)

#: 条・丁目 abbreviated (札幌 北1西2, 帯広 西2南9): the 条 written back after the first direction and number
_JO: tuple[Rule, ...] = (
    Regex(f"([北南])({_N}+)([東西])({_N})", r"\1\2条\3\4"),
    Regex(f"([東西])({_N}+)([北南])({_N})", r"\1\2条\3\4"),
)

_LABEL = r"^\s*[【\[<]?(?:(?:本社|本店|事業所|会社)?(?:住所|所在地)|本社|本店)[】\]>]?\s*:?\s*"
_POSTAL = r"^\s*〒?\s*[0-9]{3}-?[0-9]{4}\s*"

#: what stands before the address (on the text with ASCII widths): surrounding quotes or brackets
#: (``「…」``, ``"…"``), ``日本、`` (as map services write it), a label (``住所:``, ``【所在地】``, ``本社 ``),
#: a postal code (``〒100-0013``), in either order, and a parenthesised note (``(前期)``)
_HEAD_RULES: tuple[Rule, ...] = (
    Regex(r"^\s*[\"'「『“‘](.*?)[\"'」』”’]?\s*$", r"\1"),
    Regex(r"^\s*日本国?(?:[、,]\s*|\s+|(〒))", r"\1"),
    Regex(_LABEL, ""),
    Regex(_POSTAL, ""),
    Regex(_LABEL, ""),
    Regex(r"^\s*\([^)]*\)\s*", ""),
)
_HEAD_GUARD = r"^\s*(?:[〒(0-9【\[<「『\"'“‘]|住所|所在地|本社|本店|事業所|会社|日本)"

#: second stage: widths, numerals, dashes, spaces (each block only where the text needs it)
DISPLAY_MAIN: tuple[Rule, ...] = (
    Guarded("[０-９]", (Translate(_FW_DIGITS, DIGITS),)),
    Translate(_FW_OTHER + _SPACES, "".join(chr(ord(c) - 0xFEE0) for c in _FW_OTHER) + " " * len(_SPACES)),
    Guarded(_HEAD_GUARD, _HEAD_RULES),
    # a comma between the parts, before the first numeral (東京都千代田区、霞が関1-3-1), is read as a space
    Guarded("[、,]", (Regex("^([^0-9、,]*)[、,]", r"\1 ", times=3),)),
    Guarded(r"\s", _SPACES_RULES),
    Guarded("[〇零一二三四五六七八九十壱弐参拾]|[0-9][百千]|[百千][0-9〇一二三四五六七八九十]", _KANJI_NUMERALS),
    Guarded("[北南][0-9]+[東西][0-9]|[東西][0-9]+[北南][0-9]", _JO),
    Regex(f"第({_N}+)地割", r"\1地割"),  # 岩手の地割: 第1地割 and 1地割 are one name
    Guarded(_DASH_CLASS, _DASHES),
)

DISPLAY_RULES: tuple[Rule, ...] = DISPLAY_KANA + DISPLAY_MAIN

_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_SMALL = "ァィゥェォッャュョヮ"
_LARGE = "アイウエオツヤユヨワ"


def _kana_translate() -> Translate:
    table: dict[str, str] = dict(zip(_HIRAGANA, _KATAKANA, strict=True))
    table.update(zip(_SMALL, _LARGE, strict=True))
    for small_h, large_k in zip("ぁぃぅぇぉっゃゅょゎ", _LARGE, strict=True):
        table[small_h] = large_k
    table.update(zip("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", strict=True))
    src = "".join(table)
    return Translate(src, "".join(table[c] for c in src))


def _variant_translates(chunks: int = 8) -> tuple[Translate, ...]:
    """The variant map in chunks: a row holding a variant pays for one short alphabet, not for all of them."""
    src = "".join(VARIANTS)
    size = -(-len(src) // chunks)
    return tuple(Translate(src[i:i + size], "".join(VARIANTS[c] for c in src[i:i + size]))
                 for i in range(0, len(src), size))


KEY_RULES: tuple[Rule, ...] = (
    Regex("[ヶヵがガゖゕ]", "ケ"),
    Regex("[の之丿]", "ノ"),
    _kana_translate(),  # each translation is paid only by the rows holding one of its characters
    Guarded(char_class("".join(VARIANTS)), _variant_translates()),  # one test for the rows without any
)


def display(text: str) -> str:
    """The address as it will be read: widths, numerals, dashes and spaces normalised."""
    return apply(DISPLAY_RULES, text or "")


def key(text: str) -> str:
    """The comparison form of a displayed text (same length as ``text``)."""
    return apply(KEY_RULES, text or "")


def match_key(text: str) -> str:
    """``key(display(text))``: how an ABR or municipality name is compared."""
    return key(display(text))


def display_sql(expr: str) -> str:
    return to_sql(DISPLAY_RULES, f"coalesce({expr}, '')")


def display_kana_sql(expr: str) -> str:
    """First stage of :func:`display_sql` (materialise it before :func:`display_main_sql` on large inputs)."""
    return to_sql(DISPLAY_KANA, f"coalesce({expr}, '')")


def display_main_sql(column: str) -> str:
    return to_sql(DISPLAY_MAIN, column)


def key_sql(expr: str) -> str:
    return to_sql(KEY_RULES, expr)


def match_key_sql(expr: str) -> str:
    return key_sql(display_sql(expr))
