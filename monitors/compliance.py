"""Advertising-Law compliance: find banned wording in listing titles and descriptions, and the monitor over the store.

`find_violations(text, category=...)` returns every breach with its span in the ORIGINAL text, rule family, rule
id, tier on the listing's product category, legal basis and a suggested rewrite. How it works, once per process:

- The text is put in matching form (`monitors.normalise.fold`: half-width, lower-case, Simplified, evasions such
  as 最*佳, zui好, NO.1 and ① folded back, and the lexicon's own words spelled in pinyin or digits: wu残留,
  稳zhuan, baoguo, 0风险) with a map from matching-form offsets to the original's, so a span always marks what
  the seller wrote. The words are the terms and the strings the small finite stretches of the
  patterns match (保过班, 包过班 in '(?:保过|包过)班').
- All literal terms of the lexicon, rules and exceptions alike, are in one Aho-Corasick automaton (pyahocorasick,
  C), which reports every occurrence, overlapping ones included, in one pass.
- Patterns (最 + adjective, N天瘦N斤 …) are compiled once per product category (only the rules that apply to it)
  and indexed by the characters a match can start with, read from the parsed regex: one character class finds
  the positions where some pattern can start, and only the patterns starting with that character are tried
  there; where a start character is common (一, 不, a digit), the second character a match can have rules out
  most of its positions first. Every pattern that matches at a position is a candidate, so which of two
  overlapping patterns wins does not depend on their order in the files. A pattern whose start characters are
  unknown (a construct the reading does not know, a Python without `re._parser`) or too many is tried at every
  position: slower, same result.
- Overlaps are resolved by length: the longest candidate wins (全网最低价 over 最低价); at equal length an
  exception beats a rule (最近 is not 最 + adjective), a rule written for fewer product categories beats a more
  general one, then the higher tier wins, then a listed term beats a pattern (its rewrite is more specific). An
  exception shields only the families it names. Exceptions are dropped from the result.
- The operator's [compliance] dictionary (terms added with family and tier, terms allowed) is compiled into the
  same automaton, once per distinct dictionary.

Offsets are Python string indexes (code points), as in the demo marketplace's ground truth.

The monitor `run(store, config, now=...)` scans every stored product's title and description: an own listing with
breaches at or above `thresholds.compliance.alert_severity` becomes one alert (an event, raised once per distinct set
of breaches, so an edited listing alerts again and an unchanged one does not); a competitor's becomes a
`competitor_compliance` insight. Own products are checked as their configured `category`; a competitor as the
product category its marketplace category means (the breadcrumb or schema.org category the crawler stored, read
by monitors.product_categories), else as the category of the keyword it was found under when that is a product
category, else as `general`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache

import ahocorasick

from config import PRODUCT_CATEGORIES, SEVERITIES, ComplianceSettings, Config, at_least
from i18n import N_, Message
from monitors.findings import Findings, Insight, lines
from monitors.lexicon import EVERY_CATEGORY, ContextException, Lexicon, Rule, load_lexicon
from monitors.normalise import Spellings, fold, matching_form
from monitors.product_categories import product_category
from monitors.regex_reading import ANY, first_characters, literal_words, openings, required_characters
from store import AlertRecord, ProductRow, Store

FIELDS = ("title", "description")
FIELD_LABELS: dict[str, Message] = {"title": N_("listing title"), "description": N_("listing description")}
COMPETITOR_INSIGHT = "competitor_compliance"


@dataclass(frozen=True)
class Violation:
    match: str          # the offending text as written in the listing
    start: int          # span in the original text: text[start:end] == match
    end: int
    category: str       # the rule family: absolute | medical | … (config.FAMILIES)
    rule: str           # lexicon rule id, e.g. "absolute.superlative"
    severity: str       # info | warning | critical: the rule's tier on the listing's product category
    law: str            # legal basis, e.g. "《广告法》第九条第三项 …"
    suggestion: str     # suggested rewrite


def _words(lexicon: Lexicon) -> Iterator[str]:
    """The lexicon's words, for folding their pinyin spellings: every term, and the literal runs of the patterns."""
    for entry in (*lexicon.rules, *lexicon.exceptions):
        yield from entry.terms
        if entry.pattern is not None:
            yield from literal_words(entry.pattern)


@cache
def _screen(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of `patterns`: it matches at a position exactly when one of them does. None for fewer than
    two, or when they cannot be joined (a pattern with global inline flags): then each is tried on its own."""
    if len(patterns) < 2:
        return None
    try:
        return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    except re.error:
        return None


class _Patterns:
    """The patterns of the rules and exceptions that apply to one product category, indexed by the characters
    their matches can start with. At each position where some pattern can start, every such pattern is tried, so
    overlapping candidates from different rules all reach the resolution (longest wins) whatever their order."""

    def __init__(self, entries: list[tuple[str, Rule | frozenset[str]]], *, index: bool = True) -> None:
        self.by_start: dict[str, list[tuple[re.Pattern[str], Rule | frozenset[str]]]] = {}
        # (pattern, owner, a class of characters every match needs or None): tried at every position
        self.anywhere: list[tuple[re.Pattern[str], Rule | frozenset[str], re.Pattern[str] | None]] = []
        # start character -> the characters that can follow it in a match of one of its patterns; absent: any
        seconds: dict[str, set[str]] = {}
        unrestricted: set[str] = set()
        for pattern, owner in entries:
            compiled = re.compile(pattern)
            starts = first_characters(pattern) if index else None
            if starts is None:
                self.anywhere.append((compiled, owner, required_characters(pattern)))
                continue
            opened = openings(pattern)
            for char in starts:
                self.by_start.setdefault(char, []).append((compiled, owner))
                following = None if opened is None else {o[1:] for o in opened if o[0] in (char, ANY)}
                if following is None or "" in following or ANY in following:
                    unrestricted.add(char)
                else:
                    seconds.setdefault(char, set()).update(following)
        self.seconds = {char: frozenset(found) for char, found in seconds.items() if char not in unrestricted}
        members = "".join(map(re.escape, sorted(self.by_start)))
        self.starts = re.compile(f"[{members}]") if members else None
        # Most positions where a pattern can start hold no match of any: one alternation of a character's
        # patterns (`_screen`) rules out the position in one try instead of one try per pattern. Compiled when a
        # text first holds the character, and shared by the categories whose patterns there are the same.
        self.screened = {char: tuple(compiled.pattern for compiled, _ in candidates)
                         for char, candidates in self.by_start.items() if len(candidates) > 1}
        self.screens: dict[str, re.Pattern[str] | None] = {}

    def matches(self, folded: str) -> Iterator[tuple[re.Match[str], Rule | frozenset[str]]]:
        """Each pattern's match at each position it matches at, overlapping ones included."""
        if self.starts is not None:
            for start in self.starts.finditer(folded):
                char, at = start.group(), start.start()
                # A digit or 一 starts a pattern at most positions it is at: the next character rules most out.
                if char in self.seconds and folded[at + 1:at + 2] not in self.seconds[char]:
                    continue
                if char in self.screens:
                    screen = self.screens[char]
                else:
                    screen = self.screens[char] = _screen(self.screened.get(char, ()))
                if screen is not None and screen.match(folded, at) is None:
                    continue
                for compiled, owner in self.by_start[char]:
                    match = compiled.match(folded, at)
                    if match is not None:
                        yield match, owner
        for compiled, owner, required in self.anywhere:
            if required is not None and required.search(folded) is None:
                continue
            match = compiled.search(folded)
            while match is not None:
                yield match, owner
                match = compiled.search(folded, match.start() + 1)


# Tie-breaks at equal length: an exception shields, a listed term (specific rewrite) beats a pattern.
_EXCEPTION, _TERM, _PATTERN = 0, 1, 2

# A candidate: (start, end, kind, owner) in matching-form offsets; owner is the Rule, or for an exception the
# families it shields.
_Candidate = tuple[int, int, int, "Rule | frozenset[str]"]


class _Matcher:
    """The lexicon (plus a user dictionary) compiled: one automaton for the terms, the patterns indexed by their
    start characters once per product category."""

    def __init__(self, lexicon: Lexicon, added: tuple[Rule, ...] = (),
                 allowed: ContextException | None = None) -> None:
        self.lexicon = Lexicon(rules=lexicon.rules + added, exceptions=lexicon.exceptions)
        self.automaton = ahocorasick.Automaton()
        owners: dict[str, tuple[int, tuple]] = {}
        for exception in lexicon.exceptions:
            for term in exception.terms:
                owners[term] = (_EXCEPTION, (exception.families,))
        for rule in lexicon.rules:   # the loader allows a term in several rules on disjoint product categories
            for term in rule.terms:
                owners[term] = (_TERM, owners.get(term, (_TERM, ()))[1] + (rule,))
        # The operator's word is last: an added term replaces the lexicon's entry, an allowed term any entry.
        for rule in added:
            owners[rule.terms[0]] = (_TERM, (rule,))
        for term in allowed.terms if allowed else ():
            owners[term] = (_EXCEPTION, (allowed.families,))
        for term, (kind, entries) in owners.items():
            self.automaton.add_word(term, (len(term), kind, entries))
        if owners:
            self.automaton.make_automaton()
        self._patterns: dict[str, _Patterns] = {}
        self.index_starts = True
        self.spellings = Spellings(_words(self.lexicon))

    def patterns(self, category: str) -> _Patterns:
        """The patterns of the exceptions and of the rules that apply to listings of `category`."""
        if category not in self._patterns:
            applicable = [rule for rule in self.lexicon.rules if rule.severity_on(category)]
            self._patterns[category] = _Patterns(
                [(exception.pattern, exception.families) for exception in self.lexicon.exceptions
                 if exception.pattern is not None]
                + [(rule.pattern, rule) for rule in applicable if rule.pattern is not None],
                index=self.index_starts)
        return self._patterns[category]

    def candidates(self, folded: str, category: str) -> list[_Candidate]:
        """Every term occurrence and every pattern match start that applies to a listing of `category`."""
        found: list[_Candidate] = []
        if len(self.automaton):
            for end, (length, kind, entries) in self.automaton.iter(folded):
                if kind == _EXCEPTION:
                    found.append((end + 1 - length, end + 1, kind, entries[0]))
                    continue
                rule = next((rule for rule in entries if rule.severity_on(category)), None)
                if rule is not None:
                    found.append((end + 1 - length, end + 1, kind, rule))
        for match, owner in self.patterns(category).matches(folded):
            found.append((match.start(), match.end(), _PATTERN if isinstance(owner, Rule) else _EXCEPTION, owner))
        return found


def _user_entries(settings: ComplianceSettings) -> tuple[tuple[Rule, ...], ContextException | None]:
    """The operator's [compliance] dictionary as lexicon entries: added terms are rules, allowed terms shield every
    family."""
    added = tuple(
        Rule(id=f"{entry.family}.user_dictionary", family=entry.family, severity=entry.severity,
             law=f"用户词典（config [compliance] add，{entry.family}）", suggestion=entry.suggestion,
             terms=(matching_form(entry.term),),
             categories=frozenset(entry.categories) if entry.categories else EVERY_CATEGORY)
        for entry in settings.add)
    allowed = ContextException(id="user.allow", reason="config [compliance] allow",
                               terms=tuple(dict.fromkeys(matching_form(term) for term in settings.allow)))
    return added, allowed if settings.allow else None


@cache
def _matcher(settings: ComplianceSettings) -> _Matcher:
    return _Matcher(load_lexicon(), *_user_entries(settings))


def _resolve(candidates: list[_Candidate], length: int, category: str = "general") -> list[tuple[int, int, Rule]]:
    """Longest first, exceptions before rules at equal length. A rule is kept unless it overlaps a kept rule or an
    exception shielding its family that is at least as long; an exception is dropped when it overlaps a kept
    (longer) rule. Two rules on the same span: the one written for fewer product categories (the sector's own
    family: 第十六条 on a drug's endorsement, not the general one) wins, then the higher tier on the listing's
    `category` (a breach is not hidden by a platform-filter word on the same span), then a listed term over a
    pattern (its rewrite is more specific), then the rule id, so the result never depends on the order files are
    read in."""
    taken = bytearray(length)
    shields: dict[int, set[str]] = {}
    kept = []
    for start, end, kind, owner in sorted(candidates, key=lambda candidate: _precedence(candidate, category)):
        if any(taken[start:end]):
            continue
        if kind == _EXCEPTION:
            for position in range(start, end):
                shields.setdefault(position, set()).update(owner)
            continue
        if shields and any(owner.family in shields.get(position, ()) for position in range(start, end)):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append((start, end, owner))
    kept.sort(key=lambda span: span[0])
    return kept


def _precedence(candidate: _Candidate, category: str) -> tuple[int, bool, int, int, int, int, str]:
    start, end, kind, owner = candidate
    if kind == _EXCEPTION:
        return start - end, False, start, 0, 0, kind, ""
    tier = SEVERITIES.index(owner.severity_on(category) or owner.severity)
    return start - end, True, start, len(owner.categories), -tier, kind, owner.id


_NO_SETTINGS = ComplianceSettings()


def find_violations(text: str | None, *, category: str = "general",
                    settings: ComplianceSettings | None = None) -> list[Violation]:
    """Advertising-Law breaches in `text` on a listing of product `category`, in order of position.

    `settings` is the config's [compliance] dictionary (terms added, terms allowed); None: the shipped lexicon
    only. Each violation's severity is its rule's tier on `category`. Empty or None text has none."""
    if category not in EVERY_CATEGORY:
        raise ValueError(f"category must be one of {', '.join(PRODUCT_CATEGORIES)}, got {category!r}")
    if not text:
        return []
    matcher = _matcher(settings or _NO_SETTINGS)
    folded = fold(text, matcher.spellings)
    found = []
    for start, end, rule in _resolve(matcher.candidates(folded.text, category), len(folded.text), category):
        first, last = folded.span(start, end)
        found.append(Violation(match=text[first:last], start=first, end=last, category=rule.family, rule=rule.id,
                               severity=rule.severity_on(category), law=rule.law,
                               suggestion=rule.suggestion_for(folded.text[start:end])))
    return found


# ---------------------------------------------------------------------------------------------------------------
# The monitor


def _listing_violations(product: ProductRow, category: str, config: Config) -> list[dict]:
    """Every breach at or above the alerting tier in the product's title and description, each as evidence with
    the field it is in."""
    lowest = config.thresholds.compliance.alert_severity
    return [{"field": name, **asdict(violation)}
            for name in FIELDS
            for violation in find_violations(getattr(product, name), category=category, settings=config.compliance)
            if at_least(violation.severity, lowest)]


def _categories_of_own(config: Config) -> dict[tuple[str, str], str]:
    """(platform, URL) of each configured own product -> its product category."""
    return {(product.platform, config.own_product_url(product)): product.category for product in config.own_products}


def _categories_of_keywords(store: Store, config: Config) -> dict[int, str]:
    """Product id -> the product category of the keyword a search found it under, for the listings found under a
    keyword whose `category` is a product-category name ("food"; "camping" is a report label and says nothing).
    When several such keywords disagree, the first in config.toml's order wins: the operator lists a product's
    own keyword first more often than not, and a fixed rule keeps the verdict from changing between runs."""
    ranked = [(keyword.term, keyword.category) for keyword in config.keywords if keyword.category in EVERY_CATEGORY]
    return {product_id: next(category for term, category in ranked if term in keywords)
            for product_id, keywords in store.keywords_by_product().items()
            if any(term in keywords for term, _ in ranked)}


def _category(product: ProductRow, own_categories: Mapping[tuple[str, str], str],
              keyword_categories: Mapping[int, str]) -> str:
    """The config's category for an own product; else the one the marketplace's own category means (the crawled
    breadcrumb or schema.org category, monitors/data/product_categories.toml); else that of the keyword the
    listing was found under; else general."""
    configured = own_categories.get((product.platform, product.url)) if product.own else None
    return (configured or product_category(product.category) or keyword_categories.get(product.id)
            or "general")


def _fingerprint(found: list[dict]) -> str:
    """Changes when the listing's breaches change (an edit), not when the same listing is scanned again."""
    pairs = sorted({(v["rule"], v["match"]) for v in found})
    return hashlib.sha1(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _rewrites(found: list[dict]) -> str:
    lines = dict.fromkeys(f"{v['match']} → {v['suggestion']}" for v in found)   # ordered, no repeats
    return "；".join(lines)


def _own_alert(product: ProductRow, found: list[dict]) -> AlertRecord:
    name = product.title or product.url
    severity = max((v["severity"] for v in found), key=SEVERITIES.index)
    listing = lines(*(N_("- {field} [{start}:{end}] “{match}”: {family} ({rule}), {law}; suggestion: {suggestion}",
                         field=FIELD_LABELS[v["field"]], start=v["start"], end=v["end"], match=v["match"],
                         family=v["category"], rule=v["rule"], law=v["law"], suggestion=v["suggestion"])
                      for v in found))
    return AlertRecord(
        dedup_key=f"compliance:{product.id}:{_fingerprint(found)}", kind="compliance_violation",
        category="compliance", severity=severity, subject=str(product.id),
        title=N_("Advertising-Law breach in own listing ({count}): {name}", count=len(found), name=name),
        body=N_("{name} ({platform}) uses wording the Advertising Law forbids:\n{listing}\n{url}", name=name,
                platform=product.platform, listing=listing, url=product.url),
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url,
                  "title": product.title, "violations": found},
        suggestion=_rewrites(found))


def _competitor_insight(product: ProductRow, category: str, found: list[dict], severity: str,
                        now: datetime) -> Insight:
    return Insight(kind=COMPETITOR_INSIGHT, subject=str(product.id), platform=product.platform,
                   product_id=product.id,
                   detail={"severity": severity, "title": product.title, "url": product.url, "shop": product.shop,
                           "product_category": category, "categories": sorted({v["category"] for v in found}),
                           "violations": found, "checked_at": now.isoformat()})


def run(store: Store, config: Config, *, now: datetime) -> Findings:
    settings = config.thresholds.compliance
    own_categories = _categories_of_own(config)
    keyword_categories = _categories_of_keywords(store, config) if settings.scan_competitors else {}
    findings = Findings()
    if not (settings.scan_own or settings.scan_competitors):
        return findings
    if settings.scan_competitors:  # every competitor listing is checked: one no longer in breach loses its insight
        findings.complete_kinds.add(COMPETITOR_INSIGHT)
    for product in store.products():
        if not (settings.scan_own if product.own else settings.scan_competitors):
            continue
        category = _category(product, own_categories, keyword_categories)
        found = _listing_violations(product, category, config)
        if not found:
            continue
        if product.own:
            findings.events.append(_own_alert(product, found))
        else:
            findings.insights.append(_competitor_insight(product, category, found, settings.competitor_severity,
                                                         now))
    return findings
