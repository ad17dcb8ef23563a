"""Crawl runs: one row per crawl, so every observation can say which run produced it and a status command can
show what ran, how it ended and what went wrong."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from store.base import StoreBase, to_json
from store.errors import InvalidRecordError, NotFoundError, RunStateError
from store.records import RUN_STATUSES, RunRow, from_columns
from store.timestamps import from_db_time, to_db_time

FINAL_STATUSES = tuple(status for status in RUN_STATUSES if status != "running")


def _process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (signal 0 probes without signalling). A zombie does not:
    it has ended and can never close its run, it only waits to be reaped (which a container's init may not do)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existing is all that can be told


def _run_row(row: dict[str, Any]) -> RunRow:
    return from_columns(
        RunRow,
        row,
        started_at=from_db_time(row["started_at"]),
        ended_at=from_db_time(row["ended_at"]),
        stats=json.loads(row["stats"]),
        errors=json.loads(row["errors"]),
    )


class RunsMixin(StoreBase):
    def begin_run(self, kind: str, platform: str | None = None) -> int:
        """Record a crawl run as 'running' under this process's pid and return its id.

        The row is committed at once, so a run killed later still shows up (and can be recovered).
        """
        if not kind.strip():
            raise InvalidRecordError(f"{self.path}: a crawl run needs a kind, got {kind!r}")
        row = {
            "kind": kind,
            "platform": platform,
            "started_at": to_db_time(self.clock()),
            "status": "running",
            "pid": os.getpid(),
        }
        with self.transaction():
            return self._insert("crawl_runs", row, "starting a crawl run")

    def finish_run(
        self,
        run_id: int,
        status: str,
        stats: Mapping[str, Any] | None = None,
        errors: Sequence[Any] | None = None,
    ) -> None:
        """Close a running run with its final status ('ok', 'failed' or 'interrupted'), stats and errors.

        Only a 'running' run can be finished: finishing one twice, or one already marked interrupted by
        recovery, is a bug in the caller and raises RunStateError.
        """
        if status not in FINAL_STATUSES:
            raise InvalidRecordError(f"{self.path}: run {run_id} cannot finish as {status!r}; use {FINAL_STATUSES}")
        params = {
            "id": run_id,
            "status": status,
            "ended_at": to_db_time(self.clock()),
            "stats": to_json(dict(stats or {}), self.path, f"run {run_id} stats"),
            "errors": to_json(list(errors or []), self.path, f"run {run_id} errors"),
        }
        with self.transaction():
            current = self.get_run(run_id).status
            if current != "running":
                raise RunStateError(f"{self.path}: run {run_id} is already {current!r}; it cannot finish again")
            self._execute(
                "UPDATE crawl_runs SET status = :status, ended_at = :ended_at, stats = :stats, errors = :errors"
                " WHERE id = :id",
                params,
                f"finishing run {run_id}",
            )

    def recover_interrupted_runs(self) -> list[int]:
        """Mark 'interrupted' the runs left 'running' by processes that no longer exist; return their ids.

        A process killed mid-run cannot close its run; its committed blocks are kept. The check is by pid on
        this host, so call it on the machine that ran the crawls (a reused pid keeps a run 'running' until
        that process ends too). The run's errors gain a line saying when recovery found it dead.
        """
        recovered: list[int] = []
        with self.transaction():
            for row in self._rows("SELECT id, pid, errors FROM crawl_runs WHERE status = 'running' ORDER BY id"):
                if row["pid"] is not None and _process_alive(row["pid"]):
                    continue
                now = to_db_time(self.clock())
                errors = json.loads(row["errors"]) + [f"interrupted: process {row['pid']} was gone at {now}"]
                self._execute(
                    "UPDATE crawl_runs SET status = 'interrupted', errors = ? WHERE id = ?",
                    (to_json(errors, self.path, f"run {row['id']} errors"), row["id"]),
                    f"recovering run {row['id']}",
                )
                recovered.append(row["id"])
        return recovered

    def get_run(self, run_id: int) -> RunRow:
        """One run by id; NotFoundError if there is none."""
        rows = self._rows("SELECT * FROM crawl_runs WHERE id = ?", (run_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no crawl run with id {run_id}")
        return _run_row(rows[0])

    def runs(self, *, kind: str | None = None, status: str | None = None, limit: int = 50) -> list[RunRow]:
        """The most recent runs first, optionally only of one kind and/or status."""
        rows = self._rows(
            "SELECT * FROM crawl_runs"
            " WHERE (:kind IS NULL OR kind = :kind) AND (:status IS NULL OR status = :status)"
            " ORDER BY started_at DESC, id DESC LIMIT :limit",
            {"kind": kind, "status": status, "limit": limit},
        )
        return [_run_row(row) for row in rows]
