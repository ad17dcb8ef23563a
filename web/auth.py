"""Who is signed in and what they may do: argon2 password hashes, the signed session cookie's contents, roles,
CSRF tokens and the sign-in throttle.

The session cookie (Starlette's SessionMiddleware: signed with itsdangerous, HttpOnly, SameSite=Strict) holds only
the user's name and the session's CSRF token. The user is looked up in the store on every request, so removing an
account ends its sessions at once, and a changed role applies at the next click.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from i18n import _
from store import UserRow

MIN_PASSWORD_CHARS = 10
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 1_000_000  # the largest form: a compliance paste of 500 long titles
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults: 64 MiB of memory per hash


@cache
def _unknown_user_hash() -> str:
    """Checked against when the name is unknown, so a wrong name takes as long as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


class SignInRequired(Exception):
    """The request needs a signed-in user and has none: the app answers with the sign-in page."""


class PasswordTooShort(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordTooShort(_("A password needs at least {n} characters.", n=MIN_PASSWORD_CHARS))
    return _hasher.hash(password)


def password_matches(user: UserRow | None, password: str) -> bool:
    """Whether `password` is `user`'s; False for no user, after the same work as for a real one."""
    try:
        return _hasher.verify(user.password_hash if user else _unknown_user_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it in CSRF_FIELD."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, if it carries the session's CSRF token; 403 otherwise. A page of another site can make a
    browser post here, but cannot read the token (and SameSite=Strict keeps the cookie off such a post anyway)."""
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        raise HTTPException(413, _("This form is too large."))
    form = await request.form(max_files=0, max_fields=20)
    sent, expected = form.get(CSRF_FIELD), request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, _("This form has expired or did not come from the console. Reload the page and "
                                   "try again."))
    return form


def start_session(request: Request, user: UserRow) -> None:
    """A fresh session for `user`: whatever the cookie held before (a token planted by someone else) is dropped."""
    request.session.clear()
    request.session["user"] = user.name
    csrf_token(request)


def session_user_name(request: Request) -> str | None:
    name = request.session.get("user")
    return name if isinstance(name, str) else None


def require_role(user: UserRow | None, role: str) -> UserRow:
    """`user`, if signed in and holding `role` (or a stronger one): SignInRequired or 403 otherwise."""
    if user is None:
        raise SignInRequired
    if not user.may(role):
        raise HTTPException(403, _("Your account ({role}) cannot do this.", role=user.role))
    return user


class LoginThrottle:
    """Sign-in attempts wait once too many wrong passwords were given within `window`, for one user name (a guess
    at one account) or from one client address (guesses spread over names). Kept in memory: a restart forgets,
    which costs an attacker a restart of our server per window, and keeps the store free of attacker-made rows."""

    def __init__(self, *, per_name: int, per_address: int, window: timedelta,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"name": per_name, "address": per_address}
        self.window = window.total_seconds()
        self.clock = clock
        self.failures: dict[tuple[str, str], deque[float]] = {}

    def wait(self, name: str, address: str) -> float:
        """Seconds before this name may be tried again from this address; 0 when it may be now."""
        now = self.clock()
        self._forget_before(now - self.window)
        waits = [times[0] + self.window - now for key in self._keys(name, address)
                 if len(times := self.failures.get(key, ())) >= self.limits[key[0]]]
        return max(waits, default=0.0)

    def failed(self, name: str, address: str) -> None:
        for key in self._keys(name, address):
            self.failures.setdefault(key, deque()).append(self.clock())

    def succeeded(self, name: str) -> None:
        self.failures.pop(("name", name), None)

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("name", name), ("address", address)

    def _forget_before(self, moment: float) -> None:
        for key in list(self.failures):
            times = self.failures[key]
            while times and times[0] <= moment:
                times.popleft()
            if not times:
                del self.failures[key]
