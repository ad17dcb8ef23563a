"""A marketplace's own category text ("食品饮料 > 营养代餐 > 代餐奶昔") as a product category (config.PRODUCT_CATEGORIES),
for the compliance check of competitor listings, whose category no config gives.

The words are data: monitors/data/product_categories.toml, whose header says how a text is read (the last part of
a breadcrumb that holds a word decides; in a part the longest word wins). This module only reads and applies it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

from config import PRODUCT_CATEGORIES
from monitors.normalise import matching_form

WORDS_FILE = Path(__file__).resolve().parent / "data" / "product_categories.toml"
PARTS = re.compile(r"[>›»＞→]+")


def _folded(text: str) -> str:
    """The lexicon's matching form (half-width, lower-case, Simplified: 美妝 is 美妆), without surrounding space."""
    return matching_form(unicodedata.normalize("NFKC", text)).strip()


@cache
def _words(path: Path = WORDS_FILE) -> tuple[tuple[str, str], ...]:
    """(folded word, product category) in file order; a file naming an unknown category, holding a word twice or
    anything but lists of words is refused, naming the file and the key."""
    with path.open("rb") as file:
        tables = tomllib.load(file)
    words: dict[str, str] = {}
    for category, listed in tables.items():
        if category not in PRODUCT_CATEGORIES:
            raise ValueError(f"{path}: {category!r} is not a product category ({', '.join(PRODUCT_CATEGORIES)})")
        if not isinstance(listed, list) or not all(isinstance(word, str) and word.strip() for word in listed):
            raise ValueError(f"{path}: {category} must be a list of words")
        for word in map(_folded, listed):
            if word in words:
                raise ValueError(f"{path}: {word!r} is listed under {words[word]} and {category}")
            words[word] = category
    return tuple(words.items())


def _part_category(part: str, words: tuple[tuple[str, str], ...]) -> str | None:
    """The category of the longest word in `part` (at equal length the one listed first); None without one."""
    found = [(len(word), -index, category) for index, (word, category) in enumerate(words) if word in part]
    return max(found)[2] if found else None


def product_category(marketplace_category: str | None, *, path: Path = WORDS_FILE) -> str | None:
    """The product category a marketplace category text means, or None when none of its parts says. A text that
    is a product category's own name ("food") is that category."""
    if not marketplace_category or not marketplace_category.strip():
        return None
    if marketplace_category.strip() in PRODUCT_CATEGORIES:
        return marketplace_category.strip()
    words = _words(path)
    for part in reversed(PARTS.split(unicodedata.normalize("NFKC", marketplace_category))):
        category = _part_category(_folded(part), words)
        if category is not None:
            return category
    return None
