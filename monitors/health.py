"""Crawl health: platforms that keep failing, and pages that keep coming back blocked or layout-changed, raised as
system alerts for the operator. `raise_health_alerts` decides both, after every crawl of a cycle: `agent.py scan`
(through `pipeline.run_cycle`) and the daemon's crawl jobs call the same function, so a one-off scan that meets a
captcha or a dead site says so exactly as the daemon would (both read the streaks from the store's crawl runs,
scans' runs included, so a scan and a daemon job continue each other's streaks).

Platforms that keep failing: a platform whose last N crawl runs all failed raises an operator alert.

One failed crawl is noise (a timeout, a deploy on their side); N in a row (`schedule.platform_failure_alert`)
means the site is down, blocks us or changed its pages, and someone must look. The streak is read from the
store's crawl runs, so it survives daemon restarts. The alert is a condition: its dedup key names the platform,
so it repeats after the alert cooldown for as long as the platform stays unreachable, and a platform that comes
back simply stops raising it.

Pages in trouble: a platform whose pages of one kind came back blocked (captcha, soft ban) or layout-changed N
times in a row (`schedule.page_state_alert`, counted across runs from each run's page-state streaks) raises one
alert per platform and state with what to do. It is a condition like an outage: its dedup key names the
platform and the state, so it is not repeated within the alert cooldown, stays quiet once acknowledged until it
is resolved, and stops when the pages read normally again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from config import Config
from crawlers.page_state import ALARMING, PageState
from formats import moment
from i18n import N_, Message
from store import AlertRecord, RunRow, Store

RUNS_EXAMINED = 500  # the latest crawl runs read for streaks: far more than any sensible threshold needs


@dataclass(frozen=True)
class PlatformOutage:
    platform: str
    failed_runs: int       # consecutive failed runs, the latest included
    since: datetime        # start of the first run of the streak
    errors: dict[str, int]  # error kinds of the latest failed run


def platform_outages(store: Store, threshold: int) -> list[PlatformOutage]:
    """The platforms whose latest `threshold` or more finished crawl runs all failed."""
    streaks: dict[str, list[RunRow]] = {}
    ended: set[str] = set()  # platforms whose streak met a run that did not fail
    for run in store.runs(limit=RUNS_EXAMINED):  # newest first
        for platform, stats in (run.stats.get("platforms") or {}).items():
            if platform in ended:
                continue
            if stats.get("failed"):
                streaks.setdefault(platform, []).append(run)
            else:
                ended.add(platform)
    return [PlatformOutage(platform=platform, failed_runs=len(runs), since=runs[-1].started_at,
                           errors=dict(runs[0].stats["platforms"][platform].get("errors") or {}))
            for platform, runs in sorted(streaks.items()) if len(runs) >= threshold]


def outage_alert(config: Config, outage: PlatformOutage) -> AlertRecord:
    platform = config.platforms.get(outage.platform)
    name = f"{platform.name} ({outage.platform})" if platform is not None else outage.platform
    since = moment(outage.since, config.schedule.tzinfo)
    errors = ", ".join(f"{kind}×{count}" for kind, count in sorted(outage.errors.items())) or N_("no page read")
    return AlertRecord(
        dedup_key=f"system:platform_unreachable:{outage.platform}",
        kind="platform_unreachable", category="system", severity="critical", subject=outage.platform,
        title=N_("Platform {name} unreachable since {since}", name=name, since=since),
        body=N_("The last {runs} crawl runs of {name} read no page ({errors}). Check whether the site is down, blocks "
                "our address or has changed its pages (python agent.py extract --url ...).", runs=outage.failed_runs,
                name=name, errors=errors),
        evidence={"platform": outage.platform, "failed_runs": outage.failed_runs, "since": outage.since.isoformat(),
                  "errors": outage.errors})


def raise_outage_alerts(store: Store, config: Config, *, now: datetime | None = None) -> list[int]:
    """Raise (within the cooldown: once) an alert for each platform failing too long; return the new alert ids."""
    return _raise_each(store, config, (outage_alert(config, outage) for outage in
                                       platform_outages(store, config.schedule.platform_failure_alert)), now)


@dataclass(frozen=True)
class PageTrouble:
    platform: str
    state: PageState          # blocked or layout_changed
    kinds: dict[str, int]     # page kind -> its pages in a row in that state, the latest included
    first_run: RunRow         # the run the earliest of those streaks began in


def _streak(runs: list[RunRow], platform: str, kind: str) -> tuple[PageState, int, RunRow] | None:
    """The latest streak of one alarming state on (platform, kind), across runs (newest first): each run's
    trailing streak, continued into the run before while a run held nothing but that streak."""
    state, pages, first = None, 0, None
    for run in runs:
        entry = (run.stats.get("platforms") or {}).get(platform) or {}
        counts = (entry.get("states") or {}).get(kind)
        if not counts:
            continue  # no page of this kind in this run
        streak = (entry.get("streaks") or {}).get(kind) or {}
        if streak.get("state") not in ALARMING or state not in (None, streak["state"]):
            break
        state, pages, first = streak["state"], pages + streak["pages"], run
        if streak["pages"] < sum(counts.values()):
            break  # the streak began inside this run
    return (PageState(state), pages, first) if state is not None else None


def page_troubles(store: Store, threshold: int) -> list[PageTrouble]:
    """Per platform and alarming state, the page kinds with `threshold` or more such pages in a row."""
    runs = store.runs(limit=RUNS_EXAMINED)
    pairs = sorted({(platform, kind) for run in runs for platform, entry in (run.stats.get("platforms") or {}).items()
                    for kind in entry.get("streaks") or {}})
    found: dict[tuple[str, PageState], PageTrouble] = {}
    for platform, kind in pairs:
        streak = _streak(runs, platform, kind)
        if streak is None or streak[1] < threshold:
            continue
        state, pages, first = streak
        trouble = found.get((platform, state))
        if trouble is None:
            found[platform, state] = PageTrouble(platform, state, {kind: pages}, first)
        else:
            trouble.kinds[kind] = pages
            if first.id < trouble.first_run.id:
                found[platform, state] = PageTrouble(platform, state, trouble.kinds, first)
    return list(found.values())


def what_to_do(state: PageState, platform: str, kind: str) -> Message:
    if state == PageState.BLOCKED:
        return N_("Refresh the cookies, crawl less often: the site shows a captcha or empty results to us. Sign in "
                  "again (python agent.py login ...) or refresh the platform's cookies_file / storage_state, and "
                  "crawl it less often (schedule, crawl.download_delay_s) until its pages read normally.")
    return N_("Check the selectors: the site changed its pages and the profile's selectors no longer match. Check "
              "platforms.{platform}.profile.{kind} in config.toml against a page (python agent.py extract --url ...).",
              platform=platform, kind=kind)


STATE_LABELS: dict[PageState, Message] = {PageState.BLOCKED: N_("blocked"),
                                          PageState.LAYOUT_CHANGED: N_("layout changed")}


def trouble_alert(config: Config, trouble: PageTrouble) -> AlertRecord:
    platform = config.platforms.get(trouble.platform)
    name = f"{platform.name} ({trouble.platform})" if platform is not None else trouble.platform
    kinds = ", ".join(f"{kind} ×{pages}" for kind, pages in sorted(trouble.kinds.items()))
    since = moment(trouble.first_run.started_at, config.schedule.tzinfo)
    state = STATE_LABELS[trouble.state]
    return AlertRecord(
        dedup_key=f"system:page_{trouble.state}:{trouble.platform}",
        kind=f"page_{trouble.state}", category="system", severity="critical", subject=trouble.platform,
        title=N_("Platform {name}: pages {state} since {since} ({kinds})", name=name, state=state, since=since,
                 kinds=kinds),
        body=N_("The latest pages of {name} were {state} ({kinds} in a row): no price, stock or review was taken "
                "from them, so monitors saw no change rather than a false one. {what_to_do}", name=name, state=state,
                kinds=kinds, what_to_do=what_to_do(trouble.state, trouble.platform, min(trouble.kinds))),
        evidence={"platform": trouble.platform, "state": str(trouble.state), "kinds": trouble.kinds,
                  "since_run": trouble.first_run.id, "since": trouble.first_run.started_at.isoformat()})


def raise_health_alerts(store: Store, config: Config, *, now: datetime | None = None) -> list[int]:
    """The crawl-health alerts after a crawl (outages, then page states); return the new alert ids."""
    return raise_outage_alerts(store, config, now=now) + raise_page_state_alerts(store, config, now=now)


def raise_page_state_alerts(store: Store, config: Config, *, now: datetime | None = None) -> list[int]:
    """Raise (within the cooldown: once) an alert for each platform whose pages keep coming back blocked or
    layout-changed; return the new alert ids."""
    return _raise_each(store, config, (trouble_alert(config, trouble) for trouble in
                                       page_troubles(store, config.schedule.page_state_alert)), now)


def _raise_each(store: Store, config: Config, alerts: Iterable[AlertRecord], now: datetime | None) -> list[int]:
    """Raise each alert unless the same one was raised within the cooldown; the ids of those raised."""
    raised = (store.raise_alert(alert, cooldown=config.alerts.cooldown, now=now) for alert in alerts)
    return [alert_id for alert_id in raised if alert_id is not None]
