"""What a regular expression can match, read from its parse tree without running it: the characters a match can
start with, a character every match needs, the literal words it spells. The compliance engine indexes its
patterns by them, and the normaliser screens texts with them. Each answer is cached: the engine asks about every
pattern again for each product category.

The parse tree is `re._parser`'s, private: every reader answers "unknown" (None) on a construct it does not know or
a Python without it, and its callers then fall back to trying the pattern everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

try:   # the parser behind re.compile: private, hence the None answers
    from re import _constants as sre_constants, _parser as sre_parser
except ImportError:   # pragma: no cover (Python 3.11+ has them)
    sre_constants = sre_parser = None


class _UnknownStart(Exception):
    """A regex construct whose first characters are not worked out (., [^…], \\w, back-references)."""


def _first_of(items: list) -> tuple[list[tuple[int, int]], bool]:
    """(code point ranges a match of the parsed `items` can start with, whether `items` can match empty)."""
    ranges: list[tuple[int, int]] = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            return ranges + [(arg, arg)], False
        if op is sre_constants.IN:
            for kind, value in arg:
                if kind is sre_constants.LITERAL:
                    ranges.append((value, value))
                elif kind is sre_constants.RANGE:
                    ranges.append(value)
                else:
                    raise _UnknownStart(kind)
            return ranges, False
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.AT):
            continue   # zero-width: the next item starts the match
        if op is sre_constants.SUBPATTERN:
            inner, nullable = _first_of(arg[-1].data)
        elif op is sre_constants.BRANCH:
            branches = [_first_of(branch.data) for branch in arg[1]]
            inner = [span for found, _ in branches for span in found]
            nullable = any(empty for _, empty in branches)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            inner, nullable = _first_of(arg[2].data)
            nullable = nullable or arg[0] == 0
        else:
            raise _UnknownStart(op)
        ranges += inner
        if not nullable:
            return ranges, False
    return ranges, True


MAX_EXPANSIONS = 64
"""A stretch of a pattern that spells more strings than this is cut there (its parts are still read)."""


def _finite(items) -> set[str] | None:
    """Every string the parsed regex `items` matches, when it is a small finite set of literals; else None."""
    strings = {""}
    for op, arg in items:
        if op is sre_constants.LITERAL:
            options = {chr(arg)}
        elif op is sre_constants.SUBPATTERN:
            options = _finite(arg[-1].data)
        elif op is sre_constants.BRANCH:
            branches = [_finite(branch.data) for branch in arg[1]]
            options = None if None in branches else set().union(*branches)
        elif op is sre_constants.IN and all(kind is sre_constants.LITERAL for kind, _ in arg):
            options = {chr(value) for _, value in arg}
        elif op is sre_constants.MAX_REPEAT and arg[0] == 0 and arg[1] == 1:
            inner = _finite(arg[2].data)
            options = None if inner is None else inner | {""}
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.AT):
            continue
        else:
            options = None
        if options is None or len(strings) * len(options) > MAX_EXPANSIONS:
            return None
        strings = {prefix + option for prefix in strings for option in options}
    return strings


def _literal_words(items) -> Iterator[str]:
    """The strings of two or more characters that the finite stretches of the parsed regex `items` match:
    '(?:绝对)?(?:无|零)(?:毒|残留)[\\u4e00-\\u9fff]' gives 无毒, 无残留, 零毒, 零残留, 绝对无毒 …"""
    stretch: list = []   # consecutive items whose strings, together, stay few

    def flush() -> Iterator[str]:
        yield from (string for string in _finite(stretch) or () if len(string) > 1)
        stretch.clear()

    for op, arg in items:
        single = _finite([(op, arg)])
        if single is not None and (not stretch or _finite([*stretch, (op, arg)]) is not None):
            stretch.append((op, arg))
            continue
        yield from flush()
        if single is not None:
            stretch.append((op, arg))
        elif op is sre_constants.SUBPATTERN:
            yield from _literal_words(arg[-1].data)
        elif op is sre_constants.BRANCH:
            for branch in arg[1]:
                yield from _literal_words(branch.data)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            yield from _literal_words(arg[2].data)
    yield from flush()


def literal_words(pattern: str) -> Iterator[str]:
    """The strings of two or more characters the finite stretches of `pattern` match; none when unknown."""
    if sre_parser is not None:
        yield from _literal_words(sre_parser.parse(pattern).data)


MAX_START_CHARACTERS = 4096
"""A pattern that can start with more characters than this (a whole script) is tried at every position instead."""


@cache
def first_characters(pattern: str) -> frozenset[str] | None:
    """Every character a match of `pattern` can start with; None when unknown or too many to index."""
    if sre_parser is None:
        return None
    try:
        ranges, nullable = _first_of(sre_parser.parse(pattern).data)
    except (_UnknownStart, AttributeError, TypeError, ValueError):
        return None
    if nullable or sum(high - low + 1 for low, high in ranges) > MAX_START_CHARACTERS:
        return None
    return frozenset(chr(code) for low, high in ranges for code in range(low, high + 1))


MAX_OPENINGS = 4096
"""A pattern whose first two characters spell more strings than this is indexed by its first character only."""

ANY = "\x00"
"""In an opening, a character the pattern does not restrict (a whole script, [^。], .)."""


class _TooMany(Exception):
    """More openings than MAX_OPENINGS, or a construct whose characters are not read."""


def _item_openings(op, arg, size: int) -> set[str]:
    """The strings of at most `size` characters that one parsed item's matches begin with; a shorter one is a
    whole match."""
    if op is sre_constants.LITERAL:
        return {chr(arg)}
    if op is sre_constants.IN:
        chars: set[str] = set()
        for kind, value in arg:
            if kind is sre_constants.LITERAL:
                chars.add(chr(value))
            elif kind is sre_constants.RANGE and value[1] - value[0] < MAX_OPENINGS:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:   # a whole script, a negated class, \w: any character, as far as the index can tell
                return {ANY}
        return chars
    if op is sre_constants.ANY:
        return {ANY}
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.AT):
        return {""}
    if op is sre_constants.SUBPATTERN:
        return _openings(arg[-1].data, size)
    if op is sre_constants.BRANCH:
        return set().union(*(_openings(branch.data, size) for branch in arg[1]))
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
        least, most, body = arg[0], arg[1], _openings(arg[2].data, size)
        found, current = ({""} if least == 0 else set()), {""}
        for count in range(1, min(most, size) + 1):
            current = _joined(current, body, size)
            if count >= least:
                found |= current
        # More repetitions than `size` only lengthen strings already `size` long.
        return found | {string for string in current if len(string) == size}
    raise _TooMany(op)


def _joined(heads: set[str], tails: set[str], size: int) -> set[str]:
    joined = {head if len(head) == size else (head + tail)[:size] for head in heads for tail in tails}
    if len(joined) > MAX_OPENINGS:
        raise _TooMany(len(joined))
    return joined


def _openings(items, size: int) -> set[str]:
    found = {""}
    for op, arg in items:
        if all(len(string) == size for string in found):
            break
        found = _joined(found, _item_openings(op, arg, size), size)
    return found


@cache
def openings(pattern: str) -> frozenset[str] | None:
    """The first two characters of every match of `pattern` (one character where a match can be that short, ANY
    for a character it does not restrict); None when unknown or too many. Where many patterns start with the same
    common character (一, 不, a digit), the second one rules out most positions before any pattern is tried."""
    if sre_parser is None:
        return None
    try:
        found = _openings(sre_parser.parse(pattern).data, 2)
    except (_TooMany, AttributeError, TypeError, ValueError):
        return None
    return None if "" in found else frozenset(found)


def character_class(ranges: list[tuple[int, int]]) -> re.Pattern[str]:
    members = (re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
               for low, high in sorted(set(ranges)))
    return re.compile(f"[{''.join(members)}]")


@cache
def required_characters(pattern: str) -> re.Pattern[str] | None:
    """A character class one of whose characters every text matching `pattern` holds (the fewest found among the
    pattern's top-level items that cannot be skipped, lookarounds included: [®™] for '…(?=[®™])'); None when no
    such item is known. A text without any is not searched with the pattern at all."""
    if sre_parser is None:
        return None
    try:
        items = sre_parser.parse(pattern).data
    except (AttributeError, TypeError, ValueError):
        return None
    best: list[tuple[int, int]] | None = None
    for op, arg in items:
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.AT):
            if op is not sre_constants.ASSERT:
                continue
            item = arg[1].data
        else:
            item = [(op, arg)]
        try:
            ranges, nullable = _first_of(item)
        except (_UnknownStart, AttributeError, TypeError, ValueError):
            continue
        size = sum(high - low + 1 for low, high in ranges)
        if not nullable and (best is None or size < sum(high - low + 1 for low, high in best)):
            best = ranges
    return character_class(best) if best else None


