"""The matching form of a text, shared by the lexicon and the listings matched against it, with a map back.

Four steps, the evasion data in `monitors/data/evasions.toml`:

1. One character for one: full-width → half-width, ASCII lower-case, Traditional → Simplified (OpenCC t2s) and
   the single-character look-alikes (蕞 → 最). Offsets do not move.
2. Spellings that change length: pinyin words (zui → 最, diyi → 第一), NO.1/TOP1/第1 → 第一, ⑩ → 10, homophone
   sequences (醉好 → 最好).
3. Separators between two Chinese characters dropped (最*佳, 最 佳), invisible characters dropped everywhere.
4. Only with a `Spellings` (built by the compliance engine from the lexicon's words): a word written partly or
   wholly in pinyin or digits (wu残留, jieyan神器, 稳zhuan, baoguo, 0风险) folded back to the word. Which
   characters a syllable stands for is read from the words themselves (zhuan is 赚 next to 稳 because 稳赚 is a
   lexicon word), with each character's readings from `monitors/data/pinyin.tsv` (scripts/pinyin_table.py).

Steps 2 to 4 run only when they find something (most titles need none), and then record, for every character of
their output, the span of input it came from; the maps compose, so `Folded.span` turns a span of the matching
form into the span of the ORIGINAL text that produced it (zui好 for 最好, wu for 无 in wu残留).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick
import opencc

from monitors.regex_reading import character_class, first_characters

EVASIONS_FILE = Path(__file__).resolve().parent / "data" / "evasions.toml"
PINYIN_FILE = Path(__file__).resolve().parent / "data" / "pinyin.tsv"
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
    spelled: _Step                           # spellings that change length (NO.1, zui, ⑩)
    spelled_starts: re.Pattern[str]          # the characters a spelling can start with
    gaps: _Step                              # separators and invisible characters, dropped


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
    starts = first_characters(spellings.pattern)
    return _Folds(characters=characters, spelled=(spellings, spelled),
                  # unknown first characters: every position may start a spelling
                  spelled_starts=(character_class([(ord(char), ord(char)) for char in starts]) if starts
                                  else re.compile(".", re.DOTALL)),
                  gaps=(gaps, lambda match: ""))


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


# A replacement: (start, end, output, where each output character came from relative to start, or None: the
# whole start:end).
_Replacement = tuple[int, int, str, tuple[tuple[int, int], ...] | None]


def _regex_step(step: _Step) -> Callable[[str], Iterator[_Replacement]]:
    pattern, replace = step

    def replacements(text: str) -> Iterator[_Replacement]:
        for match in pattern.finditer(text):
            yield match.start(), match.end(), replace(match), None
    return replacements


def _apply(replacements: Iterable[_Replacement], folded: Folded) -> Folded:
    """`folded` with the non-overlapping `replacements` (in order) made, its map composed with theirs."""
    text = folded.text
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for start, end, replacement, sources in replacements:
        pieces.append(text[position:start])
        starts += range(position, start)
        ends += range(position + 1, start + 1)
        pieces.append(replacement)
        if sources is None:
            starts += [start] * len(replacement)
            ends += [end] * len(replacement)
        else:
            starts += [start + first for first, _ in sources]
            ends += [start + last for _, last in sources]
        position = end
    if not pieces:
        return folded
    pieces.append(text[position:])
    starts += range(position, len(text))
    ends += range(position + 1, len(text) + 1)
    if folded.starts is not None:   # compose with the earlier step's map
        starts = [folded.starts[i] for i in starts]
        ends = [folded.ends[i - 1] for i in ends]
    return Folded("".join(pieces), tuple(starts), tuple(ends))


@cache
def _readings() -> Mapping[str, tuple[str, ...]]:
    """Each character's toneless pinyin readings, and the digit sellers write for each numeral (零 → 0)."""
    readings: dict[str, tuple[str, ...]] = {}
    for line in PINYIN_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, spelled = line.split("\t")
            readings[char] = tuple(spelled.split())
    for digit, numeral in enumerate(tomllib.loads(EVASIONS_FILE.read_text(encoding="utf-8"))["spelled"]["digits"]):
        readings[numeral] = readings.get(numeral, ()) + (str(digit),)
    return readings


MAX_SPELLED = 2
"""Sellers spell out one or two characters of a word (wu残留, 稳zhuan, jieyan神器) or a whole short word
(baoguo, up to MAX_WHOLLY_SPELLED characters); spelling every subset of every word would cost seconds at start-up
for spellings no one writes."""
MAX_WHOLLY_SPELLED = 4


def _spellings(word: str, readings: Mapping[str, tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    """`word` with one or two of its characters, or all of a short word's, written as one of their readings."""
    positions = range(len(word))
    chosen = [subset for size in range(1, MAX_SPELLED + 1) for subset in itertools.combinations(positions, size)]
    if MAX_SPELLED < len(word) <= MAX_WHOLLY_SPELLED:
        chosen.append(tuple(positions))
    for subset in chosen:
        options = [readings.get(char, ()) if at in subset else (char,) for at, char in enumerate(word)]
        yield from itertools.product(*options)

# Sellers spell the banned word itself (wu残留, jieyan神器), not a long phrase around it: spelling the lexicon's
# five- to eight-character phrases too doubled the table (300,000 spellings) and its build time at start-up, and
# found nothing more in the labelled sets.
_SPELLED_WORD = re.compile(f"[{CJK}]{{2,4}}")
_ALPHANUMERIC_RUN = re.compile("[a-z0-9]+")


class Spellings:
    """Words written partly or wholly in pinyin or digits (wu残留, jieyan, 稳zhuan, baoguo, 0风险), folded back to
    the words (`words` may repeat a word: how often it does decides shared spellings): every spelling of every word
    with at least one character spelled out, in one Aho-Corasick automaton. A spelled end must not run on into more
    letters or digits (wukong is not 无 + kong, 10风险 is not 零风险), and a word wholly in digits is not folded (12 is
    not 一二)."""

    def __init__(self, words: Iterable[str]) -> None:
        readings = _readings()
        uses = Counter(word for word in words if _SPELLED_WORD.fullmatch(word))
        # Where two words share a spelling (baoguo: 保过 and 爆果), it stands for the one the lexicon uses most.
        spelled: dict[str, tuple[int, str, tuple[tuple[int, int], ...]]] = {}
        for word, count in uses.items():
            for spelling in _spellings(word, readings):
                if all(piece.isdigit() for piece in spelling):
                    continue
                written = "".join(spelling)
                if written not in spelled or spelled[written][0] < count:
                    offsets = tuple(itertools.accumulate(map(len, spelling), initial=0))
                    spelled[written] = (count, word, tuple(zip(offsets, offsets[1:])))
        self.automaton = ahocorasick.Automaton()
        for written, (_, word, sources) in spelled.items():
            self.automaton.add_word(written, (word, sources))
        if spelled:
            self.automaton.make_automaton()

    def _matches(self, text: str) -> Iterator[tuple[int, tuple[str, tuple[tuple[int, int], ...]]]]:
        """The automaton's matches, searched only around the runs of letters and digits: every spelling holds one,
        with at most MAX_WHOLLY_SPELLED - 1 Chinese characters on either side (a title's 500ml is a short window,
        the rest of the title is not searched)."""
        margin = MAX_WHOLLY_SPELLED - 1
        window_start = window_end = -1
        for run in _ALPHANUMERIC_RUN.finditer(text):
            start, end = max(0, run.start() - margin), min(len(text), run.end() + margin)
            if start > window_end:
                if window_end > window_start:
                    yield from self.automaton.iter(text, window_start, window_end)
                window_start = start
            window_end = end
        if window_end > window_start:
            yield from self.automaton.iter(text, window_start, window_end)

    def replacements(self, text: str) -> Iterator[_Replacement]:
        """The spelled words in `text`, longest first where they overlap, left to right."""
        if not len(self.automaton):
            return
        found = []
        for last, (word, sources) in self._matches(text):
            end = last + 1
            start = end - sources[-1][1]
            if (start and text[start].isascii() and text[start - 1] in _RUNS_ON) or (
                    end < len(text) and text[end - 1].isascii() and text[end] in _RUNS_ON):
                continue
            found.append((start, end, word, sources))
        taken = -1
        for start, end, word, sources in sorted(found, key=lambda item: (item[0], item[0] - item[1])):
            if start >= taken:
                taken = end
                yield start, end, word, sources


_RUNS_ON = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.%")


def fold(text: str, spellings: Spellings | None = None) -> Folded:
    """`text` in matching form, with the map back to `text`; with `spellings`, its words written in pinyin or
    digits folded back too."""
    folds = _folds()
    folded = Folded(_one_for_one(text))
    # The spellings' alternation is slow to try at every position, and most titles hold none of its first
    # characters, or only late (500ml): it is searched from the first one.
    first = folds.spelled_starts.search(folded.text)
    if first is not None and folds.spelled[0].search(folded.text, first.start()) is not None:
        folded = _apply(_regex_step(folds.spelled)(folded.text), folded)
    if folds.gaps[0].search(folded.text) is not None:
        folded = _apply(_regex_step(folds.gaps)(folded.text), folded)
    if spellings is not None:
        folded = _apply(spellings.replacements(folded.text), folded)
    return folded


def matching_form(text: str) -> str:
    """`text` as the lexicon is written: Simplified, half-width, lower-case, evasions folded back."""
    return fold(text).text
