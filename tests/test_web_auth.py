"""The console's accounts and sign-in on their own: the throttle's counting, argon2 passwords, `agent.py users`,
and `agent.py serve` refusing to start without its signing key."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from agent import ExitCode, app
from conftest import ROOT, fast_config
from store import open_store
from web.auth import LoginThrottle, PasswordTooShort, hash_password, password_matches

runner = CliRunner()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_counts_failures_per_name_and_per_address_within_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(per_name=3, per_address=5, window=timedelta(minutes=10), clock=clock)
    for _ in range(3):
        assert throttle.wait("li", "10.0.0.1") == 0
        throttle.failed("li", "10.0.0.1")
        clock.now += 60
    assert throttle.wait("li", "10.0.0.2") == pytest.approx(600 - 180)  # the name, from any address
    assert throttle.wait("wang", "10.0.0.1") == 0
    throttle.failed("wang", "10.0.0.1")
    throttle.failed("zhao", "10.0.0.1")
    assert throttle.wait("sun", "10.0.0.1") == pytest.approx(420)  # the address, for any name
    clock.now += 421  # the first failure has left the window: one attempt more for the address
    assert throttle.wait("sun", "10.0.0.1") == 0 and throttle.wait("li", "10.0.0.3") == 0
    throttle.succeeded("wang")
    assert ("name", "wang") not in throttle.failures


def test_passwords_are_argon2_hashes_checked_in_the_same_time_for_unknown_names() -> None:
    from store import UserRow

    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    user = UserRow(id=1, name="li", role="viewer", password_hash=hashed, created_at=None)
    assert password_matches(user, "a long enough password")
    assert not password_matches(user, "a long enough passworD") and not password_matches(None, "anything")
    with pytest.raises(PasswordTooShort):
        hash_password("short")


def test_users_add_list_remove(tmp_path) -> None:
    config = str(fast_config(tmp_path))
    added = runner.invoke(app, ["--config", config, "users", "add", "wang", "--role", "operator"],
                          input="correct horse battery\ncorrect horse battery\n")
    assert added.exit_code == 0, added.output
    mismatch = runner.invoke(app, ["--config", config, "users", "add", "li"], input="first password\nsecond one!\n")
    assert mismatch.exit_code != 0
    short = runner.invoke(app, ["--config", config, "users", "add", "li"], input="short\nshort\n")
    assert short.exit_code == ExitCode.USAGE and "10" in short.output
    again = runner.invoke(app, ["--config", config, "users", "add", "wang"], input="another password\n" * 2)
    assert again.exit_code == ExitCode.USAGE and "exists already" in again.output
    bad_role = runner.invoke(app, ["--config", config, "users", "add", "li", "--role", "root"])
    assert bad_role.exit_code == ExitCode.USAGE
    listed = runner.invoke(app, ["--config", config, "users", "list", "--json"])
    assert '"name": "wang"' in listed.output and '"role": "operator"' in listed.output
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        user = store.user("wang")
        assert "correct horse" not in user.password_hash and password_matches(user, "correct horse battery")
    assert runner.invoke(app, ["--config", config, "users", "remove", "wang"]).exit_code == 0
    assert runner.invoke(app, ["--config", config, "users", "remove", "wang"]).exit_code == ExitCode.USAGE


@pytest.mark.integration
def test_serve_will_not_start_without_a_long_enough_signing_key(tmp_path) -> None:
    config = str(fast_config(tmp_path))
    for value, expected in (("", "is not set"), ("short", "at least 32")):
        env = {"PATH": "/usr/bin:/bin", "SHOPSENTINEL_WEB_SECRET": value}
        result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", config, "serve", "--port", "1"],
                                capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
        assert result.returncode == ExitCode.CONFIG and "SHOPSENTINEL_WEB_SECRET" in result.stderr, result.stderr
        assert expected in result.stderr
