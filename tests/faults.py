"""Real store faults for the integration tests: a database locked by another process, and a command run without
root's power to ignore file permissions (tests run as root, and root writes into a mode-555 folder regardless).

`unprivileged` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the command's capability bounding set with
util-linux's setpriv: the process stays uid 0 and the owner of the test's files, but file modes now bind it like
any user, so `chmod 555 var` makes var/ read-only to it and `chmod 000 config.toml` makes the file unreadable.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HOLD_LOCK = """\
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(600)
"""


@contextmanager
def database_locked(path: Path) -> Iterator[None]:
    """Another process holds the database's write lock (BEGIN EXCLUSIVE, as a backup tool would) in the block."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        yield
    finally:
        holder.kill()
        holder.wait()


PRIVILEGES = ["--bounding-set", "-dac_override,-dac_read_search"]


def unprivileged(command: list[str]) -> list[str]:
    """`command` run without the capabilities that let root ignore file modes; skips the test where that fails."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    probe = subprocess.run([setpriv, *PRIVILEGES, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop capabilities here: {probe.stderr.strip()}")
    return [setpriv, *PRIVILEGES, *command]


def one_error_line(stderr: str) -> str:
    """The one `error:` line of a command's stderr, which must hold no traceback; callers check the line ends as
    the message does (rich wraps a long line at 80 columns when stderr is not a terminal)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]
