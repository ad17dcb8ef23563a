"""One daemon per database: an exclusive flock on a lock file next to the store, held for the daemon's life.

The kernel drops a flock when its holder dies in any way (SIGKILL and OOM kills included), so a lock is never
left behind by a dead daemon and needs no stale-lock cleanup. The file also says who holds it (pid, host, since)
for the refusal message and `agent.py status`; that text is informative only: the flock is the truth.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from store.errors import UnwritableError
from store.timestamps import utc_now

# A status probe holds the lock for a moment; a daemon starting in that moment tries again rather than refuse.
ACQUIRE_ATTEMPTS = 5
ACQUIRE_PAUSE_S = 0.1


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    since: datetime

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since.isoformat(timespec='seconds')}"

    def to_json(self) -> dict:
        return {"pid": self.pid, "host": self.host, "since": self.since.isoformat()}


class DaemonAlreadyRunning(RuntimeError):
    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        who = holder.describe() if holder else "a process that has not written its name yet"
        super().__init__(f"another daemon already runs on this database ({who}; lock {path})")
        self.holder = holder


def lock_path_for(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".daemon.lock")


class DaemonLock:
    """`with DaemonLock(path):` holds the lock or raises DaemonAlreadyRunning (UnwritableError when the lock file
    cannot be created)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> DaemonLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise UnwritableError(self.path, "the daemon's lock file", error) from error
        for attempt in range(ACQUIRE_ATTEMPTS):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == ACQUIRE_ATTEMPTS - 1:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise DaemonAlreadyRunning(self.path, holder) from None
                time.sleep(ACQUIRE_PAUSE_S)
        holder = LockHolder(pid=os.getpid(), host=socket.gethostname(), since=utc_now())
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.to_json()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is None:
            return
        # The file stays: unlinking it would let a newcomer lock a fresh inode while a waiter holds the old one.
        os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing releases the flock
        self._fd = None


@dataclass(frozen=True)
class LockState:
    held: bool
    holder: LockHolder | None  # None when free, or when the holder has not written its name yet

    def to_json(self) -> dict:
        return {"held": self.held, "holder": self.holder.to_json() if self.holder else None}


def lock_state(path: Path) -> LockState:
    """Whether a daemon holds the lock at `path` now, and who."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return LockState(held=False, holder=None)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return LockState(held=True, holder=_read_holder(fd))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return LockState(held=False, holder=None)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> LockHolder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]), since=datetime.fromisoformat(data["since"]))
    except (ValueError, TypeError, KeyError):
        return None  # the holder is between taking the lock and writing its name
