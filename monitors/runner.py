"""Runs every monitor over the store and writes what they found: alerts through the dedup key and cooldown,
insights by (kind, subject). A monitor that fails is reported and the others still run: a bug in one rule must
not silence the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from config import Config
from monitors import compliance, price, reviews, stock
from monitors.findings import Findings
from store import Store

log = logging.getLogger(__name__)

Monitor = Callable[..., Findings]
MONITORS: dict[str, Monitor] = {"price": price.run, "reviews": reviews.run, "stock": stock.run,
                                "compliance": compliance.run}


@dataclass
class MonitorReport:
    raised: list[int] = field(default_factory=list)     # ids of the alerts stored by this run
    suppressed: int = 0                                 # found again within their cooldown (or once-only)
    insights: int = 0
    insights_retired: int = 0                           # no longer found by a monitor that looked everywhere
    errors: dict[str, str] = field(default_factory=dict)  # monitor name -> what went wrong

    def to_json(self) -> dict:
        return {"raised": self.raised, "suppressed": self.suppressed, "insights": self.insights,
                "insights_retired": self.insights_retired, "errors": self.errors}


def record(store: Store, config: Config, findings: Findings, *, now: datetime, report: MonitorReport) -> None:
    """Write one monitor's findings: conditions with the cooldown, events once, insights refreshed (and those of
    its complete kinds not found again deleted), and its watermarks advanced, all in one transaction: killed
    before the commit, the monitor judges the same facts again next time; after it, it never raises them twice."""
    with store.transaction():
        for alerts, once in ((findings.alerts, False), (findings.events, True)):
            for alert in alerts:
                alert_id = store.raise_alert(alert, cooldown=config.alerts.cooldown, once=once, now=now)
                if alert_id is None:
                    report.suppressed += 1
                else:
                    report.raised.append(alert_id)
        for insight in findings.insights:
            store.upsert_insight(insight.kind, insight.subject, dict(insight.detail), platform=insight.platform,
                                 keyword=insight.keyword, product_id=insight.product_id, seen_at=now)
            report.insights += 1
        if findings.complete_kinds:
            report.insights_retired += store.retire_insights(findings.complete_kinds, seen_at=now)
        for (monitor, facts), evaluated_to in findings.watermarks.items():
            store.advance_watermark(monitor, facts, evaluated_to)


def run_monitors(store: Store, config: Config, *, now: datetime | None = None,
                 only: Sequence[str] | None = None) -> MonitorReport:
    """Run the monitors (all, or those named in `only`) and store their alerts and insights."""
    moment = now or store.clock()
    report = MonitorReport()
    for name, monitor in MONITORS.items():
        if only is not None and name not in only:
            continue
        try:
            findings = monitor(store, config, now=moment)
        except Exception as error:  # noqa: BLE001 - one rule's bug must not silence the others
            log.exception("monitor %s failed", name)
            report.errors[name] = f"{type(error).__name__}: {error}"
            continue
        record(store, config, findings, now=moment, report=report)
    return report
