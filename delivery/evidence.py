"""An alert's evidence as rows a person reads: a Chinese label and a formatted value per key, formatted in one place.

The monitors write evidence as plain data (floats, ISO timestamps, lists, nested dicts); e-mails, webhooks and
their tests must not show it raw. Each key the monitors write has one entry in LABELS (tests/test_evidence.py
checks the monitors' source against it); a key without one still shows, under its own name.

The rules, applied everywhere:
- money: "¥1,299.00", no space after the sign; a band "¥69.00 – ¥99.00";
- percent: "12.5%" with no space, at most one decimal ("30%", not "30.0%"); a share (0.125) is shown the same way;
- scores to two decimals, stars as "2★";
- times in the operator's zone as "12-07 22:27", with the year in front when it is not the year of `this_year`;
- lists joined with "、", nested dicts and lists of dicts as indented sub-rows, empty values left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from formats import money

MONEY, BAND, PERCENT, SHARE, SCORE, STARS, TIME, URL, TEXT, LIST = (
    "money", "band", "percent", "share", "score", "stars", "time", "url", "text", "list")

# key -> (label, kind). Sub-keys of nested evidence (a PriceBand, a compliance violation, an insight's reference)
# share the table: a key means one thing wherever it appears.
LABELS: dict[str, tuple[str, str]] = {
    # the product and where it is sold
    "title": ("商品", TEXT),
    "product_id": ("商品 ID", TEXT),
    "platform": ("平台", TEXT),
    "url": ("商品链接", URL),
    "shop": ("店铺", TEXT),
    "keyword": ("关键词", TEXT),
    "insight_id": ("洞察 ID", TEXT),
    # own prices
    "price": ("当前价", MONEY),
    "previous_price": ("上次价格", MONEY),
    "cost": ("成本", MONEY),
    "band": ("价格区间", BAND),
    "observed_at": ("观测时间", TIME),
    # competitors' prices
    "own_product_id": ("我方商品 ID", TEXT),
    "own_url": ("我方商品链接", URL),
    "own_price": ("我方售价", MONEY),
    "competitor_product_id": ("竞品 ID", TEXT),
    "competitor_url": ("竞品链接", URL),
    "competitor_title": ("竞品", TEXT),
    "competitor_shop": ("竞品店铺", TEXT),
    "old_price": ("原价", MONEY),
    "new_price": ("现价", MONEY),
    "old_observed_at": ("原价观测时间", TIME),
    "new_observed_at": ("现价观测时间", TIME),
    "below_own": ("低于我方", SHARE),
    "rank": ("排名", TEXT),
    "before": ("变动前", TEXT),
    "after": ("变动后", TEXT),
    "count": ("商品数", TEXT),
    "min": ("最低价", MONEY),
    "p25": ("25% 分位价", MONEY),
    "median": ("中位价", MONEY),
    "p75": ("75% 分位价", MONEY),
    "max": ("最高价", MONEY),
    # reviews
    "review_id": ("评价 ID", TEXT),
    "text": ("评价内容", TEXT),
    "append": ("追评", TEXT),
    "rating": ("评分", STARS),
    "sentiment_score": ("情感得分", SCORE),
    "append_sentiment_score": ("追评情感得分", SCORE),
    "pain_points": ("痛点", LIST),
    "clauses": ("相关语句", LIST),
    "posted_at": ("评价时间", TIME),
    "crawled_at": ("抓取时间", TIME),
    "respond_by": ("应回复时间", TIME),
    "window": ("统计范围", TEXT),
    "reviews": ("评价数", TEXT),
    "negative": ("差评数", TEXT),
    "share": ("占比", SHARE),
    "baseline": ("此前占比", SHARE),
    "z": ("z 值", SCORE),
    "themes": ("主要问题 (条数)", TEXT),
    # opportunities (nlp.insights.record_opportunities)
    "theme": ("问题", TEXT),
    "theme_reviews": ("提及该问题的差评", TEXT),
    "negative_reviews": ("竞品差评数", TEXT),
    "low_price_listings": ("低价商品数", TEXT),
    "priced_listings": ("有价商品数", TEXT),
    "reference": ("参考价", TEXT),
    "basis": ("依据", TEXT),
    "own_band": ("我方价格区间", BAND),
    "price_band": ("竞品价格分布", TEXT),
    "suggested_price": ("建议价", MONEY),
    "competitor_median": ("竞品中位价", MONEY),
    "value_premium_pct": ("溢价", PERCENT),
    "examples": ("差评示例", LIST),
    "action": ("做法", TEXT),
    "thresholds": ("判定阈值", TEXT),
    "theme_share": ("问题占比阈值", SHARE),
    "low_price_share": ("低价占比阈值", SHARE),
    "min_reviews": ("最少差评数", TEXT),
    # stock
    "stock": ("库存", TEXT),
    "availability": ("供货状态", TEXT),
    "safety_stock": ("安全库存", TEXT),
    "warning_line": ("预警线", TEXT),
    "since": ("开始时间", TIME),
    "last_in_stock": ("最后有货时间", TIME),
    "last_stock": ("最后库存", TEXT),
    # compliance (one row group per monitors.compliance.Violation)
    "violations": ("违规用语", TEXT),
    "field": ("位置", TEXT),
    "match": ("用语", TEXT),
    "start": ("起始字符", TEXT),
    "end": ("结束字符", TEXT),
    "category": ("类别", TEXT),
    "rule": ("规则", TEXT),
    "severity": ("级别", TEXT),
    "law": ("法律依据", TEXT),
    "suggestion": ("改写建议", TEXT),
    # crawl health
    "failed_runs": ("连续失败次数", TEXT),
    "errors": ("错误 (次数)", TEXT),
    "state": ("页面状态", TEXT),
    "kinds": ("页面类型 (连续页数)", TEXT),
    "since_run": ("起始运行 ID", TEXT),
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
        label, kind = LABELS.get(key, (key, TEXT))
        if _is_url(value):
            links.append(Link(label, value))
        else:
            rows += _rows(label, kind, value, zone, this_year, 0)
    return Evidence(rows, links)


def percent(value: float) -> str:
    return f"{round(value, 1):g}%"


def when(moment: datetime, zone: tzinfo, this_year: int) -> str:
    local = moment.astimezone(zone)
    return f"{local:%m-%d %H:%M}" if local.year == this_year else f"{local:%Y-%m-%d %H:%M}"


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
        label, kind = LABELS.get(str(key), (str(key), TEXT))
        rows += _rows(label, kind, value, zone, this_year, level)
    return rows


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
    if kind == TIME and isinstance(value, str) and (moment := parse_time(value)) is not None:
        return when(moment, zone, this_year)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
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
        moment = datetime.fromisoformat(value)
    except ValueError:  # evidence is free-form: a value that is not a time is shown as written
        return None
    # The store keeps UTC; a time written without its offset came from there.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and not any(
        c.isspace() for c in value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | Mapping) and not value) or (
        isinstance(value, list | tuple) and all(_empty(item) for item in value))
