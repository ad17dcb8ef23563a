"""An alert's evidence as rows a person reads: a label in the reader's language (i18n) and a formatted value per key,
formatted in one place.

The monitors write evidence as plain data (floats, ISO timestamps, lists, nested dicts); e-mails, webhooks and
their tests must not show it raw. Each key the monitors write has one entry in LABELS (tests/test_evidence.py
checks the monitors' source against it); a key without one still shows, under its own name.

The rules, applied everywhere:
- money: "¥1,299.00", no space after the sign; a band "¥69.00 – ¥99.00";
- percent: "12.5%" with no space, at most one decimal ("30%", not "30.0%"); a share (0.125) is shown the same way;
- scores to two decimals, stars as "2★";
- times in the operator's zone as formats.moment writes them ("12-07 22:27", the year in front when it is not
  `this_year`);
- lists joined with "、", nested dicts and lists of dicts as indented sub-rows, empty values left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from formats import moment, money
from i18n import N_, Message, _

MONEY, BAND, PERCENT, SHARE, SCORE, STARS, TIME, URL, TEXT, LIST = (
    "money", "band", "percent", "share", "score", "stars", "time", "url", "text", "list")

# key -> (label, kind). Sub-keys of nested evidence (a PriceBand, a compliance violation, an insight's reference)
# share the table: a key means one thing wherever it appears.
LABELS: dict[str, tuple[Message, str]] = {
    # the product and where it is sold
    "title": (N_("Product"), TEXT),
    "product_id": (N_("Product ID"), TEXT),
    "platform": (N_("Platform"), TEXT),
    "url": (N_("Product link"), URL),
    "shop": (N_("Shop"), TEXT),
    "keyword": (N_("Keyword"), TEXT),
    "insight_id": (N_("Insight ID"), TEXT),
    # own prices
    "price": (N_("Current price"), MONEY),
    "previous_price": (N_("Previous price"), MONEY),
    "cost": (N_("Cost"), MONEY),
    "band": (N_("Price band"), BAND),
    "observed_at": (N_("Observed at"), TIME),
    # competitors' prices
    "own_product_id": (N_("Our product ID"), TEXT),
    "own_url": (N_("Our product link"), URL),
    "own_price": (N_("Our price"), MONEY),
    "competitor_product_id": (N_("Competitor ID"), TEXT),
    "competitor_url": (N_("Competitor link"), URL),
    "competitor_title": (N_("Competitor"), TEXT),
    "competitor_shop": (N_("Competitor shop"), TEXT),
    "old_price": (N_("Old price"), MONEY),
    "new_price": (N_("New price"), MONEY),
    "old_observed_at": (N_("Old price observed at"), TIME),
    "new_observed_at": (N_("New price observed at"), TIME),
    "below_own": (N_("Below ours"), SHARE),
    "rank": (N_("Rank"), TEXT),
    "before": (N_("Before"), TEXT),
    "after": (N_("After"), TEXT),
    "count": (N_("Listings"), TEXT),
    "min": (N_("Lowest price"), MONEY),
    "p25": (N_("25th percentile price"), MONEY),
    "median": (N_("Median price"), MONEY),
    "p75": (N_("75th percentile price"), MONEY),
    "max": (N_("Highest price"), MONEY),
    # reviews
    "review_id": (N_("Review ID"), TEXT),
    "text": (N_("Review"), TEXT),
    "append": (N_("Follow-up review"), TEXT),
    "rating": (N_("Rating"), STARS),
    "sentiment_score": (N_("Sentiment score"), SCORE),
    "append_sentiment_score": (N_("Follow-up sentiment score"), SCORE),
    "pain_points": (N_("Pain points"), LIST),
    "clauses": (N_("Related sentences"), LIST),
    "posted_at": (N_("Posted at"), TIME),
    "crawled_at": (N_("Crawled at"), TIME),
    "respond_by": (N_("Respond by"), TIME),
    "window_reviews": (N_("Window (latest reviews)"), TEXT),
    "window_hours": (N_("Window (hours)"), TEXT),
    "reviews": (N_("Reviews"), TEXT),
    "negative": (N_("Negative reviews"), TEXT),
    "share": (N_("Share"), SHARE),
    "baseline": (N_("Share before"), SHARE),
    "z": (N_("z score"), SCORE),
    "themes": (N_("Main problems (count)"), TEXT),
    # opportunities (nlp.insights.record_opportunities)
    "theme": (N_("Problem"), TEXT),
    "theme_reviews": (N_("Negative reviews naming it"), TEXT),
    "negative_reviews": (N_("Competitors' negative reviews"), TEXT),
    "low_price_listings": (N_("Low-priced listings"), TEXT),
    "priced_listings": (N_("Priced listings"), TEXT),
    "reference": (N_("Reference price"), TEXT),
    "basis": (N_("Basis"), TEXT),
    "own_band": (N_("Our price band"), BAND),
    "price_band": (N_("Competitors' price spread"), TEXT),
    "suggested_price": (N_("Suggested price"), MONEY),
    "competitor_median": (N_("Competitors' median price"), MONEY),
    "value_premium_pct": (N_("Premium"), PERCENT),
    "examples": (N_("Negative review examples"), LIST),
    "action": (N_("Approach"), TEXT),
    "thresholds": (N_("Thresholds"), TEXT),
    "theme_share": (N_("Problem share threshold"), SHARE),
    "low_price_share": (N_("Low-price share threshold"), SHARE),
    "min_reviews": (N_("Minimum negative reviews"), TEXT),
    # stock
    "stock": (N_("Stock"), TEXT),
    "availability": (N_("Availability"), TEXT),
    "safety_stock": (N_("Safety stock"), TEXT),
    "warning_line": (N_("Warning line"), TEXT),
    "since": (N_("Since"), TIME),
    "last_in_stock": (N_("Last in stock"), TIME),
    "last_stock": (N_("Last stock"), TEXT),
    # compliance (one row group per monitors.compliance.Violation)
    "violations": (N_("Forbidden wording"), TEXT),
    "field": (N_("Where"), TEXT),
    "match": (N_("Wording"), TEXT),
    "start": (N_("Start character"), TEXT),
    "end": (N_("End character"), TEXT),
    "category": (N_("Category"), TEXT),
    "rule": (N_("Rule"), TEXT),
    "severity": (N_("Severity"), TEXT),
    "law": (N_("Legal basis"), TEXT),
    "suggestion": (N_("Suggested rewrite"), TEXT),
    # crawl health
    "failed_runs": (N_("Failed runs in a row"), TEXT),
    "errors": (N_("Errors (count)"), TEXT),
    "state": (N_("Page state"), TEXT),
    "kinds": (N_("Page kinds (pages in a row)"), TEXT),
    "since_run": (N_("First run ID"), TEXT),
}

LIST_SEPARATOR = "、"


@dataclass(frozen=True)
class Row:
    """One line of the evidence table. `level` > 0 is a sub-row of the nearest row above with a lower level;
    `value` is empty on a row that only heads its sub-rows."""

    label: str
    value: str
    level: int = 0


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Evidence:
    rows: list[Row]
    links: list[Link]


def read_evidence(evidence: Mapping[str, Any], zone: tzinfo, this_year: int) -> Evidence:
    """The evidence's rows in the monitors' order, and its links apart (they go below the table)."""
    rows: list[Row] = []
    links: list[Link] = []
    for key, value in evidence.items():
        label, kind = _label(key)
        if _is_url(value):
            links.append(Link(label, value))
        else:
            rows += _rows(label, kind, value, zone, this_year, 0)
    return Evidence(rows, links)


def percent(value: float) -> str:
    return f"{round(value, 1):g}%"


def _rows(label: str, kind: str, value: Any, zone: tzinfo, this_year: int, level: int) -> list[Row]:
    if _empty(value):
        return []  # a missing price or an empty list says nothing to the reader
    if isinstance(value, Mapping):
        return [Row(label, "", level), *_sub_rows(value, zone, this_year, level + 1)]
    if isinstance(value, list | tuple) and any(isinstance(item, Mapping) for item in value):
        return [Row(label, "", level)] + [row for number, item in enumerate(value, 1)
                                          for row in _rows(f"{number}", TEXT, item, zone, this_year, level + 1)]
    text = _format(kind, value, zone, this_year)
    return [Row(label, text, level)] if text else []


def _sub_rows(values: Mapping[str, Any], zone: tzinfo, this_year: int, level: int) -> list[Row]:
    rows: list[Row] = []
    for key, value in values.items():
        label, kind = _label(str(key))
        rows += _rows(label, kind, value, zone, this_year, level)
    return rows


def _label(key: str) -> tuple[str, str]:
    """The key's label in the current language and its kind; a key without one shows under its own name."""
    if key not in LABELS:
        return key, TEXT
    label, kind = LABELS[key]
    return str(label), kind


def _format(kind: str, value: Any, zone: tzinfo, this_year: int) -> str:
    """The value as the reader should see it; a value that is not of its key's kind is shown as plain text."""
    number = _number(value)
    if kind == MONEY and number:
        return money(value)
    if kind == BAND and (band := _band(value)):
        return band
    if kind == PERCENT and number:
        return percent(value)
    if kind == SHARE and number:
        return percent(value * 100)
    if kind == SCORE and number:
        return f"{value:.2f}"
    if kind == STARS and number:
        return f"{value:g}★"
    if kind == TIME and isinstance(value, str) and (parsed := parse_time(value)) is not None:
        return moment(parsed, zone, this_year)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{round(value, 2):g}"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_text(item) for item in value if not _empty(item))
    return str(value)


def _band(value: Any) -> str | None:
    """A money band from [low, high], either end possibly unknown (a band with only a maximum); None if not one."""
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(end is None or _number(end) for end in value)):
        return None
    low, high = value
    if low is None or high is None:
        return f"≥ {money(low)}" if high is None else f"≤ {money(high)}"
    return f"{money(low)} – {money(high)}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_time(value: str) -> datetime | None:
    """An evidence time (ISO 8601) as an aware datetime; None when the value is not a time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # evidence is free-form: a value that is not a time is shown as written
        return None
    # The store keeps UTC; a time written without its offset came from there.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and not any(
        c.isspace() for c in value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | Mapping) and not value) or (
        isinstance(value, list | tuple) and all(_empty(item) for item in value))
