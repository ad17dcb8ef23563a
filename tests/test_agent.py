"""The command line: help everywhere, meaningful exit codes, and `demo` running the marketplace until Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent import ExitCode, app
from conftest import fetch

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

COMMANDS = [[], ["demo"], ["scan"], ["daemon"], ["report"], ["check"], ["extract"], ["sentiment"], ["alerts"],
            ["alerts", "list"], ["alerts", "show"], ["alerts", "ack"], ["alerts", "resolve"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_no_arguments_shows_help():
    result = runner.invoke(app, [])
    assert "demo" in result.output and "scan" in result.output


def test_unknown_option_is_a_usage_error():
    assert runner.invoke(app, ["demo", "--no-such-option"]).exit_code == ExitCode.USAGE


def test_broken_config_stops_demo_with_the_key_named(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace("[store]", "[store]\nbogus_key = 1", 1),
                   encoding="utf-8")
    result = runner.invoke(app, ["--config", str(bad), "demo", "--port", "0"])
    assert result.exit_code == ExitCode.CONFIG
    assert "bogus_key" in result.output and str(bad) in result.output.replace("\n", "")


def test_commands_of_later_versions_say_so_and_do_nothing():
    result = runner.invoke(app, ["daemon"])
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "not available" in result.output


def start_demo(config: Path, *args: str) -> tuple[subprocess.Popen, dict]:
    """Run `agent.py demo --json` in a child process and return it with its ready line."""
    process = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "demo", "--json",
                                *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not line or not line[0]:
        process.kill()
        pytest.fail(f"demo did not start: {process.stderr.read()}")
    return process, json.loads(line[0])


@pytest.fixture
def config_copy(tmp_path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return config


@pytest.mark.integration
def test_demo_serves_the_marketplace_and_stops_cleanly_on_ctrl_c(config_copy):
    process, ready = start_demo(config_copy, "--port", "0")
    try:
        assert set(ready["sites"]) == {"control", "shangcheng", "laodian", "kuaigou"}
        truth = json.loads(fetch(ready["ground_truth_url"]).body)
        assert truth["step"] == 0
        assert json.loads(Path(ready["ground_truth_file"]).read_text(encoding="utf-8"))["step"] == 0
        assert Path(ready["ground_truth_file"]).is_relative_to(config_copy.parent)
        assert fetch(ready["sites"]["shangcheng"] + "/item/SC10001.html").status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.integration
def test_demo_falls_back_to_free_ports_when_its_port_is_taken(config_copy):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, ready = start_demo(config_copy, "--port", str(port))
        try:
            assert not ready["sites"]["control"].endswith(f":{port}")
            assert fetch(ready["sites"]["laodian"] + "/top.php").status == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
            assert "taken" in process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
