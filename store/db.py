"""Opening the store: one SQLite file in WAL mode, migrated on open, behind the `Store` API.

WAL lets readers (a status command, the report) read while one crawl writes; `synchronous=NORMAL` is safe
with WAL against process crashes (a committed transaction survives SIGKILL; only an OS crash or power loss
can drop the last commits, never corrupt the file). Foreign keys are enforced on every connection.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from store.alerts import AlertsMixin
from store.analysis import AnalysisMixin
from store.catalog import CatalogMixin
from store.deliveries import DeliveriesMixin
from store.base import is_busy
from store.errors import NotADatabaseError, StoreBusyError, StoreError, StoreOpenError
from store.jobs import JobsMixin
from store.migrations import migrate, schema_version
from store.observations import ObservationsMixin
from store.reporting import ReportingMixin
from store.runs import RunsMixin
from store.timestamps import Clock, utc_now
from store.users import UsersMixin

DEFAULT_PATH = Path("var/shopsentinel.db")
DEFAULT_BUSY_TIMEOUT = 10.0


def open_database(path: str | Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Database:
    """Connect to (creating if needed) the SQLite file and set the pragmas; does not migrate.

    `busy_timeout` (seconds) is how long a writer waits for the lock before StoreBusyError. The
    connection uses `isolation_level=None`: the sqlite3 driver starts no transactions by itself, every
    transaction is explicit (see `store.base.write_transaction`).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise StoreOpenError(f"{path}: cannot open the database: {error}") from error
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise NotADatabaseError(path) from error
        raise _open_error(path, "cannot read the database", error) from error
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        journal_mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as error:
        conn.close()
        raise _open_error(path, "cannot configure the database", error) from error
    if journal_mode != "wal":
        conn.close()
        raise StoreOpenError(f"{path}: SQLite refused WAL journal mode (got {journal_mode!r}); is it a network drive?")
    return Database(conn, execute_plugins=False)


def _open_error(path: Path, doing: str, error: sqlite3.Error) -> StoreError:
    """Another connection's lock (a rollback-journal file locked by a writer) passes; other errors stay."""
    return (StoreBusyError if is_busy(error) else StoreOpenError)(f"{path}: {doing}: {error}")


class Store(RunsMixin, CatalogMixin, ObservationsMixin, AnalysisMixin, AlertsMixin, DeliveriesMixin,
            ReportingMixin, JobsMixin, UsersMixin):
    """The ShopSentinel database: every stage reads and writes through this object, never through SQL.

    Use one Store per process and thread. Writes of one crawl item go in one `with store.transaction():`
    block so a crash keeps items whole. Close it (or use it as a context manager) when done.
    """

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PATH, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
             clock: Clock = utc_now) -> Store:
        """Open the file (creating it and its parent folders if needed) and migrate it to the latest schema.
        What the store records undated is stamped with `clock()` (real time unless a simulation says otherwise).

        Raises NotADatabaseError for a file that is not SQLite, ForeignDatabaseError for another
        application's SQLite file, SchemaTooNewError for a file migrated by a newer ShopSentinel, StoreBusyError
        when another connection's lock outlasts `busy_timeout`.
        """
        path = Path(path)
        db = open_database(path, busy_timeout)
        try:
            migrate(db, path)
        except BaseException:
            db.close()
            raise
        return cls(db, path, clock)

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return schema_version(self._db)

    def close(self) -> None:
        """Close the connection; an open transaction is rolled back."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_store(path: str | Path = DEFAULT_PATH, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
               clock: Clock = utc_now) -> Store:
    """Shorthand for `Store.open`."""
    return Store.open(path, busy_timeout=busy_timeout, clock=clock)
