"""What `agent.py status` shows: each job's last run and next run, alerts waiting in the outbox, the database's
size and whether a daemon holds the lock. Read from the store and the lock file only, so it works whether or not
a daemon runs (the next runs are then those a daemon started now would keep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import Config
from daemon.lock import LockState, lock_path_for, lock_state
from daemon.schedule import JOBS, RunWindow, next_run_window
from store import DeliveryRow, JobRunRow, Store
from store.timestamps import utc_now


@dataclass(frozen=True)
class JobStatus:
    job: str
    last: JobRunRow | None
    next: RunWindow

    def to_json(self) -> dict:
        last = self.last
        return {"job": self.job, "next_run": self.next.to_json(),
                "last_run": None if last is None else {
                    "status": last.status, "started_at": last.started_at.isoformat(),
                    "ended_at": last.ended_at.isoformat() if last.ended_at else None, "stats": last.stats,
                    "error": last.error}}


@dataclass(frozen=True)
class DaemonStatus:
    jobs: list[JobStatus]
    pending: list[DeliveryRow]
    database: Path
    database_bytes: int
    lock: LockState

    def to_json(self) -> dict:
        return {"daemon": self.lock.to_json(), "jobs": [job.to_json() for job in self.jobs],
                "pending_deliveries": len(self.pending),
                "pending_alerts": sorted({delivery.alert_id for delivery in self.pending}),
                "database": {"path": str(self.database), "bytes": self.database_bytes}}


def daemon_status(store: Store, config: Config, *, now: datetime | None = None) -> DaemonStatus:
    moment = now or utc_now()
    last_runs = store.latest_job_runs()
    jobs = []
    for job in JOBS:
        last = last_runs.get(job)
        jobs.append(JobStatus(job, last, next_run_window(job, config.schedule, last.started_at if last else None,
                                                         moment)))
    path = config.store.path
    return DaemonStatus(jobs=jobs, pending=store.deliveries(state="pending"), database=path,
                        database_bytes=database_bytes(path), lock=lock_state(lock_path_for(path)))


def database_bytes(path: Path) -> int:
    """The database's size on disk, its write-ahead log included."""
    return sum(part.stat().st_size for part in (path, path.with_name(path.name + "-wal")) if part.exists())
