"""An alert, a group of alerts or a digest as a subject line, plain text and HTML, shared by e-mail and webhooks.

Each alert is one block, the same alone, in a group and in a digest, in both parts: a one-line summary (the kind
in Chinese, then the monitor's title), the action (建议), the evidence as a labelled table (delivery/evidence.py
formats every value), the links, then the footer with the ack command. Times are in the operator's zone, named
once at the end of the message.

Everything in an alert may come from a crawled page (titles, review texts, shop names), so every value is
escaped in the HTML (`html.escape`, quotes included) and only http(s) evidence values become links. Subjects
are folded onto one line: a crawled line break must not end up in a mail header.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from delivery import evidence
from store import AlertRow

PRODUCT = "ShopSentinel"
SEVERITY_LABELS = {"critical": "严重", "warning": "警告", "info": "提示"}
CATEGORY_LABELS = {"price": "价格", "review": "评价", "compliance": "合规", "stock": "库存", "system": "系统"}
SEVERITY_COLOURS = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}
_SEVERITY_ORDER = ("critical", "warning", "info")
SUBJECT_LIMIT = 160  # characters; long crawled titles are cut so the subject stays readable in a mail list

# The wording of group messages, kept together for the message catalogue to come.
GROUP_WORDING = {
    "negative_review": "{name} 新增 {count} 条差评",   # every alert of the group a new negative review
    "one_category": "{count} 条{category}告警: {name}",
    "mixed": "{count} 条告警: {name}",
    "several": "{name} 等",                          # the group's alerts are about several subjects
    "action": "建议",
    "respond_by": "应回复时间",
}

# What happened, by alert kind, ahead of the monitor's title in an alert's summary line.
KIND_LABELS = {
    "price_below_cost": "售价低于成本",
    "price_out_of_band": "售价超出价格区间",
    "competitor_undercut": "竞品低价",
    "competitor_price_move": "竞品调价",
    "band_shift": "竞品价格带变动",
    "negative_review": "新差评",
    "negative_surge": "差评激增",
    "opportunity": "差异化机会",
    "own_out_of_stock": "我方缺货",
    "own_low_stock": "我方库存不足",
    "competitor_out_of_stock": "竞品缺货",
    "compliance_violation": "广告法违规用语",
    "platform_unreachable": "平台无法访问",
    "page_blocked": "页面被拦截",
    "page_layout_changed": "页面结构变化",
}
SEPARATOR = "\n" + "-" * 60 + "\n"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_alert(alert: AlertRow, zone: tzinfo) -> Rendered:
    """One alert on its own (a critical alert sent at once)."""
    subject = _one_line(f"[{PRODUCT}][{_severity(alert.severity)}] {alert.title}")
    text = _alert_text(alert, zone) + "\n\n" + _zone_line(zone) + "\n"
    return Rendered(subject, text, _page(subject, _alert_html(alert, zone) + _zone_html(zone)))


def render_group(alerts: Sequence[AlertRow], zone: tzinfo) -> Rendered:
    """The alerts of one group in one message: what happened to what in the subject, one action (the most severe
    alert's) with the earliest respond-by time among them, then each alert's block."""
    ordered = _ordered(alerts)
    headline = _group_headline(ordered)
    subject = _one_line(f"[{PRODUCT}][{_severity(ordered[0].severity)}] {headline}")
    heading = _one_line(f"【{_severity(ordered[0].severity)}】{headline}")
    action = ordered[0].suggestion
    respond_by = min((when for alert in ordered if (when := _respond_by(alert)) is not None), default=None)
    lead = []
    if action:
        lead.append((GROUP_WORDING["action"], action))
    if respond_by is not None:
        lead.append((GROUP_WORDING["respond_by"], evidence.when(respond_by, zone, _this_year(ordered[0], zone))))
    blocks = [(alert, alert.suggestion != action) for alert in ordered]
    text = "\n".join([heading, *(f"{label}：{value}" for label, value in lead), SEPARATOR]) + SEPARATOR.join(
        _alert_text(alert, zone, suggestion=own) for alert, own in blocks) + "\n\n" + _zone_line(zone) + "\n"
    body = (_heading_html(heading) + "".join(f"<p><b>{html.escape(label)}：</b>{html.escape(value)}</p>"
                                             for label, value in lead)
            + "".join(_alert_html(alert, zone, suggestion=own) for alert, own in blocks) + _zone_html(zone))
    return Rendered(subject, text, _page(subject, body))


def render_digest(alerts: Sequence[AlertRow], zone: tzinfo) -> Rendered:
    """Several alerts in one message, most severe first, counted by severity in the subject."""
    ordered = _ordered(alerts)
    counts = " · ".join(f"{_severity(level)} {count}" for level in _SEVERITY_ORDER
                        if (count := sum(a.severity == level for a in alerts)))
    subject = _one_line(f"[{PRODUCT}] 告警摘要: {len(alerts)} 条 ({counts})")
    heading = f"告警摘要：{len(alerts)} 条（{counts}）"
    text = f"{heading}\n{SEPARATOR}" + SEPARATOR.join(_alert_text(alert, zone) for alert in ordered) + \
        "\n\n" + _zone_line(zone) + "\n"
    body = _heading_html(heading) + "".join(_alert_html(alert, zone) for alert in ordered) + _zone_html(zone)
    return Rendered(subject, text, _page(subject, body))


def _ordered(alerts: Sequence[AlertRow]) -> list[AlertRow]:
    """Most severe first, then in the order they were raised."""
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER.index(a.severity), a.created_at, a.id))


def _group_headline(alerts: Sequence[AlertRow]) -> str:
    names = list(dict.fromkeys(_subject_name(alert) for alert in alerts))
    name = names[0] if len(names) == 1 else GROUP_WORDING["several"].format(name=names[0])
    if all(alert.kind == "negative_review" for alert in alerts):
        return GROUP_WORDING["negative_review"].format(name=name, count=len(alerts))
    categories = {alert.category for alert in alerts}
    if len(categories) == 1:
        return GROUP_WORDING["one_category"].format(count=len(alerts), category=_category(alerts[0].category),
                                                    name=name)
    return GROUP_WORDING["mixed"].format(count=len(alerts), name=name)


def _subject_name(alert: AlertRow) -> str:
    """What an alert is about, as a reader knows it: the product's title when the evidence has it."""
    title = alert.evidence.get("title")
    return str(title) if title else (alert.subject or _category(alert.category))


def _respond_by(alert: AlertRow) -> datetime | None:
    value = alert.evidence.get("respond_by")
    return evidence.parse_time(value) if isinstance(value, str) else None


def _summary(alert: AlertRow) -> str:
    """What happened, in one line: the kind in Chinese, then the monitor's own title (crawled, so folded)."""
    what = KIND_LABELS.get(alert.kind, f"{_category(alert.category)}告警")
    return f"【{_severity(alert.severity)}】{what}：{' '.join(alert.title.split())}"


def _table(alert: AlertRow, zone: tzinfo) -> evidence.Evidence:
    """The alert's own facts (what it is about, when it was raised) above its evidence."""
    this_year = _this_year(alert, zone)
    read = evidence.read_evidence(alert.evidence, zone, this_year)
    rows = []
    if alert.subject and alert.subject != str(alert.evidence.get("product_id")):
        rows.append(evidence.Row("对象", alert.subject))
    rows.append(evidence.Row("告警时间", evidence.when(alert.created_at, zone, this_year)))
    return evidence.Evidence(rows + read.rows, read.links)


def _alert_text(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True) -> str:
    facts = _table(alert, zone)
    lines = [_summary(alert)]
    if alert.suggestion and suggestion:
        lines.append(f"建议：{alert.suggestion}")
    width = max(_width(row.label) + 2 * row.level for row in facts.rows)
    lines += [""] + [_text_row(row, width) for row in facts.rows]
    if alert.body:
        lines += ["", alert.body]
    if facts.links:
        lines += [""] + [f"{link.label}：{link.url}" for link in facts.links]
    lines += ["", _footer(alert)]
    return "\n".join(lines)


def _text_row(row: evidence.Row, width: int) -> str:
    """"label：value" with the values of a block aligned (a CJK character is two columns wide)."""
    indent = "  " * row.level
    if not row.value:
        return f"{indent}{row.label}："
    return f"{indent}{row.label}：{' ' * (width - _width(row.label) - 2 * row.level)}{row.value}"


def _alert_html(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True) -> str:
    colour = SEVERITY_COLOURS.get(alert.severity, "#344054")
    facts = _table(alert, zone)
    severity, _, rest = _summary(alert).partition("】")
    parts = [
        f"<div style=\"border-left:4px solid {colour};padding:8px 12px;margin:12px 0\">",
        (f"<h2 style=\"font-size:16px;margin:0 0 6px\"><span style=\"color:{colour}\">{html.escape(severity)}】"
         f"</span>{html.escape(rest)}</h2>"),
    ]
    if alert.suggestion and suggestion:
        parts.append(f"<p style=\"margin:6px 0\"><b>建议：</b>{html.escape(alert.suggestion)}</p>")
    parts.append(f"<table style=\"border-collapse:collapse;font-size:14px\">"
                 f"{''.join(_html_row(row) for row in facts.rows)}</table>")
    if alert.body:
        parts.append(f"<p style=\"white-space:pre-wrap;color:#475467;font-size:13px\">{html.escape(alert.body)}</p>")
    parts += [f"<p style=\"margin:4px 0\">{html.escape(link.label)}：<a href=\"{html.escape(link.url)}\">"
              f"{html.escape(link.url)}</a></p>" for link in facts.links]
    parts.append(f"<p style=\"color:#667085;font-size:12px\">{html.escape(_footer(alert))}</p></div>")
    return "".join(parts)


def _html_row(row: evidence.Row) -> str:
    return (f"<tr><th style=\"text-align:left;font-weight:normal;color:#475467;padding:2px 12px 2px "
            f"{12 * row.level}px;vertical-align:top;white-space:nowrap\">{html.escape(row.label)}</th>"
            f"<td style=\"padding:2px 0\">{html.escape(row.value)}</td></tr>")


def _heading_html(heading: str) -> str:
    return f"<h1 style=\"font-size:18px\">{html.escape(heading)}</h1>"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body style=\"font-family:sans-serif\">{body}</body></html>\n")


def _footer(alert: AlertRow) -> str:
    return f"告警 #{alert.id} · {alert.kind} · 确认告警：python agent.py alerts ack {alert.id}"


def _zone_line(zone: tzinfo) -> str:
    return f"时间均为 {zone} 时间。"


def _zone_html(zone: tzinfo) -> str:
    return f"<p style=\"color:#667085;font-size:12px\">{html.escape(_zone_line(zone))}</p>"


def _this_year(alert: AlertRow, zone: tzinfo) -> int:
    """The year times in the alert's block leave out: the one it was raised in, which is the reader's year
    unless the message is read long after (and rendering stays a function of the alert, without a clock)."""
    return alert.created_at.astimezone(zone).year


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _severity(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


def _category(category: str | None) -> str:
    if category is None:
        return "其他"
    return CATEGORY_LABELS.get(category, category)


def _one_line(text: str) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= SUBJECT_LIMIT else folded[:SUBJECT_LIMIT - 1] + "…"
