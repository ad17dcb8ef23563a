"""The daemon: holds the store's lock, recovers what a killed predecessor left, runs the jobs on their schedule
until SIGTERM or SIGINT, and stops cleanly.

Jobs run one at a time in the main thread (APScheduler's DebugExecutor): two crawls at once would share the
sites' politeness budget and the store's write lock for nothing, and a job due while another runs starts as soon
as it ends (coalesced: a backlog is one run). Running in the main thread is also what makes a stop clean: the
signal handler raises StopJob into a crawl in progress, `crawlers.run.run_crawl` then stops its child process
gracefully (Scrapy closes the spiders and the store pipeline commits the run), and the job is recorded as
interrupted. In the other stages the stop waits for the stage to end. Alerts not yet sent stay in the outbox.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from config import Config
from daemon.busy import with_store
from daemon.jobs import JobOutcome, JobRunner, StopJob
from daemon.lock import DaemonLock, lock_path_for
from daemon.schedule import DIGEST_JOB, JOBS, first_start, trigger_for
from store import open_store
from store.timestamps import utc_now

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Daemon:
    def __init__(self, config_path: Path, config: Config) -> None:
        self.config = config
        self.stopping = False
        self._stage = "idle"
        self._in_job = False
        self._crawl_interrupted = False
        self._scheduler: BlockingScheduler | None = None
        self.busy_wait_s = config.store.busy_wait.total_seconds()
        self.runner = JobRunner(config_path, config, on_stage=self._set_stage, stop_requested=lambda: self.stopping,
                                busy_wait_s=self.busy_wait_s)

    def run_forever(self) -> None:
        """Run the jobs on their schedule until SIGTERM or SIGINT. Raises DaemonAlreadyRunning when another
        daemon holds the store's lock, StoreBusyError when the database stays locked past the busy wait at start."""
        with self._started():
            self._run_scheduled()

    def run_once(self) -> list[JobOutcome]:
        """Run every job once, in order (a stop signal ends the series), and return what each did."""
        with self._started():
            return [outcome for job in JOBS if (outcome := self._run_job(job)) is not None]

    @contextmanager
    def _started(self) -> Iterator[None]:
        lock = lock_path_for(self.config.store.path)
        with DaemonLock(lock), self._stop_signals():
            log.info("daemon started: pid %d, lock %s", os.getpid(), lock)
            self._recover()
            yield
        log.info("daemon stopped")

    def _recover(self) -> None:
        runs, jobs = with_store(self.config.store.path,
                                lambda store: (store.recover_interrupted_runs(), store.interrupt_running_jobs()),
                                self.busy_wait_s, "recovery at start", stop_requested=lambda: self.stopping)
        if runs or jobs:
            log.warning("recovered after an unclean stop: crawl runs %s and job runs %s marked interrupted", runs, jobs)

    def _run_scheduled(self) -> None:
        schedule = self.config.schedule
        self._scheduler = BlockingScheduler(
            executors={"default": DebugExecutor()}, timezone=schedule.tzinfo,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = utc_now()
        with open_store(self.config.store.path) as store:
            last_runs = store.latest_job_runs()
        for job in JOBS:
            last = last_runs.get(job)
            start = first_start(job, schedule, last.started_at if last else None, now)
            trigger = trigger_for(job, schedule, start)
            # The first run is set here, jitter included: by the time the scheduler starts, `start` may be a moment
            # in the past, and a trigger asked then would skip to the next interval (the cron trigger to tomorrow,
            # missing the catch-up digest).
            first = start if job == DIGEST_JOB else trigger.get_next_fire_time(None, start)
            self._scheduler.add_job(self._run_job, trigger, args=[job], id=job, name=job, next_run_time=first)
            log.info("job %s: first run at %s", job, first.astimezone(schedule.tzinfo).isoformat(timespec="seconds"))
        if not self.stopping:
            self._scheduler.start()

    def _run_job(self, job: str) -> JobOutcome | None:
        self._in_job = True
        try:
            return self.runner.run(job)
        finally:
            self._in_job = False
            if self.stopping:
                self._shutdown_scheduler()

    def _set_stage(self, stage: str) -> None:
        self._stage = stage

    def _shutdown_scheduler(self) -> None:
        # From another thread: the main thread may be inside the scheduler's job processing, which must finish
        # (it reschedules the job that just ran) before the job stores close; shutdown() waits for its lock.
        if self._scheduler is not None and self._scheduler.running:
            threading.Thread(target=self._stop_scheduler, name="scheduler-shutdown").start()

    def _stop_scheduler(self) -> None:
        with suppress(SchedulerNotRunningError):  # both the signal and the job's end may ask for it
            self._scheduler.shutdown(wait=False)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            log.info("%s received: stopping after the current stage", signal.Signals(signum).name)
        self.stopping = True
        if self._stage == "crawling" and not self._crawl_interrupted:
            self._crawl_interrupted = True  # a second signal must not interrupt run_crawl's own clean-up
            raise StopJob(signal.Signals(signum).name)
        if not self._in_job:
            self._shutdown_scheduler()

    @contextmanager
    def _stop_signals(self) -> Iterator[None]:
        previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
