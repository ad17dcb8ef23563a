"""One run of a daemon job, recorded in the store's job runs.

A crawl job crawls its plan, then (with `analysis_after_crawl`) analyses, runs the monitors and sends the
immediate alerts through `pipeline.run_cycle`; digest deliveries wait for the digest job. After the crawl, a
platform failing too many runs in a row, or serving blocked or layout-changed pages, raises a system alert,
delivered in the same run (`pipeline.raise_crawl_health`, as `agent.py scan` does). The digest job writes
the day's HTML report (reports.write_report) and sends the digest deliveries; with analysis after crawls off, it
runs analysis and monitors first. The retrain job counts the star-rated reviews stored since the newest trained
model and, from `schedule.retrain_min_new` of them, retrains the sentiment model on the corpus, the store's
ratings and the current model's imports through `nlp train`'s guard (nlp.retraining): a promoted model is current
for the next analysis, which re-scores every review; a refused one is kept beside it, and the job is still ok (it
did its work).

A failing job is logged and recorded as failed; the scheduler runs it again at its next time. So does a job facing a
busy database (another process holding its lock past the busy wait, see `daemon.busy`): it never stops the daemon,
and if even its start cannot be recorded, it is only logged. A stop request
(`stop_requested()` true) ends a job between stages: the crawl it interrupted has committed what it read, and
alerts not yet sent stay in the outbox for the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from config import Config
from crawlers.run import run_crawl
from daemon.busy import with_store
from daemon.plans import plan_for
from daemon.schedule import DIGEST_JOB, RETRAIN_JOB
from delivery.outbox import DeliveryReport, deliver_pending
from nlp.analysis import models_directory
from nlp.model_store import latest_rated_reviews_until
from nlp.retraining import retrain, store_ratings
from pipeline import CycleReport, raise_crawl_health, run_cycle
from reports import write_report
from store import Store, StoreBusyError, open_store
from store.timestamps import utc_now

log = logging.getLogger(__name__)


class StopJob(BaseException):
    """Raised into a running job when the daemon is told to stop (a BaseException, like KeyboardInterrupt, so
    that only the code that must clean up on it sees it)."""


@dataclass
class JobOutcome:
    job: str
    status: str  # ok | failed | interrupted
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class JobRunner:
    """Runs jobs by name for one daemon. `on_stage` hears each stage as it starts ("crawling", ...), which is how
    the daemon knows whether a stop request must interrupt a crawl."""

    def __init__(self, config_path: Path, config: Config, *, on_stage: Callable[[str], None],
                 stop_requested: Callable[[], bool], busy_wait_s: float) -> None:
        self.config_path = config_path
        self.config = config
        self.on_stage = on_stage
        self.stop_requested = stop_requested
        self.busy_wait_s = busy_wait_s

    def run(self, job: str, *, now: datetime | None = None) -> JobOutcome | None:
        """Run `job` once and record it; None when the daemon is stopping and the job did not start."""
        if self.stop_requested():
            return None
        try:
            run_id = self._write(f"job {job}: recording its start",
                                 lambda store: store.begin_job(job, started_at=now))
        except StoreBusyError as error:
            log.error("job %s: not run, the database stayed busy (%s); it runs at its next time", job, error)
            return JobOutcome(job, "failed", error=str(error))
        log.info("job %s: started", job)
        try:
            if job == DIGEST_JOB:
                outcome = self._digest(now)
            elif job == RETRAIN_JOB:
                outcome = self._retrain()
            else:
                outcome = self._crawl_job(job, now)
        except StopJob:
            outcome = JobOutcome(job, "interrupted", error="the daemon was stopped during the crawl")
        except StoreBusyError as error:  # temporary: no traceback, the job runs again at its next time
            log.error("job %s failed: %s", job, error)
            outcome = JobOutcome(job, "failed", error=str(error))
        except Exception as error:  # a job's failure must not end the daemon: it runs again at its next time
            log.exception("job %s failed", job)
            outcome = JobOutcome(job, "failed", error=f"{type(error).__name__}: {error}")
        finally:
            self.on_stage("idle")
        if outcome.status == "ok" and self.stop_requested():
            outcome.status = "interrupted"
            outcome.error = "the daemon was stopped before the job's last stage"
        try:
            self._write(f"job {job}: recording its end",
                        lambda store: store.finish_job(run_id, outcome.status, outcome.stats, outcome.error))
        except StoreBusyError as error:
            log.error("job %s: its end could not be recorded, the database stayed busy (%s); the daemon's next "
                      "start marks it interrupted", job, error)
        log.info("job %s: %s %s", job, outcome.status, outcome.error or _summary(outcome.stats))
        return outcome

    def _write(self, what: str, write: Callable[[Store], Any]) -> Any:
        """One bookkeeping write to the store, waiting out a busy database up to the daemon's busy wait."""
        return with_store(self.config.store.path, write, self.busy_wait_s, what, stop_requested=self.stop_requested)

    def _crawl_job(self, job: str, now: datetime | None) -> JobOutcome:
        with open_store(self.config.store.path) as store:
            plan = plan_for(job, self.config, store)
        if plan is None:
            return JobOutcome(job, "ok", {"skipped": "nothing to crawl yet"})
        if self.config.schedule.analysis_after_crawl:  # crawl-health alerts raised and delivered in the cycle
            cycle = run_cycle(self.config_path, self.config, plan, digests=False, flush=False, now=now,
                              on_stage=self._stage)
        else:  # the crawl alone, and its crawl-health alerts raised and delivered at once, as a cycle would
            self._stage("crawling")
            cycle = CycleReport(started_at=utc_now(), crawl=run_crawl(self.config_path, plan))
            cycle.health_alerts = raise_crawl_health(self.config, now=now)
            if cycle.health_alerts:
                self._stage("delivering platform alerts")
                with open_store(self.config.store.path) as store:
                    cycle.delivery = deliver_pending(store, self.config, now=now, digests=False)
        stats = cycle_stats(cycle)
        if self.stop_requested():
            return JobOutcome(job, "interrupted", stats, "the daemon was stopped")
        failed = cycle.failed_platforms
        return JobOutcome(job, "ok", stats, f"platforms failed: {', '.join(failed)}" if failed else None)

    def _digest(self, now: datetime | None) -> JobOutcome:
        stats: dict[str, Any] = {}
        if not self.config.schedule.analysis_after_crawl:  # the crawls left analysis and monitors to the digest
            stats = cycle_stats(run_cycle(self.config_path, self.config, None, send=False, now=now,
                                          on_stage=self._stage))
        with open_store(self.config.store.path) as store:
            self._stage("writing the daily report")
            report_file = None
            try:  # the digest goes out even when the report cannot be written
                report_file = write_report(store, self.config, days=1, now=now)
                stats["report"] = str(report_file)
            except Exception as error:
                log.exception("the daily report failed")
                stats["report_error"] = f"{type(error).__name__}: {error}"
            self._stage("delivering the digest")
            stats["delivery"] = delivery_stats(deliver_pending(store, self.config, now=now, digests=True,
                                                              report_file=report_file))
        return JobOutcome(DIGEST_JOB, "ok", stats)

    def _retrain(self) -> JobOutcome:
        min_new = self.config.schedule.retrain_min_new
        if min_new == 0:
            return JobOutcome(RETRAIN_JOB, "ok", {"skipped": "schedule.retrain_min_new = 0"})
        since = latest_rated_reviews_until(models_directory(self.config))
        with open_store(self.config.store.path) as store:
            new = store.count_rated_reviews_after(since)
            if new < min_new:
                return JobOutcome(RETRAIN_JOB, "ok", {"new_rated_reviews": new,
                                                      "skipped": f"fewer than {min_new} new rated reviews"})
            ratings = store_ratings(store)
        self._stage("retraining the sentiment model")
        outcome = retrain(self.config, ratings=ratings)  # the store is closed: training takes a while
        decision = outcome.decision
        if not decision.promoted:
            log.warning("retrain: %s kept beside the current model %s: %s", outcome.model.version,
                        decision.compared_with, decision.reason)
        return JobOutcome(RETRAIN_JOB, "ok", {"new_rated_reviews": new, "version": outcome.model.version,
                                              "promoted": decision.promoted, "reason": decision.reason})

    def _stage(self, name: str) -> None:
        log.info("stage: %s", name)
        self.on_stage(name)


def cycle_stats(cycle: CycleReport) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    if cycle.crawl is not None:
        stats["crawl_runs"] = [run.id for run in cycle.crawl.runs]
        stats["pages"] = sum(run.stats.get("pages", 0) for run in cycle.crawl.runs)
        stats["failed_platforms"] = cycle.failed_platforms
    if cycle.health_alerts:
        stats["outage_alerts"] = cycle.health_alerts
    if cycle.analysis is not None:
        stats["reviews_scored"] = cycle.analysis.reviews_scored
    if cycle.monitors is not None:
        stats["alerts_raised"] = len(cycle.monitors.raised)
        stats["alerts_suppressed"] = cycle.monitors.suppressed
        if cycle.monitors.errors:
            stats["monitor_errors"] = cycle.monitors.errors
    if cycle.delivery is not None:
        stats["delivery"] = delivery_stats(cycle.delivery)
    return stats


def delivery_stats(report: DeliveryReport) -> dict[str, Any]:
    return {"sent": report.sent, "failed": report.failed, "pending": report.pending, "messages": report.messages,
            "errors": report.errors[:5]}


def _summary(stats: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in stats.items() if key != "crawl_runs")
