"""The HTML report: gather a period's facts from the store, render them into one self-contained file, save it.

    from reports import write_report
    path = write_report(store, config, days=7)        # var/reports/report-20261127-083000.html

Reports only read the store (never crawl, never analyse). Everything in them may come from a crawled page, so the
template engine escapes every value (autoescape), the page forbids scripts and remote content by its Content
Security Policy, and a product link is made only of an http(s) URL.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

import i18n
import labels
from config import Config
from formats import money
from reports.alertlog import AlertLine, alert_log
from reports.compliance import ComplianceSection, compliance_findings
from reports.header import Header, header
from reports.hotterms import PlatformTrends, hot_term_trends, signal_label
from reports.painpoints import PainScope, pain_scopes
from reports.period import Period
from reports.prices import KeywordPrices, ProductPrices, keyword_prices
from store import Store

FILE_PREFIX = "report-"
FILE_SUFFIX = ".html"


@dataclass(frozen=True)
class Report:
    """Everything one report shows."""

    generated_at: datetime
    period: Period
    zone: tzinfo
    header: Header
    keywords: list[KeywordPrices]
    ungrouped_own: list[ProductPrices]      # our products no keyword search of the period concerns
    pain_points: list[PainScope]
    hot_terms: list[PlatformTrends]
    compliance: ComplianceSection
    alerts: list[AlertLine]

    @property
    def empty(self) -> bool:
        return not (self.keywords or self.ungrouped_own or self.pain_points or self.hot_terms
                    or self.compliance.count or self.alerts)

    def section_counts(self) -> dict[str, int]:
        """How much each section holds, for `--json` and for scripts that check a report is worth sending."""
        charts = sum(len(group.charted) for group in self.keywords) + sum(bool(p.chart) for p in self.ungrouped_own)
        return {"keywords": len(self.keywords), "price_charts": charts,
                "pain_point_scopes": len(self.pain_points), "hot_term_platforms": len(self.hot_terms),
                "compliance_findings": self.compliance.count, "alerts": len(self.alerts),
                "crawl_runs": len(self.header.runs)}


def gather_report(store: Store, config: Config, *, days: int = 7, now: datetime | None = None) -> Report:
    """The facts of the `days` days up to `now` (default: the store's clock)."""
    moment = now or store.clock()
    period = Period.ending(moment, days)
    zone = config.schedule.tzinfo
    keywords, ungrouped_own = keyword_prices(store, period, zone)
    return Report(generated_at=moment, period=period, zone=zone, header=header(store, period), keywords=keywords,
                  ungrouped_own=ungrouped_own, pain_points=pain_scopes(store, period),
                  hot_terms=hot_term_trends(store, config, period), compliance=compliance_findings(store, period),
                  alerts=alert_log(store, period))


def render_report(report: Report) -> str:
    """The report as HTML in the current locale (i18n.use / using): its texts, `<html lang>` and numbers."""
    return _environment().get_template("report.html.j2").render(report=report,
                                                                html_lang=i18n.current().replace("_", "-"))


def build_report(store: Store, config: Config, *, days: int = 7, now: datetime | None = None) -> str:
    """The report of the `days` days up to `now` as one HTML document."""
    return render_report(gather_report(store, config, days=days, now=now))


def save_report(html: str, config: Config, *, at: datetime, output: Path | None = None) -> Path:
    """Write the HTML to `output`, or to the config's reports folder under a name with the local date and time;
    written to a temporary file and renamed, so a reader never sees half a report. Returns the path."""
    if output is None:
        stamp = at.astimezone(config.schedule.tzinfo).strftime("%Y%m%d-%H%M%S")
        output = config.paths.reports_dir / f"{FILE_PREFIX}{stamp}{FILE_SUFFIX}"
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".report-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output


def write_report(store: Store, config: Config, *, days: int = 7, now: datetime | None = None,
                 output: Path | None = None) -> Path:
    """Build the report and save it (see `save_report`); returns its path."""
    report = gather_report(store, config, days=days, now=now)
    return save_report(render_report(report), config, at=report.generated_at, output=output)


def latest_report(config: Config) -> Path | None:
    """The newest report in the config's reports folder, None when there is none (for the morning digest)."""
    folder = config.paths.reports_dir
    if not folder.is_dir():
        return None
    found = sorted(folder.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}"))
    return found[-1] if found else None


def web_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, else None: a hostile page's javascript: or data: URL never becomes
    a link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("reports", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(web_url=web_url, money=money, pct=_pct, local=_local, number=_number)
    environment.globals.update(_=i18n._, ngettext=i18n.ngettext, signal_label=signal_label, label=labels.label)
    return environment


def _pct(value: float | None, signed: bool = False) -> str:
    """A percentage (12.5, not 0.125) in the current locale; `signed` puts + before a rise."""
    if value is None:
        return "–"
    shown = i18n.percent(value / 100, digits=1)
    return f"+{shown}" if signed and value > 0 else shown


def _number(value: float, digits: int | None = None) -> str:
    return i18n.number(value, digits=digits)



def _local(moment: datetime | None, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return "–" if moment is None else moment.astimezone(zone).strftime(pattern)
