"""Regexes for the label and status phrases shops print (促销价, 已售完, add to cart), fast on a whole page's text."""

from __future__ import annotations

import re
from collections.abc import Iterable


def spaced(phrase: str) -> str:
    """A regex for a phrase whose CJK characters old pages pad with spaces (价　格, 京 东 价)."""
    if phrase.isascii():
        return re.escape(phrase)
    return r"\s*".join(re.escape(char) for char in phrase)


def starting_with(first_characters: Iterable[str]) -> str:
    r"""A lookahead for the characters a match can begin with (`\d` may be one of them). Python's re otherwise
    tries every alternative of a long alternation (80 currency markers, 100 labels) at every position of a page's
    text: 3-10x slower."""
    return "(?=[" + "".join(c if c == r"\d" else re.escape(c) for c in sorted(set(first_characters))) + "])"


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """Any of the phrases, longest first, case-insensitive; ASCII ones only as whole words, CJK ones spaced."""
    ordered = sorted(phrases, key=len, reverse=True)
    parts = [rf"\b{re.escape(p)}\b" if p.isascii() else spaced(p) for p in ordered]
    return re.compile(f"{starting_with(p[0] for p in ordered)}(?:{'|'.join(parts)})", re.IGNORECASE)
