"""The daemon's job runs: one row per run of a scheduled job (hot terms, prices, reviews, own reviews, digest), so
`agent.py status` can say when each job last ran, how it ended and when it runs next.

Crawl runs say what a spider did; a job run says what the daemon did with it (the crawl runs it started, the
alerts raised, the deliveries sent), and also covers jobs that crawl nothing (the digest).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.base import StoreBase, to_json
from store.errors import InvalidRecordError, NotFoundError, RunStateError
from store.records import RUN_STATUSES, from_columns
from store.timestamps import from_db_time, to_db_time


@dataclass(frozen=True, kw_only=True)
class JobRunRow:
    id: int
    job: str
    started_at: datetime
    ended_at: datetime | None
    status: str  # running | ok | failed | interrupted
    pid: int | None
    stats: dict[str, Any]
    error: str | None


def _job_run_row(row: dict[str, Any]) -> JobRunRow:
    return from_columns(JobRunRow, row, started_at=from_db_time(row["started_at"]),
                        ended_at=from_db_time(row["ended_at"]), stats=json.loads(row["stats"]))


class JobsMixin(StoreBase):
    def begin_job(self, job: str, *, started_at: datetime | None = None) -> int:
        """Record a job run as 'running' under this process's pid, committed at once; return its id."""
        if not job.strip():
            raise InvalidRecordError(f"{self.path}: a job run needs a job name, got {job!r}")
        row = {"job": job, "started_at": to_db_time(started_at or self.clock(), "job started_at"), "status": "running",
               "pid": os.getpid()}
        with self.transaction():
            return self._insert("job_runs", row, f"starting a run of job {job!r}")

    def finish_job(self, run_id: int, status: str, stats: Mapping[str, Any] | None = None,
                   error: str | None = None) -> None:
        """Close a running job run as 'ok', 'failed' or 'interrupted' with its stats and error message."""
        if status not in RUN_STATUSES or status == "running":
            raise InvalidRecordError(f"{self.path}: job run {run_id} cannot finish as {status!r}")
        params = {"id": run_id, "status": status, "ended_at": to_db_time(self.clock()),
                  "stats": to_json(dict(stats or {}), self.path, f"job run {run_id} stats"), "error": error}
        with self.transaction():
            current = self.get_job_run(run_id).status
            if current != "running":
                raise RunStateError(f"{self.path}: job run {run_id} is already {current!r}; it cannot finish again")
            self._execute("UPDATE job_runs SET status = :status, ended_at = :ended_at, stats = :stats,"
                          " error = :error WHERE id = :id", params, f"finishing job run {run_id}")

    def interrupt_running_jobs(self) -> list[int]:
        """Mark every 'running' job run 'interrupted' and return their ids.

        Only the daemon holding the store's lock may call this: with the lock held no other daemon lives, so a
        run still 'running' belongs to one that was killed."""
        with self.transaction():
            ids = [row["id"] for row in self._rows("SELECT id FROM job_runs WHERE status = 'running' ORDER BY id")]
            self._execute("UPDATE job_runs SET status = 'interrupted', error = 'the daemon stopped during the run'"
                          " WHERE status = 'running'", (), "marking interrupted job runs")
        return ids

    def get_job_run(self, run_id: int) -> JobRunRow:
        rows = self._rows("SELECT * FROM job_runs WHERE id = ?", (run_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no job run with id {run_id}")
        return _job_run_row(rows[0])

    def job_runs(self, job: str | None = None, *, limit: int = 50) -> list[JobRunRow]:
        """The most recent job runs first, optionally of one job."""
        rows = self._rows("SELECT * FROM job_runs WHERE (:job IS NULL OR job = :job)"
                          " ORDER BY started_at DESC, id DESC LIMIT :limit", {"job": job, "limit": limit})
        return [_job_run_row(row) for row in rows]

    def latest_job_runs(self) -> dict[str, JobRunRow]:
        """The latest run of each job that has run, by job name."""
        rows = self._rows("SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY job"
                          " ORDER BY started_at DESC, id DESC) AS recency FROM job_runs) WHERE recency = 1")
        return {row["job"]: _job_run_row(row) for row in rows}
