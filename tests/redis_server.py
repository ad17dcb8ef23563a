"""A private redis-server for tests: started on a free loopback port with nothing saved to disk, stopped after.

Tests that need one skip, saying why, where no redis-server is installed, except on CI (the CI variable set),
where a missing server is a broken set-up (scripts/ensure-redis.sh) and must fail loudly instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis

from delivery.capture import free_port
from tests.processes import stop


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int
    password: str | None = None

    @property
    def url(self) -> str:
        return f"redis://{f':{self.password}@' if self.password else ''}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


def redis_server_path() -> str:
    """The redis-server to run; skips the test where there is none (and fails on CI)."""
    path = shutil.which("redis-server")
    if path is None:
        message = "no redis-server on PATH: run scripts/ensure-redis.sh (or apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def running_redis(*, port: int | None = None, password: str | None = None,
                  timeout: float = 10) -> Iterator[RedisServer]:
    """A redis-server on 127.0.0.1 (on `port`, else a free one), persisting nothing, asking for `password` if
    given; stopped on exit."""
    port = port or free_port()
    command = [redis_server_path(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if password:
        command += ["--requirepass", password]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = RedisServer(process, port, password)
    try:
        wait_until_ready(server, timeout)
        yield server
    finally:
        stop(process)


def wait_until_ready(server: RedisServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    client = server.client()
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if server.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {server.process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()
