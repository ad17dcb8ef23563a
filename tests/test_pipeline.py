"""The whole cycle under a hard kill: `agent.py scan` in a child process on the demo marketplace, SIGKILLed between
its crawl and its monitors, then run again, raises every alert an uninterrupted scan raises. And a cycle on a
simulated clock (the demo's scenario days) dates everything it records by that clock, the report's period too."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config import load_config
from conftest import ROOT, fast_config
from pipeline import run_cycle
from reports import gather_report
from store import PriceObservation, ProductRecord, open_store
from store.timestamps import ShiftedClock

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


def test_a_cycle_on_a_simulated_clock_is_dated_by_it_and_so_is_the_report(tmp_path):
    config_path = fast_config(tmp_path)
    config = load_config(config_path)
    day = datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)   # a scenario day, weeks before the real date
    clock = ShiftedClock.starting_at(day)
    with open_store(config.store.path, clock=clock) as store:   # what a crawl on that clock stores
        run = store.begin_run("product", platform="laodian")
        own = store.upsert_product(ProductRecord(platform="laodian", url="http://127.0.0.1/goods.php?id=9",
                                                 item_id="9", title="山野优选充电宝", own=True, cost=50.0,
                                                 band_min=60.0, band_max=90.0))
        store.add_price_observation(own, PriceObservation(price=45.0), run_id=run)
        store.finish_run(run, "ok", stats={"pages": 1, "items": {"products": 1}, "platforms": {}})

    cycle = run_cycle(config_path, config, None, send=False, clock=clock)

    with open_store(config.store.path, clock=clock) as store:
        [observed] = store.price_histories([own], since=day - timedelta(hours=1), until=day + timedelta(hours=1))[own]
        recorded = store.get_run(run)
        [below_cost] = [alert for alert in store.alerts() if alert.kind == "price_below_cost"]
        report = gather_report(store, config, days=7)
    stamps = {"observation": observed.observed_at, "run start": recorded.started_at, "run end": recorded.ended_at,
              "cycle": cycle.started_at, "alert": below_cost.created_at, "report end": report.period.end}
    assert {what: moment for what, moment in stamps.items() if not day <= moment < day + timedelta(minutes=5)} == {}
    assert report.period.start == report.period.end - timedelta(days=7)
    [charted] = report.ungrouped_own
    assert (charted.observations, charted.latest) == (1, 45.0), "the report's week is the simulated one"
    assert [line.alert.id for line in report.alerts] == [below_cost.id]
