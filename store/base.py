"""The store's connection core: transactions and error translation shared by every query module.

Transactions with sqlite-utils 4: `Database.atomic()` opens a plain (deferred) `BEGIN` at the outermost level
and a SAVEPOINT when a transaction is already open; `Database.execute()` commits a write at once unless a
transaction is open. The store opens its connection with `isolation_level=None`, so the sqlite3 driver never
starts transactions on its own; the outermost block is started here with `BEGIN IMMEDIATE` (the write lock is
taken up front, so the busy timeout applies there, instead of a deferred transaction failing with SQLITE_BUSY
when it later tries to upgrade from reading to writing), and nested blocks are savepoints as in `atomic()`, but
under one fixed name (see `_savepoint`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from store.errors import ConstraintError, InvalidRecordError, StoreBusyError, StoreDatabaseError, StoreError
from store.timestamps import Clock, utc_now

Params = Sequence[Any] | dict[str, Any]


def translate_sqlite_error(path: Path, error: sqlite3.Error, action: str) -> StoreError:
    """Turn a sqlite3 exception into the matching StoreError, naming the file and what was being done."""
    message = f"{path}: {action} failed: {error}"
    if isinstance(error, sqlite3.IntegrityError):
        return ConstraintError(message)
    if is_busy(error):
        return StoreBusyError(message)
    return StoreDatabaseError(message)


def is_busy(error: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for a lock another connection holds (temporary, unlike other errors)."""
    return getattr(error, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


@contextmanager
def write_transaction(db: Database, path: Path) -> Iterator[None]:
    """One atomic block: all its writes commit together or none do.

    Outermost: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt included).
    Nested: a savepoint (`_savepoint`); an exception rolls back only the nested block, and the
    enclosing block decides whether to go on (if it catches the exception) or to roll back too.
    """
    if db.conn.in_transaction:
        with _savepoint(db.conn):
            yield
        return
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise translate_sqlite_error(path, error, "starting a write transaction") from error
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    try:
        db.commit()
    except sqlite3.Error as error:
        db.rollback()
        raise translate_sqlite_error(path, error, "committing a write transaction") from error


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    """A nested block. One fixed name (SQLite releases or rolls back to the innermost savepoint of that name), so
    the statements come from sqlite3's statement cache: sqlite-utils' atomic() names each one at random, and
    compiling three fresh statements cost 6 µs a block against 1.3 (the crawl pipeline opens two per item)."""
    conn.execute("SAVEPOINT nested_write")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # a RAISE(ROLLBACK) trigger ends the whole transaction, savepoints included
            conn.execute("ROLLBACK TO SAVEPOINT nested_write")
            conn.execute("RELEASE SAVEPOINT nested_write")
        raise
    conn.execute("RELEASE SAVEPOINT nested_write")


def to_json(value: Any, path: Path, what: str) -> str:
    """Serialise a JSON column value; non-serialisable values are refused before they reach SQLite."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise InvalidRecordError(f"{path}: {what} is not JSON-serialisable: {error}") from error


class StoreBase:
    """Holds the connection and the clock; the table-family mixins build their queries on `_execute` and `_rows`
    and stamp with `clock()` whatever the caller does not date itself."""

    def __init__(self, db: Database, path: Path, clock: Clock = utc_now) -> None:
        self._db = db
        self.path = path
        self.clock = clock

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic block (see `write_transaction`); blocks nest as savepoints.

        Every public write method runs in its own block too, so a single call is atomic by itself and
        joins the caller's block when there is one. A process killed mid-block loses that block only.
        """
        with write_transaction(self._db, self.path):
            yield

    def _execute(self, sql: str, params: Params = (), action: str = "a write") -> sqlite3.Cursor:
        """Run one parameterised statement; inside a transaction it joins it."""
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise translate_sqlite_error(self.path, error, action) from error

    def _rows(self, sql: str, params: Params = (), action: str = "a query") -> list[dict[str, Any]]:
        """Run one parameterised query and fetch all its rows as dicts."""
        try:
            return list(self._db.query(sql, params))
        except sqlite3.Error as error:
            raise translate_sqlite_error(self.path, error, action) from error

    def _insert(self, table: str, row: Mapping[str, Any], action: str) -> int:
        """Insert one row and return its id."""
        cursor = self._execute(_insert_sql(table, row), dict(row), action)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _insert_new(self, table: str, rows: Sequence[Mapping[str, Any]], unique: str, action: str) -> int:
        """Insert rows (all with the same columns) unless their `unique` columns' values are stored already;
        return how many were new. One prepared statement for all of them: a review page brings dozens.

        Only that uniqueness conflict is skipped: other constraint failures still raise (INSERT OR IGNORE
        would silently drop rows breaking NOT NULL or CHECK constraints too).
        """
        if not rows:
            return 0
        sql = f"{_insert_sql(table, rows[0])} ON CONFLICT ({unique}) DO NOTHING"
        try:
            return self._db.conn.executemany(sql, rows).rowcount  # summed over the rows: ignored ones add 0
        except sqlite3.Error as error:
            raise translate_sqlite_error(self.path, error, action) from error


def _insert_sql(table: str, row: Mapping[str, Any]) -> str:
    """INSERT with named placeholders: table and column names come from code, values are always bound."""
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
