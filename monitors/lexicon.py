"""The Advertising-Law lexicon (`monitors/data/ad_law_lexicon.toml`), loaded and checked once.

The file is data a compliance officer can review without reading code: each rule names its category, legal basis
and suggested rewrite, with either literal terms or one regular expression; exceptions list the ordinary words
(最近, 第一次, 最大承重 …) that must not trip the rules. `load_lexicon` refuses a file with any mistake in it (an
unknown category, a term not in matching form, a term claimed by two rules, a pattern that does not compile) and
says which rule is wrong, so a bad edit fails at start-up instead of silently missing violations.

Matching form, shared by the lexicon and the text it is matched against: full-width → half-width, ASCII
lower-case, Traditional → Simplified (OpenCC t2s). Every step maps one character to one character, so an offset
in the matching form is the same offset in the original text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import opencc

from config import ComplianceSeverity

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "ad_law_lexicon.toml"
CATEGORIES: tuple[str, ...] = tuple(ComplianceSeverity.model_fields)
"""absolute, medical, efficacy, comparison, qualification: exactly the keys of [thresholds.compliance.severity]."""

_FOLD = ({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
         | {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
         | {code: code - 0xFEE0 + 32 for code in range(0xFF21, 0xFF3B)})   # Ａ-Ｚ straight to a-z
_t2s = opencc.OpenCC("t2s")


def matching_form(text: str) -> str:
    """`text` half-width, ASCII lower-case and Simplified, with the same length and offsets as `text`."""
    folded = text.translate(_FOLD)
    simplified = _t2s.convert(folded)
    if len(simplified) == len(folded):
        return simplified
    # OpenCC converted a phrase into one of another length: convert character by character instead, keeping
    # any character whose conversion is not a single character.
    return "".join(single if len(single := _t2s.convert(char)) == 1 else char for char in folded)


class LexiconError(ValueError):
    """The lexicon file cannot be used; the message names the file and the rule or exception at fault."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    law: str
    suggestion: str
    terms: tuple[str, ...] = ()
    rewrites: Mapping[str, str] = field(default_factory=dict)   # term -> its own suggestion
    pattern: str | None = None

    def suggestion_for(self, term: str) -> str:
        return self.rewrites.get(term, self.suggestion)


@dataclass(frozen=True)
class ContextException:
    """Ordinary words that look like violations (最近, 第一次); a match of one shields what it covers."""

    id: str
    reason: str
    terms: tuple[str, ...] = ()
    pattern: str | None = None


@dataclass(frozen=True)
class Lexicon:
    rules: tuple[Rule, ...]
    exceptions: tuple[ContextException, ...]


_RULE_KEYS = {"id", "category", "law", "suggestion", "terms", "rewrites", "pattern"}
_EXCEPTION_KEYS = {"id", "reason", "terms", "pattern"}


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LexiconError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _terms(entry: dict, where: str) -> tuple[str, ...]:
    terms = entry.get("terms", [])
    if not isinstance(terms, list) or not all(isinstance(term, str) and term.strip() for term in terms):
        raise LexiconError(f"{where}: terms must be a list of non-empty strings")
    for term in terms:
        if matching_form(term) != term:
            raise LexiconError(f"{where}: term {term!r} is not in matching form (write it as "
                               f"{matching_form(term)!r}: Simplified, half-width, lower-case)")
    if len(set(terms)) != len(terms):
        raise LexiconError(f"{where}: a term is listed twice")
    return tuple(terms)


def _pattern(entry: dict, where: str) -> str | None:
    pattern = entry.get("pattern")
    if pattern is None:
        return None
    try:
        compiled = re.compile(_text(entry, "pattern", where))
    except re.error as exc:
        raise LexiconError(f"{where}: pattern does not compile: {exc}") from None
    if compiled.groups:
        raise LexiconError(f"{where}: pattern must not capture (use (?:...)); the engine numbers the rules itself")
    if compiled.match(""):
        raise LexiconError(f"{where}: pattern matches the empty string")
    return pattern


def _check_keys(entry: object, allowed: set[str], where: str) -> dict:
    if not isinstance(entry, dict):
        raise LexiconError(f"{where}: expected a table")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return entry


def _rule(entry: object, where: str) -> Rule:
    entry = _check_keys(entry, _RULE_KEYS, where)
    rule_id = _text(entry, "id", where)
    where = f"{where} ({rule_id})"
    category = _text(entry, "category", where)
    if category not in CATEGORIES:
        raise LexiconError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    terms, pattern = _terms(entry, where), _pattern(entry, where)
    if not terms and pattern is None:
        raise LexiconError(f"{where}: a rule needs terms or a pattern")
    rewrites = entry.get("rewrites", {})
    if not isinstance(rewrites, dict) or not all(isinstance(v, str) and v.strip() for v in rewrites.values()):
        raise LexiconError(f"{where}: rewrites must map terms to non-empty suggestions")
    strays = sorted(set(rewrites) - set(terms))
    if strays:
        raise LexiconError(f"{where}: rewrites for words that are not its terms: {', '.join(strays)}")
    return Rule(id=rule_id, category=category, law=_text(entry, "law", where),
                suggestion=_text(entry, "suggestion", where), terms=terms,
                rewrites=MappingProxyType(dict(rewrites)), pattern=pattern)


def _exception(entry: object, where: str) -> ContextException:
    entry = _check_keys(entry, _EXCEPTION_KEYS, where)
    exception_id = _text(entry, "id", where)
    where = f"{where} ({exception_id})"
    terms, pattern = _terms(entry, where), _pattern(entry, where)
    if not terms and pattern is None:
        raise LexiconError(f"{where}: an exception needs terms or a pattern")
    return ContextException(id=exception_id, reason=_text(entry, "reason", where), terms=terms, pattern=pattern)


def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The checked lexicon in `path` (default: the shipped one). Raises LexiconError naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read the lexicon: {exc}") from None
    unknown = sorted(set(data) - {"rule", "exception"})
    if unknown:
        raise LexiconError(f"{path}: unknown top-level key(s) {', '.join(unknown)}; expected [[rule]] and [[exception]]")
    rules = tuple(_rule(entry, f"{path}: rule[{i}]") for i, entry in enumerate(data.get("rule", [])))
    exceptions = tuple(_exception(entry, f"{path}: exception[{i}]")
                       for i, entry in enumerate(data.get("exception", [])))
    if not rules:
        raise LexiconError(f"{path}: no [[rule]] entries")
    ids: set[str] = set()
    owners: dict[str, str] = {}   # term -> the rule or exception listing it
    for entry in (*rules, *exceptions):
        if entry.id in ids:
            raise LexiconError(f"{path}: id {entry.id!r} is used twice")
        ids.add(entry.id)
        for term in entry.terms:
            if term in owners:
                raise LexiconError(f"{path}: term {term!r} is in both {owners[term]} and {entry.id}")
            owners[term] = entry.id
    return Lexicon(rules=rules, exceptions=exceptions)
