"""One cycle of the whole pipeline, in the one direction data flows: crawl → store → analyse → monitor → deliver.

`agent.py scan`, the daemon's jobs and `make demo` all run cycles through `run_cycle`, so a one-off scan and the
server do exactly the same work. Each stage hands rows on through the store: the crawl commits as it goes (a
killed crawl keeps what it stored), analysis and monitors read what is stored, and alerts reach the outbox in
the store before anything is sent, so a crash between stages loses nothing and the next cycle picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from config import Config
from crawlers.run import CrawlPlan, CrawlResult, run_crawl
from delivery.outbox import DeliveryReport, deliver_pending
from i18n import _
from monitors.compliance import COMPETITOR_INSIGHT
from monitors.health import raise_health_alerts
from monitors.runner import MonitorReport, run_monitors
from nlp import insights
from nlp.analysis import AnalysisReport, analyse
from store import AlertRow, Store, open_store
from store.timestamps import Clock, utc_now

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    """What a cycle did, stage by stage (a stage that did not run is None)."""

    started_at: datetime
    crawl: CrawlResult | None = None
    analysis: AnalysisReport | None = None
    monitors: MonitorReport | None = None
    delivery: DeliveryReport | None = None
    alerts: list[AlertRow] = field(default_factory=list)  # the alerts this cycle raised
    health_alerts: list[int] = field(default_factory=list)  # of those, the crawl-health ones (monitors.health)

    def summary(self, store: Store, keywords: Sequence[str], *,
                alerts: Sequence[AlertRow] | None = None) -> dict[str, Any]:
        """What an operator reads after a cycle, as plain JSON: the top pain points of each keyword, the
        compliance violations found in own listings (alerts) and competitors' (insights), the alerts raised (this
        cycle's, or `alerts`) and where they went."""
        raised = [store.get_alert(alert.id) for alert in (self.alerts if alerts is None else alerts)]
        deliveries = {alert.id: store.deliveries(alert_id=alert.id) for alert in raised}
        return {
            "failed_platforms": self.failed_platforms,
            "analysis": None if self.analysis is None else asdict(self.analysis),
            "pain_points": {keyword: top_pain_points(store, keyword) for keyword in keywords},
            "compliance": compliance_findings(store, raised),
            "alerts": [{"id": alert.id, "severity": alert.severity, "category": alert.category, "kind": alert.kind,
                        "title": str(alert.title), "state": alert.state,
                        "deliveries": [{"to": d.destination, "channel": d.channel, "kind": d.kind, "state": d.state}
                                       for d in deliveries[alert.id]]} for alert in raised],
            "suppressed": 0 if self.monitors is None else self.monitors.suppressed,
            "monitor_errors": {} if self.monitors is None else self.monitors.errors,
            "delivery": None if self.delivery is None else {
                **{k: v for k, v in asdict(self.delivery).items() if k != "eml_paths"},
                "eml_paths": [str(path) for path in self.delivery.eml_paths]},
        }

    @property
    def failed_platforms(self) -> list[str]:
        if self.crawl is None:
            return []
        return sorted({key for run in self.crawl.runs for key, stats in (run.stats.get("platforms") or {}).items()
                       if stats.get("failed")})


def top_pain_points(store: Store, keyword: str, *, limit: int = 5) -> dict[str, Any] | None:
    """The keyword's competitor pain points from the analysis pass (nlp.insights), None before any analysis."""
    found = [i for i in store.insights(kind=insights.PAIN_POINTS) if i.subject == f"keyword:{keyword}"]
    if not found:
        return None
    detail = found[0].detail
    return {"negative_reviews": detail.get("negative_reviews", 0),
            "themes": [{"theme": t["theme"], "share": t["share"], "reviews": t["reviews"],
                        "example": t["examples"][0]["clause"] if t.get("examples") else None}
                       for t in detail.get("themes", [])[:limit]]}


def compliance_findings(store: Store, raised: Sequence[AlertRow]) -> dict[str, Any]:
    """Own listings' violations raised as alerts, and the competitor listings that breach the law (insights)."""
    own = [{"product_id": alert.subject, "title": alert.evidence.get("title"), "url": alert.evidence.get("url"),
            "violations": alert.evidence.get("violations", [])}
           for alert in raised if alert.category == "compliance"]
    competitors = [{"product_id": insight.product_id, "title": insight.detail.get("title"),
                    "url": insight.detail.get("url"), "shop": insight.detail.get("shop"),
                    "violations": insight.detail.get("violations", [])}
                   for insight in store.insights(kind=COMPETITOR_INSIGHT)]
    return {"own": own, "competitors": competitors}


def analyse_monitor_deliver(config: Config, report: CycleReport, *, send: bool = True, digests: bool = True,
                            flush: bool = True, now: datetime | None = None, clock: Clock = utc_now,
                            on_stage: Callable[[str], None] | None = None) -> CycleReport:
    """The stages after a crawl: analysis, monitors and (unless `send` is False) delivery of the outbox.

    `flush` sends alert groups without waiting for their group_wait and group_interval: right for a one-shot
    scan, which has raised everything it will; a daemon, which delivers again at its next job, passes False.
    Analysis and monitors date what they record by `now`, else by `clock` (the store's); delivery keeps real time
    unless `now` is given (see delivery.outbox.deliver_pending)."""
    stage = on_stage or (lambda name: None)
    with open_store(config.store.path, clock=clock) as store:
        stage(_("analysing reviews"))
        report.analysis = analyse(store, config, now=now)
        stage(_("running monitors"))
        report.monitors = run_monitors(store, config, now=now)
        report.alerts = [store.get_alert(alert_id) for alert_id in report.health_alerts + report.monitors.raised]
        if send:
            stage(_("delivering alerts"))
            report.delivery = deliver_pending(store, config, now=now, digests=digests, flush=flush)
    return report


def raise_crawl_health(config: Config, *, now: datetime | None = None, clock: Clock = utc_now) -> list[int]:
    """After a crawl: the crawl-health alerts (outages, blocked or changed pages; monitors.health), the same
    decision for a scan and for the daemon's jobs. Returns the new alert ids."""
    with open_store(config.store.path, clock=clock) as store:
        return raise_health_alerts(store, config, now=now)


def run_cycle(config_path: str | Path, config: Config, plan: CrawlPlan | None, *, send: bool = True,
              digests: bool = True, flush: bool = True, demo_urls: dict[str, str] | None = None,
              overrides: dict[str, Any] | None = None, now: datetime | None = None, clock: Clock = utc_now,
              on_event: Callable[[dict[str, Any]], None] | None = None,
              on_stage: Callable[[str], None] | None = None, redis_url: str | None = None) -> CycleReport:
    """Crawl `plan` (None: crawl nothing, only analyse, monitor and deliver), then run the later stages. With
    `redis_url` the crawl workers serving that Redis crawl, and this process stores what they find (coordinator).

    `config` is the file at `config_path` as loaded with `demo_urls` and `overrides`; the crawl's child process
    loads the same file with the same two, so both sides see one configuration. `clock` is the store's notion of
    now for every stage (the demo's simulated days; real time otherwise); `now`, when given, fixes it instead."""
    report = CycleReport(started_at=now or clock())
    if plan is not None:
        if on_stage:
            on_stage(_("crawling"))
        if redis_url:
            from coordinator import crawl_on_fleet

            report.crawl = crawl_on_fleet(config, plan, redis_url, on_event=on_event)
        else:
            report.crawl = run_crawl(config_path, plan, demo_urls=demo_urls, overrides=overrides, on_event=on_event,
                                     clock=clock)
        report.health_alerts = raise_crawl_health(config, now=now, clock=clock)
    return analyse_monitor_deliver(config, report, send=send, digests=digests, flush=flush, now=now, clock=clock,
                                   on_stage=on_stage)
