"""The operator console for tests: `agent.py serve` in a child process on a free loopback port over a store of the
test's own, accounts made through the store, and a plain HTTP client that keeps its session cookie."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT
from delivery.capture import free_port
from store import Store, UserRecord
from tests.processes import stop
from web.auth import hash_password

PASSWORDS = {"wang": "wang-operator-pw", "li": "li-operator-pw", "zhao": "zhao-viewer-pw", "sun": "sun-admin-pw"}
ROLES = {"wang": "operator", "li": "operator", "zhao": "viewer", "sun": "admin"}


def add_accounts(store: Store) -> None:
    for name, password in PASSWORDS.items():
        store.add_user(UserRecord(name=name, role=ROLES[name], password_hash=hash_password(password)))


@contextmanager
def serving(config: Path) -> Iterator[str]:
    """`agent.py --config CONFIG serve` until the block ends; yields its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "SHOPSENTINEL_WEB_SECRET": secrets.token_hex(32)}
    process = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "serve",
                                "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the console did not start: {process.stderr.read()}") from None
                time.sleep(0.1)
        yield base
    finally:
        stop(process)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def location(self) -> str:
        return self.headers.get("location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - urllib's signature
        return None


class Browser:
    """A plain HTTP client with a cookie jar; it follows no redirect, so a test sees each answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        data = urllib.parse.urlencode(fields).encode()
        return self._send(urllib.request.Request(self.base + path, data=data, method="POST"))

    def csrf(self, path: str = "/signin") -> str:
        """The CSRF token a page of the console carries in its forms."""
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).body)
        assert found, f"no CSRF token in {path}"
        return found.group(1)

    def sign_in(self, name: str, password: str | None = None) -> Answer:
        return self.post("/signin", {"csrf_token": self.csrf(), "name": name,
                                     "password": PASSWORDS[name] if password is None else password})

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                              response.read().decode())
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode())
