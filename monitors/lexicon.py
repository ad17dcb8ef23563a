"""The compliance lexicon (`monitors/data/lexicon/<family>.toml`, one file per rule family), loaded and checked once.

The files are data a compliance officer can review without reading code: each rule names its legal basis, tier
(critical | warning | info), suggested rewrite and the product categories it applies to, with either literal
terms or one regular expression; exceptions list the lawful wordings (最近, 第一次, 最大承重 …) that must not trip
the rules, with the reason. `load_lexicon` reads every `*.toml` in the directory and refuses any mistake (an
unknown key, a file whose rules belong to another family, an unknown tier or product category, a term not in
matching form, a term claimed by two rules whose product categories overlap, a pattern that does not compile or
captures), naming the file and the rule, so a bad edit fails at start-up instead of silently missing violations.

Terms and patterns are written in matching form (`monitors.normalise.matching_form`): Simplified, half-width,
lower-case, without the evasions sellers use (those are the normaliser's job, not the lexicon's).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from config import FAMILIES, PRODUCT_CATEGORIES, SEVERITIES
from monitors.normalise import matching_form

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "lexicon"
EVERY_CATEGORY = frozenset(PRODUCT_CATEGORIES)
EVERY_FAMILY = frozenset(FAMILIES)


class LexiconError(ValueError):
    """The lexicon cannot be used; the message names the file and the rule or exception at fault."""


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    law: str
    severity: str
    suggestion: str
    terms: tuple[str, ...] = ()
    rewrites: Mapping[str, str] = field(default_factory=dict)   # term -> its own suggestion
    pattern: str | None = None
    categories: frozenset[str] = EVERY_CATEGORY                  # the product categories it applies to
    severity_by_category: Mapping[str, str] = field(default_factory=dict)

    def suggestion_for(self, term: str) -> str:
        return self.rewrites.get(term, self.suggestion)

    def severity_on(self, category: str) -> str | None:
        """The tier of a hit on a listing of product `category`; None when the rule does not apply there."""
        if category not in self.categories:
            return None
        return self.severity_by_category.get(category, self.severity)


@dataclass(frozen=True)
class ContextException:
    """Lawful wording that looks like a violation (最近, 第一次); a match of one shields what it covers from the
    rules of `families`."""

    id: str
    reason: str
    terms: tuple[str, ...] = ()
    pattern: str | None = None
    families: frozenset[str] = EVERY_FAMILY


@dataclass(frozen=True)
class Lexicon:
    rules: tuple[Rule, ...]
    exceptions: tuple[ContextException, ...]


_RULE_KEYS = {"id", "law", "severity", "suggestion", "terms", "pattern", "rewrites", "categories", "not_categories",
              "severity_by_category"}
_EXCEPTION_KEYS = {"id", "reason", "terms", "pattern", "families"}


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LexiconError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _choices(entry: dict, key: str, allowed: frozenset[str], where: str) -> frozenset[str] | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise LexiconError(f"{where}: {key} must be a non-empty list of names")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise LexiconError(f"{where}: {key} has unknown name(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(allowed))}")
    return frozenset(value)


def _severity(value: object, where: str) -> str:
    if value not in SEVERITIES:
        raise LexiconError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value


def _terms(entry: dict, where: str) -> tuple[str, ...]:
    terms = entry.get("terms", [])
    if not isinstance(terms, list) or not all(isinstance(term, str) and term.strip() for term in terms):
        raise LexiconError(f"{where}: terms must be a list of non-empty strings")
    for term in terms:
        if matching_form(term) != term:
            raise LexiconError(f"{where}: term {term!r} is not in matching form (write it as "
                               f"{matching_form(term)!r}: Simplified, half-width, lower-case, no separators)")
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
        named = f"{where} ({entry['id']})" if isinstance(entry.get("id"), str) else where
        raise LexiconError(f"{named}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return entry


def _identity(entry: dict, family: str, where: str) -> tuple[str, str]:
    """The entry's id, checked to be `<family>.<name>`, and `where` with the id in it."""
    entry_id = _text(entry, "id", where)
    where = f"{where} ({entry_id})"
    if not re.fullmatch(rf"{re.escape(family)}\.[a-z0-9_]+", entry_id):
        raise LexiconError(f"{where}: id must be \"{family}.<name>\" (lower-case letters, digits, _): the file "
                           f"stem is the family")
    return entry_id, where


def _rule(entry: object, family: str, where: str) -> Rule:
    entry = _check_keys(entry, _RULE_KEYS, where)
    rule_id, where = _identity(entry, family, where)
    terms, pattern = _terms(entry, where), _pattern(entry, where)
    if not terms and pattern is None:
        raise LexiconError(f"{where}: a rule needs terms or a pattern")
    rewrites = entry.get("rewrites", {})
    if not isinstance(rewrites, dict) or not all(isinstance(v, str) and v.strip() for v in rewrites.values()):
        raise LexiconError(f"{where}: rewrites must map terms to non-empty suggestions")
    strays = sorted(set(rewrites) - set(terms))
    if strays:
        raise LexiconError(f"{where}: rewrites for words that are not its terms: {', '.join(strays)}")
    only = _choices(entry, "categories", EVERY_CATEGORY, where) or EVERY_CATEGORY
    never = _choices(entry, "not_categories", EVERY_CATEGORY, where) or frozenset()
    if not only - never:
        raise LexiconError(f"{where}: categories and not_categories leave no product category")
    by_category = entry.get("severity_by_category", {})
    if not isinstance(by_category, dict):
        raise LexiconError(f"{where}: severity_by_category must be a table of product category = tier")
    for category, tier in by_category.items():
        if category not in only - never:
            raise LexiconError(f"{where}: severity_by_category names {category!r}, which is not a product category "
                               f"the rule applies to")
        _severity(tier, f"{where}: severity_by_category.{category}")
    return Rule(id=rule_id, family=family, law=_text(entry, "law", where),
                severity=_severity(entry.get("severity"), where), suggestion=_text(entry, "suggestion", where),
                terms=terms, rewrites=MappingProxyType(dict(rewrites)), pattern=pattern, categories=only - never,
                severity_by_category=MappingProxyType(dict(by_category)))


def _exception(entry: object, family: str, where: str) -> ContextException:
    entry = _check_keys(entry, _EXCEPTION_KEYS, where)
    exception_id, where = _identity(entry, family, where)
    terms, pattern = _terms(entry, where), _pattern(entry, where)
    if not terms and pattern is None:
        raise LexiconError(f"{where}: an exception needs terms or a pattern")
    return ContextException(id=exception_id, reason=_text(entry, "reason", where), terms=terms, pattern=pattern,
                            families=_choices(entry, "families", EVERY_FAMILY, where) or EVERY_FAMILY)


def _load_file(path: Path) -> tuple[list[Rule], list[ContextException]]:
    family = path.stem
    if family not in EVERY_FAMILY:
        raise LexiconError(f"{path}: {family!r} is not a rule family (the file stem is the family); "
                           f"known: {', '.join(FAMILIES)}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read the lexicon: {exc}") from None
    unknown = sorted(set(data) - {"rule", "exception"})
    if unknown:
        raise LexiconError(f"{path}: unknown top-level key(s) {', '.join(unknown)}; expected [[rule]] and [[exception]]")
    rules = [_rule(entry, family, f"{path}: rule[{i}]") for i, entry in enumerate(data.get("rule", []))]
    exceptions = [_exception(entry, family, f"{path}: exception[{i}]")
                  for i, entry in enumerate(data.get("exception", []))]
    if not rules:
        raise LexiconError(f"{path}: no [[rule]] entries")
    return rules, exceptions


def _check_across(entries: list[tuple[Path, Rule | ContextException]]) -> None:
    """Ids unique; a term in two rules only on disjoint product categories; never in a rule and an exception."""
    ids: dict[str, Path] = {}
    owners: dict[str, list[tuple[Path, Rule | ContextException]]] = {}
    for path, entry in entries:
        if entry.id in ids:
            raise LexiconError(f"{path}: id {entry.id!r} is also used in {ids[entry.id]}")
        ids[entry.id] = path
        for term in entry.terms:
            for other_path, other in owners.get(term, []):
                clash = (not isinstance(entry, Rule) or not isinstance(other, Rule)
                         or entry.categories & other.categories)
                if clash:
                    shared = (f" on product categories {', '.join(sorted(entry.categories & other.categories))}"
                              if isinstance(entry, Rule) and isinstance(other, Rule) else "")
                    raise LexiconError(f"{path} ({entry.id}): term {term!r} is also in {other.id} ({other_path})"
                                       f"{shared}")
            owners.setdefault(term, []).append((path, entry))


def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """The checked lexicon of every `*.toml` in `directory` (default: the shipped one). Raises LexiconError naming
    the file and the rule at fault."""
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise LexiconError(f"{directory}: no lexicon files (*.toml)")
    rules: list[Rule] = []
    exceptions: list[ContextException] = []
    entries: list[tuple[Path, Rule | ContextException]] = []
    for path in paths:
        file_rules, file_exceptions = _load_file(path)
        rules += file_rules
        exceptions += file_exceptions
        entries += [(path, entry) for entry in (*file_rules, *file_exceptions)]
    _check_across(entries)
    return Lexicon(rules=tuple(rules), exceptions=tuple(exceptions))
