"""The matching form of a text, shared by the lexicon and the listings matched against it, with a map back.

Three steps, the evasion data in `monitors/data/evasions.toml`:

1. One character for one: full-width → half-width, ASCII lower-case, Traditional → Simplified (OpenCC t2s) and
   the single-character look-alikes (蕞 → 最). Offsets do not move.
2. Spellings that change length: pinyin words (zui → 最, diyi → 第一), NO.1/TOP1/第1 → 第一, ⑩ → 10, homophone
   sequences (醉好 → 最好).
3. Separators between two Chinese characters dropped (最*佳, 最 佳), invisible characters dropped everywhere.

Steps 2 and 3 run only when their regex finds something (most titles need neither), and then record, for every
character of their output, the span of input it came from; the maps compose, so `Folded.span` turns a span of the
matching form into the span of the ORIGINAL text that produced it (zui好 for 最好).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import opencc

EVASIONS_FILE = Path(__file__).resolve().parent / "data" / "evasions.toml"
CJK = "\u4e00-\u9fff"

_WIDTH_AND_CASE = ({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
                   | {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
                   | {code: code - 0xFEE0 + 32 for code in range(0xFF21, 0xFF3B)})   # Ａ-Ｚ straight to a-z
_t2s = opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Folded:
    """A text in matching form; `starts[i]:ends[i]` is the original span of character i (None: the same i)."""

    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that `text[start:end]` came from."""
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


# A length-changing step: (regex, replacement of a match).
_Step = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


@dataclass(frozen=True)
class _Folds:
    characters: Mapping[int, int | str]   # a str.translate table
    steps: tuple[_Step, ...]


def _load(path: Path) -> _Folds:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    characters: dict[int, int | str] = dict(_WIDTH_AND_CASE)
    characters |= {ord(key): value for key, value in data["characters"].items()}
    replacements: dict[str, str] = dict(data["sequences"])
    for forms in data["digits"]["circled"]:
        replacements.update({form: str(number) for number, form in enumerate(forms, start=1)})
    replacements.update(dict.fromkeys(data["digits"]["zero"], "0"))
    single = {key: value for key, value in replacements.items() if len(key) == 1 and len(value) == 1}
    characters |= {ord(key): value for key, value in single.items()}
    multi = {key: value for key, value in replacements.items() if key not in single}
    words = dict(data["words"])
    replacements_to = {"words": words, "multi": multi}
    alternatives = [f"(?P<words>(?<![a-z])(?:{_alternation(words)})(?![a-z]))", f"(?P<multi>{_alternation(multi)})"]
    for i, entry in enumerate(data.get("pattern", [])):
        alternatives.append(f"(?P<p{i}>{entry['pattern']})")
        replacements_to[f"p{i}"] = entry["to"]
    spellings = re.compile("|".join(alternatives))

    def spelled(match: re.Match[str]) -> str:
        to = replacements_to[match.lastgroup]
        return to if isinstance(to, str) else to[match.group()]

    separators, invisible = re.escape(data["separators"]), re.escape(data["invisible"])
    gaps = re.compile(f"(?<=[{CJK}])[{separators}{invisible}]+(?=[{CJK}])|[{invisible}]+")
    return _Folds(characters=characters, steps=((spellings, spelled), (gaps, lambda match: "")))


def _alternation(keys) -> str:
    return "|".join(map(re.escape, sorted(keys, key=len, reverse=True)))


@cache
def _folds() -> _Folds:
    return _load(EVASIONS_FILE)


def _one_for_one(text: str) -> str:
    folded = text.translate(_folds().characters)   # width, case and look-alikes, all one for one
    simplified = _t2s.convert(folded)
    if len(simplified) == len(folded):
        return simplified
    # OpenCC converted a phrase into one of another length: convert character by character instead, keeping any
    # character whose conversion is not a single character.
    return "".join(single if len(single := _t2s.convert(char)) == 1 else char for char in folded)


def _apply(step: _Step, folded: Folded) -> Folded:
    pattern, replace = step
    text = folded.text
    match = pattern.search(text)
    if match is None:
        return folded
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    while match is not None:
        pieces.append(text[position:match.start()])
        starts += range(position, match.start())
        ends += range(position + 1, match.start() + 1)
        replacement = replace(match)
        pieces.append(replacement)
        starts += [match.start()] * len(replacement)
        ends += [match.end()] * len(replacement)
        position = match.end()
        match = pattern.search(text, position)
    pieces.append(text[position:])
    starts += range(position, len(text))
    ends += range(position + 1, len(text) + 1)
    if folded.starts is not None:   # compose with the earlier step's map
        starts = [folded.starts[i] for i in starts]
        ends = [folded.ends[i - 1] for i in ends]
    return Folded("".join(pieces), tuple(starts), tuple(ends))


def fold(text: str) -> Folded:
    """`text` in matching form, with the map back to `text`."""
    folded = Folded(_one_for_one(text))
    for step in _folds().steps:
        folded = _apply(step, folded)
    return folded


def matching_form(text: str) -> str:
    """`text` as the lexicon is written: Simplified, half-width, lower-case, evasions folded back."""
    return fold(text).text
