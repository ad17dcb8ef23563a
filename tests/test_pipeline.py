"""The whole cycle under a hard kill: `agent.py scan` in a child process on the demo marketplace, SIGKILLed between
its crawl and its monitors, then run again, raises every alert an uninterrupted scan raises."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, fast_config
from store import open_store

# The undercut keyword on one platform, three listings: small enough that the scripted undercut moves the band.
SCAN = ["scan", "-k", "露营椅", "-p", "shangcheng", "--top", "3", "--no-send"]
TIMEOUT_S = 300


def scan(config: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), *SCAN],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stderr


def scan_killed_before_monitors(config: Path) -> None:
    """SIGKILL the scan when it announces analysis: its crawl has ended and committed, its monitors have not run."""
    process = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "--config", str(config), *SCAN],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if "analysing reviews" in line:
                process.send_signal(signal.SIGKILL)
                break
        assert process.wait(TIMEOUT_S) == -signal.SIGKILL, "the scan ended before it reached its monitors"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def alerts(config: Path) -> list[tuple[str, str]]:
    with open_store(config.parent / "var" / "shopsentinel.db") as store:
        return sorted((alert.kind, str(alert.title)) for alert in store.alerts())


@pytest.mark.integration
def test_a_scan_killed_between_crawl_and_monitors_loses_no_alert(tmp_path, fresh_marketplace):
    market = fresh_marketplace
    reference, killed = (fast_config(tmp_path / name, market.sites) for name in ("reference", "killed"))
    for config in (reference, killed):
        market.set_step(0)
        scan(config)                                   # the baseline
        market.set_step(1)                             # the scripted incidents happen
        if config is killed:
            before = alerts(killed)
            scan_killed_before_monitors(killed)
            with open_store(killed.parent / "var" / "shopsentinel.db") as store:
                crawled = store.runs(limit=3)
            assert alerts(killed) == before, "killed before the monitors: nothing raised"
            assert crawled and all(run.status == "ok" for run in crawled), "killed after the crawl committed"
        scan(config)
    expected = alerts(reference)
    assert "band_shift" in {kind for kind, _ in expected}, "the undercut moves the keyword's band"
    assert alerts(killed) == expected
