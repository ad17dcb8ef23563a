"""Platforms that keep failing: a platform whose last N crawl runs all failed raises an operator alert.

One failed crawl is noise (a timeout, a deploy on their side); N in a row (`schedule.platform_failure_alert`)
means the site is down, blocks us or changed its pages, and someone must look. The streak is read from the
store's crawl runs, so it survives daemon restarts. The alert is a condition: its dedup key names the platform,
so it repeats after the alert cooldown for as long as the platform stays unreachable, and a platform that comes
back simply stops raising it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config import Config
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
    since = outage.since.astimezone(config.schedule.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
    errors = ", ".join(f"{kind}×{count}" for kind, count in sorted(outage.errors.items())) or "no page read"
    return AlertRecord(
        dedup_key=f"system:platform_unreachable:{outage.platform}",
        kind="platform_unreachable", category="system", severity="critical", subject=outage.platform,
        title=f"platform {name} unreachable since {since}",
        body=(f"The last {outage.failed_runs} crawl runs of {name} read no page ({errors}). Check whether the site "
              "is down, blocks our address or has changed its pages (python agent.py extract --url ...)."),
        evidence={"platform": outage.platform, "failed_runs": outage.failed_runs, "since": outage.since.isoformat(),
                  "errors": outage.errors})


def raise_outage_alerts(store: Store, config: Config, *, now: datetime | None = None) -> list[int]:
    """Raise (within the cooldown: once) an alert for each platform failing too long; return the new alert ids."""
    raised = []
    for outage in platform_outages(store, config.schedule.platform_failure_alert):
        alert_id = store.raise_alert(outage_alert(config, outage), cooldown=config.alerts.cooldown, now=now)
        if alert_id is not None:
            raised.append(alert_id)
    return raised
