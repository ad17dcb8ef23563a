"""Advertising-Law compliance: find banned wording in listing titles and descriptions, and the monitor over the store.

`find_violations(text)` returns every breach with its span in the ORIGINAL text, category, rule id, severity,
legal basis and a suggested rewrite. How it works, once per process:

- The text is put in matching form (`monitors.lexicon.matching_form`: half-width, lower-case, Simplified), which
  keeps every offset, so Traditional or full-width listings match and spans still index the original.
- All literal terms of the lexicon, rules and exceptions alike, are in one Aho-Corasick automaton (pyahocorasick,
  C), which reports every occurrence, overlapping ones included, in one pass. All patterns (最 + adjective,
  N天瘦N斤 …) are joined into one compiled regex; exceptions come first in it, so at a position where an ordinary
  word (最大承重) and a rule (最大) both start, the regex reports the ordinary word.
- Python's regex engine tries every alternative at every position, which costs more than everything else put
  together; so the regex runs only where a pattern can start: the possible first characters of all patterns,
  read from the parsed regex, form one character class whose hits are the only positions tried. Should that
  reading fail (a construct it does not know, a Python without `re._parser`), every position is tried: slower,
  same result.
- Overlaps are resolved by length: the longest candidate wins (全网最低价 over 最低价); at equal length an
  exception beats a rule (最近 is not 最 + adjective) and a listed term beats a pattern (its rewrite is more
  specific). Winning exceptions are dropped from the result.

Offsets are Python string indexes (code points), as in the demo marketplace's ground truth.

The monitor `run(store, config, now=...)` scans every stored product's title and description: an own listing with
breaches becomes one alert (an event, raised once per distinct set of breaches, so an edited listing alerts again
and an unchanged one does not); a competitor's becomes a `competitor_compliance` insight.
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

try:   # the parser behind re.compile: private, hence the fallback in _first_characters
    from re import _constants as sre_constants, _parser as sre_parser
except ImportError:   # pragma: no cover (Python 3.11+ has them)
    sre_constants = sre_parser = None

from config import SEVERITIES, ComplianceSeverity, Config
from monitors.findings import Findings, Insight
from monitors.lexicon import Lexicon, Rule, load_lexicon, matching_form
from store import AlertRecord, ProductRow, Store

FIELDS = ("title", "description")
COMPETITOR_INSIGHT = "competitor_compliance"


@dataclass(frozen=True)
class Violation:
    match: str          # the offending text as written in the listing
    start: int          # span in the original text: text[start:end] == match
    end: int
    category: str       # absolute | medical | efficacy | comparison | qualification
    rule: str           # lexicon rule id, e.g. "absolute.superlative"
    severity: str       # info | warning | critical, from the category
    law: str            # legal basis, e.g. "《广告法》第九条第三项 …"
    suggestion: str     # suggested rewrite


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


def _first_characters(pattern: str) -> re.Pattern[str] | None:
    """A character class of every character a match of `pattern` can start with; None when unknown."""
    if sre_parser is None:
        return None
    try:
        ranges, nullable = _first_of(sre_parser.parse(pattern).data)
    except (_UnknownStart, AttributeError, TypeError, ValueError):
        return None
    if nullable:
        return None
    members = (re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
               for low, high in sorted(set(ranges)))
    return re.compile(f"[{''.join(members)}]")


# Tie-breaks at equal length: an exception shields, a listed term (specific rewrite) beats a pattern.
_EXCEPTION, _TERM, _PATTERN = 0, 1, 2


class _Matcher:
    """The lexicon compiled: one automaton for the terms, one regex for the patterns."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.automaton = ahocorasick.Automaton()
        for entry in (*lexicon.exceptions, *lexicon.rules):
            kind = _TERM if isinstance(entry, Rule) else _EXCEPTION
            for term in entry.terms:
                self.automaton.add_word(term, (len(term), kind, entry if kind == _TERM else None))
        self.automaton.make_automaton()
        self.pattern_owner: dict[str, Rule | None] = {}
        alternatives = []
        for entry in (*lexicon.exceptions, *lexicon.rules):   # exceptions first: see the module docstring
            if entry.pattern is not None:
                name = f"p{len(alternatives)}"
                self.pattern_owner[name] = entry if isinstance(entry, Rule) else None
                alternatives.append(f"(?P<{name}>{entry.pattern})")
        self.patterns = re.compile("|".join(alternatives)) if alternatives else None
        self.starts = _first_characters(self.patterns.pattern) if self.patterns else None

    def candidates(self, folded: str) -> list[tuple[int, int, int, Rule | None]]:
        """(start, end, kind, rule) of every term occurrence and every pattern match start; rule None = exception."""
        found = [(end + 1 - length, end + 1, kind, rule)
                 for end, (length, kind, rule) in self.automaton.iter(folded)]
        for match in self._pattern_matches(folded):
            rule = self.pattern_owner[match.lastgroup]
            found.append((match.start(), match.end(), _PATTERN if rule else _EXCEPTION, rule))
        return found

    def _pattern_matches(self, folded: str) -> Iterator[re.Match[str]]:
        """At most one match per start position, overlapping ones included (a longer candidate may start
        inside a match)."""
        if self.patterns is None:
            return
        if self.starts is not None:
            for start in self.starts.finditer(folded):
                match = self.patterns.match(folded, start.start())
                if match is not None:
                    yield match
            return
        match = self.patterns.search(folded)
        while match is not None:
            yield match
            match = self.patterns.search(folded, match.start() + 1)


@cache
def _default_matcher() -> _Matcher:
    return _Matcher(load_lexicon())


def _resolve(candidates: list[tuple[int, int, int, Rule | None]], length: int) -> list[tuple[int, int, Rule]]:
    """Longest first, exceptions before terms before patterns at equal length; keep what overlaps nothing kept."""
    taken = bytearray(length)
    kept = []
    for start, end, _, rule in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        if rule is not None:
            kept.append((start, end, rule))
    kept.sort(key=lambda span: span[0])
    return kept


_DEFAULT_SEVERITIES = ComplianceSeverity().model_dump()


def _severity_table(severities: Mapping[str, str] | ComplianceSeverity | None) -> Mapping[str, str]:
    if severities is None:
        return _DEFAULT_SEVERITIES
    table = severities.model_dump() if isinstance(severities, ComplianceSeverity) else severities
    for category in ComplianceSeverity.model_fields:
        if table.get(category) not in SEVERITIES:
            raise ValueError(f"severities[{category!r}] must be one of {', '.join(SEVERITIES)}, "
                             f"got {table.get(category)!r}")
    return table


def find_violations(text: str | None, *,
                    severities: Mapping[str, str] | ComplianceSeverity | None = None) -> list[Violation]:
    """Advertising-Law breaches in `text`, in order of position.

    `severities` maps each category to info/warning/critical (config.thresholds.compliance.severity; default:
    the config's defaults). Empty or None text has none."""
    table = _severity_table(severities)
    if not text:
        return []
    folded = matching_form(text)
    matcher = _default_matcher()
    return [Violation(match=text[start:end], start=start, end=end, category=rule.category, rule=rule.id,
                      severity=table[rule.category], law=rule.law,
                      suggestion=rule.suggestion_for(folded[start:end]))
            for start, end, rule in _resolve(matcher.candidates(folded), len(folded))]


# ---------------------------------------------------------------------------------------------------------------
# The monitor


def _listing_violations(product: ProductRow, severities: Mapping[str, str]) -> list[dict]:
    """Every breach in the product's title and description, each as evidence with the field it is in."""
    return [{"field": name, **asdict(violation)}
            for name in FIELDS
            for violation in find_violations(getattr(product, name), severities=severities)]


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
    listing = "\n".join(f"- {v['field']} [{v['start']}:{v['end']}] “{v['match']}”: {v['category']} ({v['rule']}), "
                        f"{v['law']}; suggestion: {v['suggestion']}" for v in found)
    return AlertRecord(
        dedup_key=f"compliance:{product.id}:{_fingerprint(found)}", kind="compliance_violation",
        category="compliance", severity=severity, subject=str(product.id),
        title=f"Advertising-Law breach in own listing ({len(found)}): {name}",
        body=f"{name} ({product.platform}) uses wording the Advertising Law forbids:\n{listing}\n{product.url}",
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url,
                  "title": product.title, "violations": found},
        suggestion=_rewrites(found))


def _competitor_insight(product: ProductRow, found: list[dict], severity: str, now: datetime) -> Insight:
    return Insight(kind=COMPETITOR_INSIGHT, subject=str(product.id), platform=product.platform,
                   product_id=product.id,
                   detail={"severity": severity, "title": product.title, "url": product.url, "shop": product.shop,
                           "categories": sorted({v["category"] for v in found}), "violations": found,
                           "checked_at": now.isoformat()})


def run(store: Store, config: Config, *, now: datetime) -> Findings:
    settings = config.thresholds.compliance
    severities = settings.severity.model_dump()
    findings = Findings()
    if not (settings.scan_own or settings.scan_competitors):
        return findings
    if settings.scan_competitors:  # every competitor listing is checked: one no longer in breach loses its insight
        findings.complete_kinds.add(COMPETITOR_INSIGHT)
    for product in store.products():
        if not (settings.scan_own if product.own else settings.scan_competitors):
            continue
        found = _listing_violations(product, severities)
        if not found:
            continue
        if product.own:
            findings.events.append(_own_alert(product, found))
        else:
            findings.insights.append(_competitor_insight(product, found, settings.competitor_severity, now))
    return findings
