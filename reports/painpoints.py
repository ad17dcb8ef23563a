"""Pain-point shares per keyword and per own product, as the analysis pass last recorded them.

The analysis pass (nlp.analysis) keeps one `pain_points` insight per scope, current as of its last run: shares of
each theme among the scope's negative reviews, with example reviews. The report shows them as they stand and says
when they were computed, flagging ones older than the report's period; it never re-derives them, so the report
and the alerts always agree. A keyword's `opportunity` insight, when the playbook rule holds, is shown with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from nlp.insights import OPPORTUNITY, PAIN_POINTS
from reports.charts import Bar, share_bars
from reports.period import Period
from store import InsightRow, ProductRow, Store

MAX_THEMES = 8
MAX_EXAMPLES = 2
EXAMPLE_THEMES = 4
"""Themes whose example reviews are quoted: the top ones; the chart shows the rest."""


@dataclass(frozen=True)
class Example:
    clause: str
    text: str


@dataclass(frozen=True)
class Theme:
    theme: str
    reviews: int
    share: float
    examples: list[Example]


@dataclass(frozen=True)
class PainScope:
    """The pain points of a keyword's competitors or of one of our products."""

    kind: str                       # "keyword" or "product"
    name: str                       # the keyword, or the product's title
    product: ProductRow | None
    negative_reviews: int
    explained: int                  # negative reviews with at least one theme
    themes: list[Theme]             # the largest, at most MAX_THEMES
    quoted: list[Theme]             # the ones whose examples are shown
    other_complaints: list[str]     # labels of the clusters of complaints no theme explains
    analysed_at: datetime
    stale: bool                     # computed before the report's period began
    chart: Markup
    opportunity: str | None = None
    hidden_themes: int = 0          # themes beyond MAX_THEMES, not drawn


def pain_scopes(store: Store, period: Period) -> list[PainScope]:
    """Keywords (alphabetically), then our products (by id) that have negative reviews."""
    opportunities = {row.subject: row.detail.get("action") for row in store.insights(kind=OPPORTUNITY)}
    rows = store.insights(kind=PAIN_POINTS)
    keywords = sorted((row for row in rows if row.subject.startswith("keyword:")), key=lambda row: row.subject)
    product_rows = [row for row in rows if row.subject.startswith("product:") and row.product_id is not None]
    own = {p.id: p for p in store.products(own=True)}
    scopes = [_scope(row, "keyword", row.subject.removeprefix("keyword:"), None, period,
                     opportunities.get(row.subject)) for row in keywords]
    for row in sorted(product_rows, key=lambda row: row.product_id or 0):
        product = own.get(row.product_id or 0)
        if product is not None:
            scopes.append(_scope(row, "product", product.title or product.url, product, period, None))
    return scopes


def _scope(row: InsightRow, kind: str, name: str, product: ProductRow | None, period: Period,
           opportunity: Any) -> PainScope:
    detail = row.detail
    themes = [_theme(entry) for entry in detail.get("themes", []) if _is_theme(entry)]
    themes.sort(key=lambda theme: (-theme.share, theme.theme))
    shown = themes[:MAX_THEMES]
    quoted = shown[:EXAMPLE_THEMES]
    bars = [Bar(t.theme, t.share, f"{t.reviews}/{detail.get('negative_reviews', 0)}") for t in shown]
    return PainScope(kind=kind, name=name, product=product, negative_reviews=int(detail.get("negative_reviews", 0)),
                     explained=int(detail.get("explained", 0)), themes=shown, quoted=quoted,
                     other_complaints=[str(extra.get("label")) for extra in detail.get("extra_themes", [])
                                       if isinstance(extra, dict) and extra.get("label")],
                     analysed_at=row.last_seen, stale=row.last_seen < period.start, chart=share_bars(bars),
                     opportunity=str(opportunity) if opportunity else None, hidden_themes=len(themes) - len(shown))


def _is_theme(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("theme"), str)
            and isinstance(entry.get("share"), int | float) and isinstance(entry.get("reviews"), int))


def _theme(entry: dict[str, Any]) -> Theme:
    examples = [Example(str(example.get("clause") or ""), str(example.get("text") or ""))
                for example in entry.get("examples", [])[:MAX_EXAMPLES] if isinstance(example, dict)]
    return Theme(entry["theme"], entry["reviews"], float(entry["share"]), examples)
