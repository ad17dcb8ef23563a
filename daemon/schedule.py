"""When each job runs: the crawl jobs every `interval` plus a random delay of up to `jitter`, the retrain job every
`retrain`, the digest every day at `digest` local time in `timezone` ([schedule] in config.toml).

A restarted daemon carries on from the store's job runs instead of starting every job at once: a crawl job
runs one interval after its last start (at once if that is past), and a digest missed while the daemon was
down is sent at start. The retrain and digest jobs get no jitter: they read no site, and operators expect the
digest on time.
`next_run_window` answers the same question for `agent.py status`, without a daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Schedule

CRAWL_JOBS = ("hot_terms", "prices", "reviews", "own_reviews")  # the order they run in when due together
RETRAIN_JOB = "retrain"  # after the crawls, which bring the rated reviews it trains on
DIGEST_JOB = "digest"
JOBS = (*CRAWL_JOBS, RETRAIN_JOB, DIGEST_JOB)

# Overdue jobs start this far apart, in JOBS order: prices finds the listings whose reviews come next.
DUE_TOGETHER_SPACING = timedelta(seconds=1)


@dataclass(frozen=True)
class RunWindow:
    """The next run happens within [earliest, latest] (they differ by the jitter)."""

    earliest: datetime
    latest: datetime

    def to_json(self) -> dict:
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()}


def first_start(job: str, schedule: Schedule, last_started: datetime | None, now: datetime) -> datetime:
    """When a daemon starting at `now` first runs `job` (before the jitter), given its last run's start."""
    if job == DIGEST_JOB:
        missed = last_started is not None and last_started < previous_digest(schedule, now)
        return now if missed else next_digest(schedule, now)
    due = now if last_started is None else max(now, last_started + schedule.intervals()[job])
    if due == now:
        due += JOBS.index(job) * DUE_TOGETHER_SPACING
    return due


def trigger_for(job: str, schedule: Schedule, start: datetime) -> BaseTrigger:
    """The APScheduler trigger of `job`, its first run at `start` (plus jitter for the crawl jobs)."""
    if job == DIGEST_JOB:
        return CronTrigger(hour=schedule.digest.hour, minute=schedule.digest.minute, timezone=schedule.tzinfo)
    return IntervalTrigger(seconds=schedule.intervals()[job].total_seconds(), start_date=start,
                           timezone=schedule.tzinfo, jitter=_jitter(job, schedule).total_seconds() or None)


def next_run_window(job: str, schedule: Schedule, last_started: datetime | None, now: datetime) -> RunWindow:
    """When the job runs next, as a running daemon would schedule it (or one started now, if none runs)."""
    start = first_start(job, schedule, last_started, now)
    return RunWindow(start, start + _jitter(job, schedule))


def _jitter(job: str, schedule: Schedule) -> timedelta:
    return schedule.jitter if job in CRAWL_JOBS else timedelta(0)


def next_digest(schedule: Schedule, now: datetime) -> datetime:
    """The first digest time strictly after `now`, in the schedule's time zone."""
    local = now.astimezone(schedule.tzinfo)
    today = local.replace(hour=schedule.digest.hour, minute=schedule.digest.minute, second=0, microsecond=0)
    return today if today > local else _shift_days(today, 1)


def previous_digest(schedule: Schedule, now: datetime) -> datetime:
    """The latest digest time at or before `now`, in the schedule's time zone."""
    local = now.astimezone(schedule.tzinfo)
    today = local.replace(hour=schedule.digest.hour, minute=schedule.digest.minute, second=0, microsecond=0)
    return today if today <= local else _shift_days(today, -1)


def _shift_days(moment: datetime, days: int) -> datetime:
    # Wall-clock arithmetic: across a DST change the next 08:30 is 23 or 25 hours away, not 24.
    return (moment.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=moment.tzinfo)
