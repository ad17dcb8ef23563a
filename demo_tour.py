"""The demo's main job (`make demo`, `agent.py demo`): the whole pipeline on the embedded demo marketplace.

It starts the marketplace and runs one cycle per step of TOUR_STEPS: the baseline (prices, reviews and listings as
they are), the incidents six hours later (a competitor undercuts us, one of our prices falls below cost, a burst of
negative reviews, stock runs low, one of our titles gains a word the Advertising Law bans), then a cycle every other
day for a week while prices drift and hot terms churn. The later cycles crawl what moves from day to day (prices,
stock, search ranks, hot terms) and leave reviews to the first two (`daily_plan`). It checks the alerts raised
against the marketplace's ground truth of the incidents. The store lives on the scenario's clock (each cycle's
store.timestamps.ShiftedClock starts at its step's simulated time), so the week's report shows the week.

Delivery keeps real time, as the daemon does between its digests: the e-mails are real and read now, so the tour's
simulated week, which passes in a minute, reaches a reader as one burst: a critical group is sent when it first
forms, its later alerts wait for its group_interval (real minutes) and the digest waits for the last cycle, which
flushes everything. Delivering by simulated days would send a digest and a repeat of every group each day. Alerts
go through the real outbox to the local SMTP capture, which saves `.eml` files.

The demo keeps its own store (var/demo/shopsentinel.db, fresh each run, so the first cycle is a real baseline)
and crawls without politeness delays: the marketplace is ours and on loopback. The demo marketplace package is
imported here and by nothing else in production (ARCHITECTURE: the crawlers reach it over HTTP like any site).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from config import Config, load_config, with_demo_urls
from crawlers.run import CrawlPlan
from demo_market.launcher import launch
from i18n import _
from pipeline import CycleReport, run_cycle
from store import AlertRow, open_store
from store.timestamps import Clock, ShiftedClock

DEMO_STORE = "var/demo/shopsentinel.db"
INCIDENT_STEP = 1  # the scenario's scripted incidents (demo_market.world); step 2 only undoes two of them
# Scenario steps are six hours (demo_market.world.STEP_HOURS): the baseline on the first morning, the incidents six
# hours later, then a look every other morning until the sixth day, so a seven-day report holds the whole tour. A
# cycle costs about ten seconds whatever it crawls (a crawl process and its browser), which is what keeps the daily
# looks to every other day within the demo's two minutes.
TOUR_STEPS = (0, INCIDENT_STEP, 8, 16, 24)
FAST_CRAWL = {"download_delay_s": 0.0, "retry_backoff_s": 0.2, "concurrency_per_domain": 4,
              "autothrottle": {"enabled": False}}

# Which alert kinds answer each scripted marketplace event (demo_market.world's events), matched on the product.
EXPECTED_ALERTS: dict[str, tuple[str, ...]] = {
    "competitor_undercut": ("competitor_undercut",),
    "below_cost": ("price_below_cost",),
    "negative_burst": ("negative_review", "negative_surge"),
    "own_negative_review": ("negative_review",),
    "own_low_stock": ("own_low_stock", "own_out_of_stock"),
    "stock_out": ("competitor_out_of_stock",),
    "own_title_violation": ("compliance_violation",),
}


def demo_overrides() -> dict[str, Any]:
    return {"store": {"path": DEMO_STORE}, "crawl": FAST_CRAWL}


@dataclass
class EventCheck:
    event: dict[str, Any]
    caught_by: list[AlertRow] = field(default_factory=list)


@dataclass
class Tour:
    sites: dict[str, str]
    config: Config
    plan: CrawlPlan
    cycles: list[CycleReport] = field(default_factory=list)
    checks: list[EventCheck] = field(default_factory=list)
    untracked: list[dict[str, Any]] = field(default_factory=list)  # events on products no crawl reached
    report_path: Path | None = None


def _item_of(alert: AlertRow, products: dict[int, tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    """The (platform, item id) pairs an alert is about: its subject and, for an undercut, the competitor."""
    ids = {alert.evidence.get("competitor_product_id"), alert.evidence.get("product_id")}
    if alert.subject and alert.subject.isdigit():
        ids.add(int(alert.subject))
    return {products[i] for i in ids if isinstance(i, int) and i in products}


def _answers(event: dict[str, Any], alert: AlertRow) -> bool:
    """Whether an alert of an expected kind on the event's product is about the event itself: a compliance alert
    answers a title edit only when one of its violations is the planted breach, in the planted category (the
    engine may report a longer or shorter span around it)."""
    if event["kind"] != "own_title_violation":
        return True
    planted, category = event["detail"]["match"], event["detail"]["category"]
    return any(isinstance(v, dict) and isinstance(v.get("match"), str) and v.get("category") == category
               and (v["match"] in planted or planted in v["match"]) for v in alert.evidence.get("violations", []))


def check_events(events: Sequence[dict[str, Any]], alerts: Sequence[AlertRow],
                 products: dict[int, tuple[str, str | None]]) -> tuple[list[EventCheck], list[dict[str, Any]]]:
    """Each scripted event with the alerts that answer it; events on products the crawl never stored are set
    apart (a keyword's top N need not include every product the scenario touches)."""
    known = set(products.values())
    checks, untracked = [], []
    for event in events:
        kinds = EXPECTED_ALERTS.get(event["kind"])
        if kinds is None:
            continue
        item = (event["platform"], event["item_id"])
        if item not in known:
            untracked.append(event)
            continue
        checks.append(EventCheck(event, [a for a in alerts
                                         if a.kind in kinds and item in _item_of(a, products) and _answers(event, a)]))
    return checks, untracked


def run_tour(config_path: Path, *, seed: int = 2026, top: int | None = None,
             plan_for: Callable[[Config], CrawlPlan], on_event: Callable[[dict[str, Any]], None] | None = None,
             on_stage: Callable[[str], None] | None = None,
             write_report: Callable[[Config, Clock], Path | None] | None = None,
             steps: Sequence[int] = TOUR_STEPS) -> Tour:
    """Run a cycle at each scenario step of `steps` and return what happened; `plan_for(config)` builds the crawl
    plan (the scan's); `write_report(config, clock)` writes the report as of the last cycle's clock."""
    stage = on_stage or (lambda message: None)
    overrides = demo_overrides()
    stage(_("starting the demo marketplace"))
    with launch(seed=seed) as market:
        config = with_demo_urls(load_config(config_path, overrides=overrides), market.sites)
        Path(config.store.path).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{config.store.path}{suffix}").unlink(missing_ok=True)
        tour = Tour(sites=market.sites, config=config, plan=plan_for(config))
        for index, step in enumerate(steps):
            clock = scenario_clock(market.set_step(step))
            last = index == len(steps) - 1
            when = f"{clock():%Y-%m-%d %H:%M}"
            stage(_("cycle {n} of {count} (scenario step {step}, {time} UTC)", n=index + 1, count=len(steps),
                    step=step, time=when))
            plan = tour.plan if step <= INCIDENT_STEP else daily_plan(tour.plan)
            tour.cycles.append(run_cycle(config_path, config, plan, demo_urls=market.sites, overrides=overrides,
                                         clock=clock, digests=last, flush=last, on_event=on_event,
                                         on_stage=on_stage))
        events = [e for e in market.ground_truth()["events"] if e["step"] <= INCIDENT_STEP]
    with open_store(config.store.path) as store:
        products = {p.id: (p.platform, p.item_id) for p in store.products()}
    tour.checks, tour.untracked = check_events(events, [a for cycle in tour.cycles[1:] for a in cycle.alerts],
                                               products)
    if write_report is not None:
        stage(_("writing the HTML report"))
        tour.report_path = write_report(config, clock)
    return tour


def daily_plan(plan: CrawlPlan) -> CrawlPlan:
    """A day's look at the market: the plan's searches, product pages and hot terms without the reviews."""
    return replace(plan, reviews=False)


def scenario_clock(moved: dict[str, Any]) -> Clock:
    """The store's clock for a cycle at the step the marketplace's clock answer (`/admin/clock`) names: it reads
    the step's simulated time now and runs on from there."""
    return ShiftedClock.starting_at(datetime.fromisoformat(moved["clock"]))
