"""An alert, a group of alerts or a digest as a subject line, plain text and HTML, shared by e-mail and webhooks.

Each alert is one block, the same alone, in a group and in a digest, in both parts: a one-line summary (the kind,
then the monitor's title), the action (建议), the evidence as a labelled table (delivery/evidence.py formats every
value), the links, then the footer with the ack command. Times are in the operator's zone, named once at the end of
the message.

Every word is in the current language (i18n): the outbox renders each message with `i18n.using(config.locale)`, and
an alert's own title, body and suggestion are Messages translated as they are rendered here.

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

import i18n
from delivery import evidence
from formats import moment
from i18n import N_, _, ngettext
from labels import KIND, label
from store import AlertRow

PRODUCT = "ShopSentinel"
SEVERITY_COLOURS = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}
_SEVERITY_ORDER = ("critical", "warning", "info")
SUBJECT_LIMIT = 160  # characters; long crawled titles are cut so the subject stays readable in a mail list

ACTION = N_("Suggested action")
RESPOND_BY = N_("Respond by")

SEPARATOR = "\n" + "-" * 60 + "\n"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_alert(alert: AlertRow, zone: tzinfo, *, console: str = "") -> Rendered:
    """One alert on its own (a critical alert sent at once). With `console` (the operator console's base URL),
    each alert links to its page there, where it is acknowledged with one click."""
    subject = _one_line(f"[{PRODUCT}][{_severity(alert.severity)}] {alert.title}")
    text = _alert_text(alert, zone, console=console) + "\n\n" + _zone_line(zone) + "\n"
    return Rendered(subject, text, _page(subject, _alert_html(alert, zone, console=console) + _zone_html(zone)))


def render_group(alerts: Sequence[AlertRow], zone: tzinfo, *, console: str = "") -> Rendered:
    """The alerts of one group in one message: what happened to what in the subject, one action (the most severe
    alert's) with the earliest respond-by time among them, then each alert's block."""
    ordered = _ordered(alerts)
    headline = _group_headline(ordered)
    subject = _one_line(f"[{PRODUCT}][{_severity(ordered[0].severity)}] {headline}")
    heading = _one_line(_severity_mark(ordered[0].severity) + headline)
    action = ordered[0].suggestion
    respond_by = min((when for alert in ordered if (when := _respond_by(alert)) is not None), default=None)
    lead = []
    if action:
        lead.append((str(ACTION), str(action)))
    if respond_by is not None:
        lead.append((str(RESPOND_BY), moment(respond_by, zone, _this_year(ordered[0], zone))))
    blocks = [(alert, alert.suggestion != action) for alert in ordered]
    text = "\n".join([heading, *(_labelled(label) + value for label, value in lead), SEPARATOR]) + SEPARATOR.join(
        _alert_text(alert, zone, suggestion=own, console=console) for alert, own in blocks) + \
        "\n\n" + _zone_line(zone) + "\n"
    body = (_heading_html(heading) + "".join(f"<p><b>{html.escape(_labelled(label))}</b>{html.escape(value)}</p>"
                                             for label, value in lead)
            + "".join(_alert_html(alert, zone, suggestion=own, console=console) for alert, own in blocks)
            + _zone_html(zone))
    return Rendered(subject, text, _page(subject, body))


def render_digest(alerts: Sequence[AlertRow], zone: tzinfo, *, console: str = "") -> Rendered:
    """Several alerts in one message, most severe first, counted by severity in the subject."""
    ordered = _ordered(alerts)
    counts = " · ".join(f"{_severity(level)} {count}" for level in _SEVERITY_ORDER
                        if (count := sum(a.severity == level for a in alerts)))
    heading = ngettext("Alert digest: {n} alert ({counts})", "Alert digest: {n} alerts ({counts})", len(alerts),
                       counts=counts)
    subject = _one_line(f"[{PRODUCT}] {heading}")
    text = f"{heading}\n{SEPARATOR}" + SEPARATOR.join(_alert_text(alert, zone, console=console)
                                                      for alert in ordered) + "\n\n" + _zone_line(zone) + "\n"
    body = (_heading_html(heading) + "".join(_alert_html(alert, zone, console=console) for alert in ordered)
            + _zone_html(zone))
    return Rendered(subject, text, _page(subject, body))


def _ordered(alerts: Sequence[AlertRow]) -> list[AlertRow]:
    """Most severe first, then in the order they were raised."""
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER.index(a.severity), a.created_at, a.id))


def _group_headline(alerts: Sequence[AlertRow]) -> str:
    names = list(dict.fromkeys(_subject_name(alert) for alert in alerts))
    name = names[0] if len(names) == 1 else _("{name} and others", name=names[0])
    count = len(alerts)
    if all(alert.kind == "negative_review" for alert in alerts):
        return ngettext("{n} new negative review on {name}", "{n} new negative reviews on {name}", count, name=name)
    categories = {alert.category for alert in alerts}
    if len(categories) == 1:
        return ngettext("{n} {category} alert: {name}", "{n} {category} alerts: {name}", count,
                        category=_category(alerts[0].category), name=name)
    return ngettext("{n} alert: {name}", "{n} alerts: {name}", count, name=name)


def _subject_name(alert: AlertRow) -> str:
    """What an alert is about, as a reader knows it: the product's title when the evidence has it."""
    title = alert.evidence.get("title")
    return str(title) if title else (alert.subject or _category(alert.category))


def _respond_by(alert: AlertRow) -> datetime | None:
    value = alert.evidence.get("respond_by")
    return evidence.parse_time(value) if isinstance(value, str) else None


def _summary(alert: AlertRow) -> tuple[str, str]:
    """What happened, in one line, as its severity mark and the monitor's own title, which says it in a sentence
    (crawled names in it, so folded)."""
    return _severity_mark(alert.severity), " ".join(str(alert.title).split())


def _kind(alert: AlertRow) -> str:
    if alert.kind in KIND:
        return label(alert.kind, "kind")
    return _("{category} alert", category=_category(alert.category))


def _table(alert: AlertRow, zone: tzinfo, console: str = "") -> evidence.Evidence:
    """The alert's own facts (what it is about, when it was raised) above its evidence."""
    this_year = _this_year(alert, zone)
    read = evidence.read_evidence(alert.evidence, zone, this_year)
    rows = [evidence.Row(_("Kind"), _kind(alert))]
    if alert.subject and alert.subject != str(alert.evidence.get("product_id")):
        rows.append(evidence.Row(_("About"), alert.subject))
    rows.append(evidence.Row(_("Raised at"), moment(alert.created_at, zone, this_year)))
    links = read.links + ([evidence.Link(_("In the console"), f"{console.rstrip('/')}/alerts/{alert.id}")]
                          if console else [])
    return evidence.Evidence(rows + read.rows, links)


def _alert_text(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True, console: str = "") -> str:
    facts = _table(alert, zone, console)
    lines = ["".join(_summary(alert))]
    if alert.suggestion and suggestion:
        lines.append(_labelled(str(ACTION)) + str(alert.suggestion))
    width = max(_width(_labelled(row.label)) + 2 * row.level for row in facts.rows)
    lines += [""] + [_text_row(row, width) for row in facts.rows]
    if alert.body:
        lines += ["", str(alert.body)]
    if facts.links:
        lines += [""] + [_labelled(link.label) + link.url for link in facts.links]
    lines += ["", _footer(alert)]
    return "\n".join(lines)


def _labelled(label: str) -> str:
    """A label as it leads its value: "建议：" in Chinese, "Suggested action: " in English."""
    return _("{label}: ", label=label)


def _text_row(row: evidence.Row, width: int) -> str:
    """"label：value" with the values of a block aligned (a CJK character is two columns wide)."""
    indent = "  " * row.level
    if not row.value:
        return f"{indent}{_labelled(row.label).rstrip()}"
    lead = _labelled(row.label)
    return f"{indent}{lead}{' ' * (width - _width(lead) - 2 * row.level)}{row.value}"


def _alert_html(alert: AlertRow, zone: tzinfo, *, suggestion: bool = True, console: str = "") -> str:
    colour = SEVERITY_COLOURS.get(alert.severity, "#344054")
    facts = _table(alert, zone, console)
    severity, rest = _summary(alert)
    parts = [
        f"<div style=\"border-left:4px solid {colour};padding:8px 12px;margin:12px 0\">",
        (f"<h2 style=\"font-size:16px;margin:0 0 6px\"><span style=\"color:{colour}\">{html.escape(severity)}"
         f"</span>{html.escape(rest)}</h2>"),
    ]
    if alert.suggestion and suggestion:
        parts.append(f"<p style=\"margin:6px 0\"><b>{html.escape(_labelled(str(ACTION)))}</b>"
                     f"{html.escape(str(alert.suggestion))}</p>")
    parts.append(f"<table style=\"border-collapse:collapse;font-size:14px\">"
                 f"{''.join(_html_row(row) for row in facts.rows)}</table>")
    if alert.body:
        parts.append(f"<p style=\"white-space:pre-wrap;color:#475467;font-size:13px\">{html.escape(str(alert.body))}"
                     "</p>")
    parts += [f"<p style=\"margin:4px 0\">{html.escape(_labelled(link.label))}<a href=\"{html.escape(link.url)}\">"
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
    language = "zh-CN" if i18n.current() == "zh_CN" else i18n.current()
    return (f"<!DOCTYPE html><html lang=\"{language}\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body style=\"font-family:sans-serif\">{body}</body></html>\n")


def _footer(alert: AlertRow) -> str:
    return _("Alert #{id} · {kind} · acknowledge it: python agent.py alerts ack {id}", id=alert.id, kind=alert.kind)


def _zone_line(zone: tzinfo) -> str:
    return _("Times are in {zone} time.", zone=str(zone))


def _zone_html(zone: tzinfo) -> str:
    return f"<p style=\"color:#667085;font-size:12px\">{html.escape(_zone_line(zone))}</p>"


def _this_year(alert: AlertRow, zone: tzinfo) -> int:
    """The year times in the alert's block leave out: the one it was raised in, which is the reader's year
    unless the message is read long after (and rendering stays a function of the alert, without a clock)."""
    return alert.created_at.astimezone(zone).year


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _severity(severity: str) -> str:
    return label(severity, "severity")


def _severity_mark(severity: str) -> str:
    """The severity as it heads a line: "【严重】" in Chinese, "[critical] " in English."""
    return _("[{severity}] ", severity=_severity(severity))


def _category(category: str | None) -> str:
    if category is None:
        return _("other")
    return label(category, "category")


def _one_line(text: str) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= SUBJECT_LIMIT else folded[:SUBJECT_LIMIT - 1] + "…"
