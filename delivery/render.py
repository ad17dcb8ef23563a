"""An alert, a group of alerts or a digest as a subject line, plain text and HTML, shared by e-mail and webhooks.

Everything in an alert may come from a crawled page (titles, review texts, shop names), so every value is
escaped in the HTML (`html.escape`, quotes included) and only http(s) evidence values become links. Subjects
are folded onto one line: a crawled line break must not end up in a mail header.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

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
    "action": "处理建议 (action)",
    "respond_by": "最晚回复时间 (respond by)",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_alert(alert: AlertRow, zone: tzinfo) -> Rendered:
    """One alert on its own (a critical alert sent at once)."""
    subject = _one_line(f"[{PRODUCT}][{_severity(alert.severity)}] {alert.title}")
    return Rendered(subject, _alert_text(alert, zone) + "\n", _page(subject, _alert_html(alert, zone)))


def render_group(alerts: Sequence[AlertRow], zone: tzinfo) -> Rendered:
    """The alerts of one group in one message: what happened to what in the subject, each alert with its
    evidence, and one action (the most severe alert's) with the earliest respond-by time among them."""
    ordered = _ordered(alerts)
    headline = _group_headline(ordered)
    subject = _one_line(f"[{PRODUCT}][{_severity(ordered[0].severity)}] {headline}")
    action = ordered[0].suggestion
    respond_by = min((when for alert in ordered if (when := _respond_by(alert)) is not None), default=None)
    lead_text, lead_html = [], []
    if action:
        lead_text.append(f"{GROUP_WORDING['action']}: {action}")
        lead_html.append(f"<p><b>{html.escape(GROUP_WORDING['action'])}:</b> {html.escape(action)}</p>")
    if respond_by is not None:
        lead_text.append(f"{GROUP_WORDING['respond_by']}: {_when(respond_by, zone)}")
        lead_html.append(f"<p><b>{html.escape(GROUP_WORDING['respond_by'])}:</b> "
                         f"{html.escape(_when(respond_by, zone))}</p>")
    separator = "\n" + "-" * 60 + "\n"
    text = "\n".join([subject, "", *lead_text, separator]) + separator.join(
        _alert_text(alert, zone, suggestion=alert.suggestion != action) for alert in ordered) + "\n"
    body = f"<h1 style=\"font-size:18px\">{html.escape(subject)}</h1>" + "".join(lead_html) + "".join(
        _alert_html(alert, zone, suggestion=alert.suggestion != action) for alert in ordered)
    return Rendered(subject, text, _page(subject, body))


def render_digest(alerts: Sequence[AlertRow], zone: tzinfo) -> Rendered:
    """Several alerts in one message, most severe first, counted by severity in the subject."""
    ordered = _ordered(alerts)
    counts = " · ".join(f"{_severity(level)} {count}" for level in _SEVERITY_ORDER
                        if (count := sum(a.severity == level for a in alerts)))
    subject = _one_line(f"[{PRODUCT}] 告警摘要: {len(alerts)} 条 ({counts})")
    separator = "\n" + "-" * 60 + "\n"
    text = f"{subject}\n\n" + separator.join(_alert_text(alert, zone) for alert in ordered) + "\n"
    body = f"<h1 style=\"font-size:18px\">{html.escape(subject)}</h1>" + "".join(
        _alert_html(alert, zone) for alert in ordered)
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
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:  # evidence is free-form: a value that is not a time is shown, not used
        return None


def _alert_text(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True) -> str:
    lines = [f"[{_severity(alert.severity)}] {_category(alert.category)} · {alert.title}"]
    if alert.subject:
        lines.append(f"对象 (subject): {alert.subject}")
    lines.append(f"时间 (raised): {_when(alert.created_at, zone)}")
    if alert.body:
        lines += ["", alert.body]
    if alert.evidence:
        lines += ["", "证据 (evidence):"] + [f"  {key}: {_value(value)}" for key, value in alert.evidence.items()]
    if alert.suggestion and suggestion:
        lines += ["", f"建议 (suggested action): {alert.suggestion}"]
    lines += ["", _footer(alert)]
    return "\n".join(lines)


def _alert_html(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True) -> str:
    colour = SEVERITY_COLOURS.get(alert.severity, "#344054")
    rows = []
    if alert.subject:
        rows.append(_row("对象", html.escape(alert.subject)))
    rows.append(_row("时间", html.escape(_when(alert.created_at, zone))))
    rows += [_row(html.escape(str(key)), _value_html(value)) for key, value in alert.evidence.items()]
    parts = [
        f"<div style=\"border-left:4px solid {colour};padding:8px 12px;margin:12px 0\">",
        f"<h2 style=\"font-size:16px;margin:0 0 6px\"><span style=\"color:{colour}\">"
        f"[{html.escape(_severity(alert.severity))}]</span> {html.escape(_category(alert.category))} · "
        f"{html.escape(alert.title)}</h2>",
    ]
    if alert.body:
        parts.append(f"<p style=\"white-space:pre-wrap\">{html.escape(alert.body)}</p>")
    parts.append(f"<table style=\"border-collapse:collapse\">{''.join(rows)}</table>")
    if alert.suggestion and suggestion:
        parts.append(f"<p><b>建议:</b> {html.escape(alert.suggestion)}</p>")
    parts.append(f"<p style=\"color:#667085;font-size:12px\">{html.escape(_footer(alert))}</p></div>")
    return "".join(parts)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body style=\"font-family:sans-serif\">{body}</body></html>\n")


def _row(label_html: str, value_html: str) -> str:
    return (f"<tr><th style=\"text-align:left;padding:2px 12px 2px 0;vertical-align:top\">{label_html}</th>"
            f"<td style=\"padding:2px 0\">{value_html}</td></tr>")


def _footer(alert: AlertRow) -> str:
    return f"告警 #{alert.id} · {alert.kind} · 确认 (acknowledge): python agent.py alerts ack {alert.id}"


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _value_html(value: Any) -> str:
    text = _value(value)
    if isinstance(value, str) and value.startswith(("http://", "https://")) and not any(c.isspace() for c in value):
        return f"<a href=\"{html.escape(value)}\">{html.escape(text)}</a>"
    return html.escape(text)


def _when(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone})"


def _severity(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


def _category(category: str | None) -> str:
    if category is None:
        return "其他"
    return CATEGORY_LABELS.get(category, category)


def _one_line(text: str) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= SUBJECT_LIMIT else folded[:SUBJECT_LIMIT - 1] + "…"
