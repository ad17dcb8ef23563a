"""Compliance findings of the period: Advertising-Law breaches in our listings (alerts of category "compliance")
and in competitors' (`competitor_compliance` insights), each shown in its text with the offending spans marked.

The monitor (monitors.compliance) records each violation with its field and span in the text it scanned. The
text is read back from the evidence when it carries it (the title), else from the stored product; a listing
edited since then no longer has the match at that span, so the match is looked for again and, when it is gone,
the violation is listed without a highlight rather than marking the wrong words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import SEVERITIES
from i18n import _
from monitors.compliance import COMPETITOR_INSIGHT as COMPETITOR_COMPLIANCE
from reports.period import Period
from store import ProductRow, Store

CONTEXT = 24
"""Characters kept either side of a span in a long text (a description), so a breach reads in its sentence."""
MAX_COMPETITOR_FINDINGS = 20
"""Competitors' breaches are intelligence, not the operator's risk: the most severe are listed, the rest counted."""


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class Violation:
    field: str
    match: str
    category: str
    rule: str
    law: str
    suggestion: str


@dataclass(frozen=True)
class Excerpt:
    """A field's text, cut around its breaches when long, as plain and marked segments."""

    field: str
    segments: list[Segment]


@dataclass(frozen=True)
class ComplianceSection:
    own: list[ComplianceFinding]
    competitors: list[ComplianceFinding]     # the MAX_COMPETITOR_FINDINGS most severe
    competitors_not_shown: int

    @property
    def count(self) -> int:
        return len(self.own) + len(self.competitors) + self.competitors_not_shown


@dataclass(frozen=True)
class ComplianceFinding:
    own: bool
    name: str
    url: str | None
    platform: str | None
    shop: str | None
    severity: str
    seen_at: datetime
    state: str | None             # the alert's state for our listings; None for competitors' (no alert)
    violations: list[Violation]
    excerpts: list[Excerpt]


def compliance_findings(store: Store, period: Period) -> ComplianceSection:
    """Our listings' breaches (newest alert first) and competitors' (most severe, then most breaches, first)."""
    alerts = [a for a in store.alerts_between(period.start, period.end) if a.category == "compliance"]
    insights = [row for row in store.insights(kind=COMPETITOR_COMPLIANCE) if period.covers(row.last_seen)]
    ids = {_product_id(alert.evidence, alert.subject) for alert in alerts} | {row.product_id for row in insights}
    products = store.products_by_id(pid for pid in ids if pid is not None)
    own = [_finding(alert.evidence, products.get(_product_id(alert.evidence, alert.subject) or 0), own=True,
                    severity=alert.severity, seen_at=alert.created_at, state=alert.state) for alert in alerts]
    rivals = [_finding(row.detail, products.get(row.product_id or 0), own=False,
                       severity=str(row.detail.get("severity", "info")), seen_at=row.last_seen, state=None)
              for row in insights]
    rivals.sort(key=lambda f: (_severity_rank(f.severity), -len(f.violations), f.name))
    return ComplianceSection(own, rivals[:MAX_COMPETITOR_FINDINGS], max(len(rivals) - MAX_COMPETITOR_FINDINGS, 0))


def _product_id(evidence: Mapping[str, Any], subject: str | None) -> int | None:
    found = evidence.get("product_id")
    if isinstance(found, int):
        return found
    return int(subject) if subject is not None and subject.isdigit() else None


def _severity_rank(severity: str) -> int:
    """0 for the most severe; an unknown severity after all known ones."""
    return len(SEVERITIES) - 1 - SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _finding(evidence: Mapping[str, Any], product: ProductRow | None, *, own: bool, severity: str,
             seen_at: datetime, state: str | None) -> ComplianceFinding:
    raw = [v for v in evidence.get("violations", []) if isinstance(v, dict) and isinstance(v.get("match"), str)]
    violations = [Violation(str(v.get("field", "title")), v["match"], str(v.get("category", "")),
                            str(v.get("rule", "")), str(v.get("law", "")), str(v.get("suggestion", ""))) for v in raw]
    title = evidence.get("title") or (product.title if product else None)
    excerpts = []
    for field in dict.fromkeys(v.field for v in violations):
        text = title if field == "title" else getattr(product, field, None) if product else None
        if isinstance(text, str) and text:
            spans = [_span(text, v) for v in raw if str(v.get("field", "title")) == field]
            excerpts.append(Excerpt(field, marked_segments(text, [s for s in spans if s is not None],
                                                           whole=field == "title")))
    return ComplianceFinding(own=own, name=str(title or (product.url if product else evidence.get("url", _("(listing no longer stored)")))),
                             url=str(evidence.get("url") or (product.url if product else "")) or None,
                             platform=evidence.get("platform") or (product.platform if product else None),
                             shop=evidence.get("shop") or (product.shop if product else None), severity=severity,
                             seen_at=seen_at, state=state, violations=violations, excerpts=excerpts)


def _span(text: str, violation: Mapping[str, Any]) -> tuple[int, int] | None:
    """Where the violation's match is in `text`: its recorded span if the text still has it there, else the
    first occurrence, else None."""
    match, start, end = violation["match"], violation.get("start"), violation.get("end")
    if isinstance(start, int) and isinstance(end, int) and text[start:end] == match:
        return start, end
    found = text.find(match)
    return (found, found + len(match)) if found >= 0 and match else None


def marked_segments(text: str, spans: Sequence[tuple[int, int]], *, whole: bool) -> list[Segment]:
    """`text` cut into plain and marked segments; unless `whole`, only CONTEXT characters around the spans are
    kept, the cuts shown as "…"."""
    ordered = sorted(set(spans))
    segments: list[Segment] = []
    position = 0
    for start, end in ordered:
        if start < position:
            continue
        before = text[position:start]
        if not whole and len(before) > CONTEXT * (1 if position == 0 else 2):
            before = ("…" + before[-CONTEXT:]) if position == 0 else before[:CONTEXT] + "…" + before[-CONTEXT:]
        if before:
            segments.append(Segment(before, False))
        segments.append(Segment(text[start:end], True))
        position = end
    rest = text[position:]
    if not whole and len(rest) > CONTEXT:
        rest = rest[:CONTEXT] + "…"
    if rest:
        segments.append(Segment(rest, False))
    return segments
