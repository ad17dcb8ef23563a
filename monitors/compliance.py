"""Advertising-Law compliance: find banned wording in listing titles and descriptions, and the monitor over the store.

`find_violations(text)` returns every breach with its span in the ORIGINAL text, category, rule id, severity,
legal basis and a suggested rewrite. How it works, once per process:

- The text is put in matching form (`monitors.lexicon.matching_form`: half-width, lower-case, Simplified), which
  keeps every offset, so Traditional or full-width listings match and spans still index the original.
- All literal terms of the lexicon, rules and exceptions alike, are in one Aho-Corasick automaton (pyahocorasick,
  C), which reports every occurrence, overlapping ones included, in one pass. All patterns (最 + adjective,
  N天瘦N斤 …) are joined into one compiled regex; exceptions come first in it, so at a position where an ordinary
  word (最大承重) and a rule (最大) both start, the regex reports the ordinary word.
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
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache

import ahocorasick

from config import SEVERITIES, ComplianceSeverity, Config
from monitors.findings import Findings, Insight
from monitors.lexicon import Lexicon, Rule, load_lexicon, matching_form
from store import AlertRecord, ProductRow, Store

FIELDS = ("title", "description")


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

    def candidates(self, folded: str) -> list[tuple[int, int, int, Rule | None]]:
        """(start, end, kind, rule) of every term occurrence and every pattern match start; rule None = exception."""
        found = [(end + 1 - length, end + 1, kind, rule)
                 for end, (length, kind, rule) in self.automaton.iter(folded)]
        if self.patterns is not None:
            match = self.patterns.search(folded)
            while match is not None:
                rule = self.pattern_owner[match.lastgroup]
                found.append((match.start(), match.end(), _PATTERN if rule else _EXCEPTION, rule))
                # Search again from the next character, not the match end: a longer candidate may start inside.
                match = self.patterns.search(folded, match.start() + 1)
        return found


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


def _severity_table(severities: Mapping[str, str] | ComplianceSeverity | None) -> Mapping[str, str]:
    table = (severities or ComplianceSeverity())
    table = table.model_dump() if isinstance(table, ComplianceSeverity) else table
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
    return Insight(kind="competitor_compliance", subject=str(product.id), platform=product.platform,
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
