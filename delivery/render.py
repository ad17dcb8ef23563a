"""An alert, or a digest of alerts, as a subject line, plain text and HTML, shared by e-mail and webhooks.

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


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_alert(alert: AlertRow, zone: tzinfo) -> Rendered:
    """One alert on its own (a critical alert sent at once)."""
    subject = _one_line(f"[{PRODUCT}][{_severity(alert.severity)}] {alert.title}")
    return Rendered(subject, _alert_text(alert, zone) + "\n", _page(subject, _alert_html(alert, zone)))


def render_digest(alerts: Sequence[AlertRow], zone: tzinfo) -> Rendered:
    """Several alerts in one message, most severe first, counted by severity in the subject."""
    ordered = sorted(alerts, key=lambda a: (_SEVERITY_ORDER.index(a.severity), a.created_at, a.id))
    counts = " · ".join(f"{_severity(level)} {count}" for level in _SEVERITY_ORDER
                        if (count := sum(a.severity == level for a in alerts)))
    subject = _one_line(f"[{PRODUCT}] 告警摘要: {len(alerts)} 条 ({counts})")
    separator = "\n" + "-" * 60 + "\n"
    text = f"{subject}\n\n" + separator.join(_alert_text(alert, zone) for alert in ordered) + "\n"
    body = f"<h1 style=\"font-size:18px\">{html.escape(subject)}</h1>" + "".join(
        _alert_html(alert, zone) for alert in ordered)
    return Rendered(subject, text, _page(subject, body))


def _alert_text(alert: AlertRow, zone: tzinfo) -> str:
    lines = [f"[{_severity(alert.severity)}] {_category(alert.category)} · {alert.title}"]
    if alert.subject:
        lines.append(f"对象 (subject): {alert.subject}")
    lines.append(f"时间 (raised): {_when(alert.created_at, zone)}")
    if alert.body:
        lines += ["", alert.body]
    if alert.evidence:
        lines += ["", "证据 (evidence):"] + [f"  {key}: {_value(value)}" for key, value in alert.evidence.items()]
    if alert.suggestion:
        lines += ["", f"建议 (suggested action): {alert.suggestion}"]
    lines += ["", _footer(alert)]
    return "\n".join(lines)


def _alert_html(alert: AlertRow, zone: tzinfo) -> str:
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
    if alert.suggestion:
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
