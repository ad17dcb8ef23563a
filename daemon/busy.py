"""Waiting out a busy database: another process (a backup, an operator's `sqlite3` session) holding the store's
write lock for longer than SQLite's busy timeout is a temporary state, not a fault.

The daemon tries again after pauses that double from FIRST_PAUSE_S up to LONGEST_PAUSE_S, for at most the busy
wait in all (`store.busy_wait` in config.toml; 0 tries once). Past it the StoreBusyError stands: at start the
daemon exits 75 (EX_TEMPFAIL) and systemd starts it again later; in a job, the job fails and runs again at its next
time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from store import Store, open_store
from store.db import DEFAULT_BUSY_TIMEOUT
from store.errors import StoreBusyError

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 30.0

T = TypeVar("T")


def while_busy(action: Callable[[float], T], budget_s: float, what: str, *,
               stop_requested: Callable[[], bool] = lambda: False) -> T:
    """`action(busy_timeout)`, tried again while it raises StoreBusyError, for at most `budget_s` seconds in all,
    or until a stop is requested; then that error. `busy_timeout` is SQLite's own wait within one try, cut to the
    time left. A stop request is seen between tries: within one try and one pause, well inside systemd's stop
    timeout."""
    deadline = time.monotonic() + budget_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            return action(max(0.0, min(DEFAULT_BUSY_TIMEOUT, deadline - time.monotonic())))
        except StoreBusyError as error:
            left = deadline - time.monotonic()
            if left <= 0 or stop_requested():
                raise
            wait = min(pause, left)
            log.warning("%s: %s; trying again in %.1f s", what, error, wait)
            time.sleep(wait)
            pause = min(2 * pause, LONGEST_PAUSE_S)


def with_store(path: Path, use: Callable[[Store], T], budget_s: float, what: str, *,
               stop_requested: Callable[[], bool] = lambda: False) -> T:
    """`use(store)` on the store at `path`, opened again for each try while the database is busy (`while_busy`)."""
    def attempt(busy_timeout: float) -> T:
        with open_store(path, busy_timeout=busy_timeout) as store:
            return use(store)

    return while_busy(attempt, budget_s, what, stop_requested=stop_requested)
