"""The store's error hierarchy.

Every error the store raises is a `StoreError`, so a caller (the command line, a crawl pipeline) can catch one
class and show the message as it is: messages name the database file, because an operator with several
databases (a daemon's, a test scan's) must know which one is wrong.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class of every error raised by the store."""


class UnwritableError(StoreError):
    """A folder or file ShopSentinel keeps its data in, beside the database (var/: logs, outbox, reports, the
    daemon's lock file), cannot be written: a fault of the data directory like a read-only database, not of one run."""

    def __init__(self, path: Path, what: str, error: OSError) -> None:
        super().__init__(f"{path}: cannot write {what}: {error.strerror or error}")
        self.path = path


class StoreOpenError(StoreError):
    """The database file could not be opened or prepared (permissions, WAL unavailable, ...)."""


class NotADatabaseError(StoreOpenError):
    """The file exists but is not a SQLite database."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: not a SQLite database (refusing to open it as the ShopSentinel store)")
        self.path = path


class ForeignDatabaseError(StoreOpenError):
    """The file is a SQLite database of some other application: migrating it would damage it."""

    def __init__(self, path: Path, tables: list[str]) -> None:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        super().__init__(
            f"{path}: a SQLite database without ShopSentinel's schema_migrations table "
            f"(it holds {shown}); refusing to add the ShopSentinel schema to it"
        )
        self.path = path


class SchemaTooNewError(StoreOpenError):
    """The file was migrated by a newer ShopSentinel: this code would misread it."""

    def __init__(self, path: Path, found: int, known: int) -> None:
        super().__init__(
            f"{path}: schema version {found} is newer than this ShopSentinel knows (latest {known}); "
            "upgrade ShopSentinel or open another database"
        )
        self.path = path
        self.found = found
        self.known = known


class MigrationError(StoreError):
    """A migration failed; its transaction was rolled back, so the file stays at the previous version."""


class InvalidRecordError(StoreError, ValueError):
    """A record handed to the store breaks a rule of its type (a price observation without a price, ...)."""


class StoredMessageError(StoreError):
    """A stored alert message (JSON of an i18n.Message) does not parse: a bug or a damaged row, never guessed at."""


class NotFoundError(StoreError, LookupError):
    """A row looked up by id does not exist."""


class RunStateError(StoreError):
    """A crawl run was asked to change state in a way its current state forbids."""


class AlertStateError(StoreError):
    """An alert was asked to change state in a way its current state forbids (e.g. acknowledging a resolved one)."""


class ProductConflictError(StoreError):
    """A product record matches two different stored products (one by item id, one by url)."""


class StoreDatabaseError(StoreError):
    """SQLite refused a statement; the message carries SQLite's reason."""


class ConstraintError(StoreDatabaseError):
    """A write broke a schema constraint (NOT NULL, CHECK, UNIQUE, FOREIGN KEY)."""


class StoreBusyError(StoreDatabaseError):
    """Another connection held the lock longer than the busy timeout: a temporary state (a backup, another
    writer), unlike the other errors here; trying again later can succeed."""
