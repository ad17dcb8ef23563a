"""The console's accounts: a name, a role and a password hash. Hashing and checking passwords is the console's
job (web/auth.py); the store keeps only the hash it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.base import StoreBase
from store.errors import ConstraintError, InvalidRecordError
from store.records import _check_choice, _check_text, from_columns  # the records' shared checks
from store.timestamps import from_db_time, to_db_time

USER_ROLES = ("viewer", "operator", "admin")  # each may do what the ones before it may


@dataclass(frozen=True, kw_only=True)
class UserRecord:
    name: str
    role: str
    password_hash: str

    def __post_init__(self) -> None:
        _check_text(self, "name", required=True)
        _check_text(self, "password_hash", required=True)
        _check_choice(self, "role", USER_ROLES, required=True)
        if self.name != self.name.strip() or any(c.isspace() for c in self.name):
            raise InvalidRecordError(f"UserRecord.name must be one word without spaces, got {self.name!r}")


@dataclass(frozen=True, kw_only=True)
class UserRow(UserRecord):
    id: int
    created_at: datetime

    def may(self, role: str) -> bool:
        """Whether this user holds `role` or a stronger one."""
        return USER_ROLES.index(self.role) >= USER_ROLES.index(role)


def _user_row(row: dict[str, Any]) -> UserRow:
    return from_columns(UserRow, row, created_at=from_db_time(row["created_at"]))


class UsersMixin(StoreBase):
    def add_user(self, user: UserRecord) -> UserRow:
        """Store a new account; ConstraintError when the name is taken."""
        with self.transaction():
            if self.user(user.name) is not None:
                raise ConstraintError(f"{self.path}: a user named {user.name!r} exists already")
            self._insert("users", {"name": user.name, "role": user.role, "password_hash": user.password_hash,
                                   "created_at": to_db_time(self.clock())}, f"storing user {user.name!r}")
        found = self.user(user.name)
        assert found is not None
        return found

    def user(self, name: str) -> UserRow | None:
        """The account named `name`, None if there is none."""
        rows = self._rows("SELECT * FROM users WHERE name = ?", (name,))
        return _user_row(rows[0]) if rows else None

    def users(self) -> list[UserRow]:
        """Every account, by name."""
        return [_user_row(row) for row in self._rows("SELECT * FROM users ORDER BY name")]

    def remove_user(self, name: str) -> bool:
        """Delete the account; False when there was none. Its sessions end with it (the console looks the
        user up on every request) and its name stays in the alert history it wrote."""
        with self.transaction():
            cursor = self._execute("DELETE FROM users WHERE name = ?", (name,), f"removing user {name!r}")
        return cursor.rowcount > 0
