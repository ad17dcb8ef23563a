"""The daemon: schedule computation, the store lock, platform-failure alerts, status, log scrubbing, and (marked
integration) real `agent.py daemon` processes against the demo marketplace: --once, SIGTERM during a crawl."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import i18n
from agent import ExitCode, app
from config import load_config
from conftest import fast_config
from monitors.health import page_troubles, platform_outages, raise_outage_alerts, raise_page_state_alerts
from daemon.lock import DaemonLock, lock_path_for, lock_state
from daemon.logs import SecretScrubber
from daemon.plans import plan_for
from daemon.schedule import (CRAWL_JOBS, DIGEST_JOB, DUE_TOGETHER_SPACING, JOBS, RETRAIN_JOB, first_start,
                             next_run_window, trigger_for)
from store import ProductRecord, SearchHit, open_store

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = timezone(timedelta(hours=8))


def daemon_config(directory: Path, sites: dict[str, str] | None = None, *, keywords: str = "",
                  own_platforms: tuple[str, ...] | None = None, schedule: dict[str, str] | None = None,
                  smtp_port: int | None = None, **crawl: object) -> Path:
    """The demo config (see fast_config) cut down for daemon tests: `keywords` replaces the [[keywords]] tables,
    `own_platforms` keeps only those platforms' own products, `schedule` replaces [schedule] values, and
    `smtp_port` sends mail to a plain SMTP server on 127.0.0.1. The sentiment model of the checkout is reused
    (training one per test would take minutes), so the retrain job is off unless `schedule` sets retrain_min_new:
    it would write its models into the checkout's."""
    path = fast_config(directory, sites, **crawl)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[[keywords]]"), text.index("# ----", text.index("[[keywords]]"))
    text = text[:start] + keywords + "\n\n" + text[end:]
    if own_platforms is not None:
        text = re.sub(r'(?m)^\[\[own_products\]\]\n(?:.+\n)*',  # one table: up to the next blank line
                      lambda table: table[0] if re.search(r'platform = "(\w+)"', table[0])[1] in own_platforms
                      else "", text)
    for key, value in ({"retrain_min_new": "0"} | (schedule or {})).items():
        text, found = re.subn(rf'(?m)^{key} = .*$', f"{key} = {value}", text, count=1)
        assert found, key
    if smtp_port is not None:
        text = re.sub(r'(?m)^host = "".*$', 'host = "127.0.0.1"', text, count=1)
        text = re.sub(r"(?m)^port = 587.*$", f"port = {smtp_port}", text, count=1)
        text = re.sub(r'(?m)^security = "starttls".*$', 'security = "plain"', text, count=1)
        text = re.sub(r"(?m)^timeout_s = .*$", "timeout_s = 5.0", text, count=1)
    path.write_text(text, encoding="utf-8")
    models = directory / "var" / "models"
    models.parent.mkdir(parents=True, exist_ok=True)
    if (ROOT / "var" / "models").is_dir() and not models.exists():
        models.symlink_to(ROOT / "var" / "models")
    return path


def agent(config: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def config(tmp_path):
    return load_config(daemon_config(tmp_path))


# --- schedule ---------------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai, after the 08:30 digest


def test_jobs_never_run_start_now_in_pipeline_order(config):
    starts = [first_start(job, config.schedule, None, NOW) for job in CRAWL_JOBS]
    assert starts == [NOW + i * DUE_TOGETHER_SPACING for i in range(len(CRAWL_JOBS))]


def test_a_job_runs_one_interval_after_its_last_start(config):
    last = NOW - timedelta(minutes=10)
    assert first_start("prices", config.schedule, last, NOW) == last + timedelta(minutes=30)
    assert first_start("hot_terms", config.schedule, last, NOW) == last + timedelta(hours=1)
    overdue = NOW - timedelta(hours=3)
    assert first_start("reviews", config.schedule, overdue, NOW) == NOW + 2 * DUE_TOGETHER_SPACING


def test_next_run_window_spans_the_jitter(config):
    window = next_run_window("prices", config.schedule, NOW - timedelta(minutes=10), NOW)
    assert window.latest - window.earliest == timedelta(minutes=5)
    digest = next_run_window(DIGEST_JOB, config.schedule, NOW - timedelta(minutes=20), NOW)
    assert digest.earliest == digest.latest


def test_jitter_delays_each_run_by_up_to_the_configured_amount(config):
    start = NOW + timedelta(minutes=1)
    trigger = trigger_for("prices", config.schedule, start)
    delays = [trigger.get_next_fire_time(None, NOW) - start for _ in range(200)]
    assert all(timedelta(0) <= delay <= timedelta(minutes=5) for delay in delays)
    assert max(delays) - min(delays) > timedelta(minutes=1), "the delays are random, not one fixed offset"
    later = trigger.get_next_fire_time(start, start)
    assert timedelta(minutes=30) <= later - start <= timedelta(minutes=35)


def test_retrain_runs_daily_after_the_crawls_and_without_jitter(config):
    assert first_start(RETRAIN_JOB, config.schedule, None, NOW) == NOW + len(CRAWL_JOBS) * DUE_TOGETHER_SPACING
    window = next_run_window(RETRAIN_JOB, config.schedule, NOW - timedelta(hours=1), NOW)
    assert window.earliest == window.latest == NOW + timedelta(hours=23), "it reads no site: no jitter"
    trigger = trigger_for(RETRAIN_JOB, config.schedule, NOW)
    assert trigger.get_next_fire_time(NOW, NOW) == NOW + timedelta(days=1)


def test_digest_runs_at_the_local_time_of_the_configured_zone(config):
    before = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai
    digest = first_start(DIGEST_JOB, config.schedule, None, before)
    assert digest == datetime(2026, 3, 2, 8, 30, tzinfo=SHANGHAI)
    after = first_start(DIGEST_JOB, config.schedule, None, NOW)  # a fresh install waits for the next 08:30
    assert after == datetime(2026, 3, 3, 8, 30, tzinfo=SHANGHAI)
    fire = trigger_for(DIGEST_JOB, config.schedule, after).get_next_fire_time(None, NOW)
    assert fire == datetime(2026, 3, 3, 8, 30, tzinfo=SHANGHAI)


def test_a_digest_missed_while_the_daemon_was_down_goes_out_at_start(config):
    yesterday = datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc)  # yesterday's 08:30 digest ran
    assert first_start(DIGEST_JOB, config.schedule, yesterday, NOW) == NOW
    today = datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc)
    assert first_start(DIGEST_JOB, config.schedule, today, NOW) == datetime(2026, 3, 3, 8, 30, tzinfo=SHANGHAI)


# --- lock -------------------------------------------------------------------------------------------------------

def test_lock_state_names_the_holder_and_is_free_after_release(tmp_path):
    path = lock_path_for(tmp_path / "shop.db")
    assert not lock_state(path).held
    with DaemonLock(path):
        state = lock_state(path)
        assert state.held and state.holder.pid == os.getpid()
    assert not lock_state(path).held


def test_a_second_daemon_on_the_same_database_refuses_to_start(tmp_path):
    config = daemon_config(tmp_path)
    with DaemonLock(lock_path_for(load_config(config).store.path)):
        result = agent(config, "daemon", "--once", timeout=120)
    assert result.returncode == ExitCode.BUSY == 75
    assert f"pid {os.getpid()}" in result.stderr and "already runs" in result.stderr
    with open_store(load_config(config).store.path) as store:
        assert store.job_runs() == [], "the refused daemon did nothing"


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    path = lock_path_for(tmp_path / "shop.db")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from daemon.lock import DaemonLock\n"
                               f"with DaemonLock(Path({str(path)!r})):\n    print('held', flush=True); time.sleep(60)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert lock_state(path).holder.pid == holder.pid
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert not lock_state(path).held


# --- a busy or unwritable store ---------------------------------------------------------------------------------

class FakeClock:
    """time.monotonic and time.sleep for daemon.busy: sleeping advances the clock at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_busy_store_is_tried_again_with_growing_pauses_within_the_budget(monkeypatch):
    from daemon import busy
    from store import StoreBusyError

    clock = FakeClock()
    monkeypatch.setattr(busy, "time", clock)
    timeouts: list[float] = []

    def always_busy(busy_timeout: float) -> None:
        timeouts.append(busy_timeout)
        clock.now += busy_timeout  # SQLite waited that long before giving up
        raise StoreBusyError("shop.db: starting a write transaction failed: database is locked")

    with pytest.raises(StoreBusyError):
        busy.while_busy(always_busy, 30.0, "recovery")
    # 10 s busy, 1 s pause, 10 s busy, 2 s pause, then SQLite's own wait cut to the 7 s left of the 30.
    assert clock.sleeps == [1.0, 2.0] and timeouts == [10.0, 10.0, 7.0] and clock.now == 30.0


def test_a_store_busy_for_a_while_is_waited_out(monkeypatch):
    from daemon import busy
    from store import StoreBusyError

    clock = FakeClock()
    monkeypatch.setattr(busy, "time", clock)
    attempts = iter([StoreBusyError("busy"), StoreBusyError("busy"), "done"])

    def busy_twice(busy_timeout: float) -> str:
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert busy.while_busy(busy_twice, 300.0, "recovery") == "done"
    assert clock.sleeps == [busy.FIRST_PAUSE_S, 2 * busy.FIRST_PAUSE_S]


def test_a_stop_request_ends_the_wait_for_a_busy_store(monkeypatch):
    from daemon import busy
    from store import StoreBusyError

    clock = FakeClock()
    monkeypatch.setattr(busy, "time", clock)

    def always_busy(busy_timeout: float) -> None:
        raise StoreBusyError("busy")

    with pytest.raises(StoreBusyError):
        busy.while_busy(always_busy, 300.0, "recovery", stop_requested=lambda: True)
    assert clock.sleeps == []


def test_the_busy_wait_comes_from_the_config_and_is_checked(tmp_path):
    from config import ConfigError, config_from_dict
    from daemon.service import Daemon

    config = load_config(daemon_config(tmp_path))
    assert Daemon(tmp_path / "config.toml", config).busy_wait_s == 300, "5 minutes unless configured"
    platforms = {"p": {"name": "p", "base_url": "https://shop.example.com"}}
    given = config_from_dict({"store": {"busy_wait": "1m30s"}, "platforms": platforms}, base_dir=tmp_path)
    assert given.store.busy_wait.total_seconds() == 90
    for bad in ("soon", "-1m", 5):
        with pytest.raises(ConfigError, match="store.busy_wait: expected a duration"):
            config_from_dict({"store": {"busy_wait": bad}, "platforms": platforms}, base_dir=tmp_path)


def test_a_job_facing_a_busy_store_fails_and_the_daemon_goes_on(tmp_path):
    from daemon.jobs import JobRunner

    config_path = daemon_config(tmp_path, own_platforms=())  # nothing to crawl: the prices job only records a run
    config = load_config(config_path)
    runner = JobRunner(config_path, config, on_stage=lambda stage: None, stop_requested=lambda: False,
                       busy_wait_s=0.5)
    with open_store(config.store.path) as holder, holder.transaction():
        started = time.monotonic()
        outcome = runner.run("prices")
        assert time.monotonic() - started < 5
    assert outcome.status == "failed" and "database is locked" in outcome.error
    assert runner.run("prices").status == "ok", "the next run goes through once the lock is gone"


@pytest.mark.integration
def test_daemon_waits_for_a_locked_database_then_exits_75(tmp_path):
    from faults import database_locked, one_error_line

    config = daemon_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    assert 'busy_wait = "5m"' in text
    config.write_text(text.replace('busy_wait = "5m"', 'busy_wait = "3s"'), encoding="utf-8")
    database = load_config(config).store.path
    open_store(database).close()
    with database_locked(database):
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "daemon", "--once"],
                                capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
    assert result.returncode == ExitCode.BUSY == 75, result.stderr
    assert 3 <= took < 10, "waited the busy wait given, not SQLite's 10 s busy timeout"
    line = one_error_line(result.stderr)
    assert str(database) in line and line.endswith("database is locked")


@pytest.mark.integration
@pytest.mark.parametrize("unwritable", ["logs", "lock"])
def test_daemon_with_a_read_only_var_directory_exits_4_naming_the_path(tmp_path, unwritable):
    from faults import one_error_line, unprivileged

    config = daemon_config(tmp_path)
    var = tmp_path / "var"
    if unwritable == "lock":  # the logs' folder is there and writable: the lock file next to the store is not
        (var / "logs").mkdir()
    var.chmod(0o555)
    try:
        result = subprocess.run(unprivileged([sys.executable, str(ROOT / "agent.py"), "--config", str(config),
                                              "daemon", "--once"]), capture_output=True, text=True, timeout=120)
    finally:
        var.chmod(0o755)
    assert result.returncode == ExitCode.STORE == 4, result.stderr
    unwritten = var / "logs" if unwritable == "logs" else lock_path_for(load_config(config).store.path)
    assert one_error_line(result.stderr).startswith(f"error: {unwritten}: cannot write the daemon's")


def test_systemd_restarts_a_busy_daemon_but_not_a_broken_config_or_store():
    unit = (ROOT / "deploy" / "shopsentinel.service").read_text(encoding="utf-8")
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert settings["Restart"] == "on-failure"
    prevented = set(settings["RestartPreventExitStatus"].split())
    assert prevented == {str(int(ExitCode.CONFIG)), str(int(ExitCode.STORE))}
    assert str(int(ExitCode.BUSY)) not in prevented


# --- platform failures ------------------------------------------------------------------------------------------

def finished_run(store, failed: dict[str, bool]) -> None:
    run_id = store.begin_run("search")
    store.finish_run(run_id, "ok", stats={"platforms": {
        key: {"pages": 0 if bad else 5, "errors": {"http_500": 3} if bad else {}, "failed": bad}
        for key, bad in failed.items()}})


def test_a_platform_failing_n_runs_in_a_row_raises_one_system_alert(config):
    with open_store(config.store.path) as store:
        finished_run(store, {"laodian": True, "shangcheng": False})  # before the streak: a success
        finished_run(store, {"laodian": False, "shangcheng": True})
        finished_run(store, {"laodian": True})
        finished_run(store, {"laodian": True, "shangcheng": False})
        assert platform_outages(store, 3) == []
        finished_run(store, {"laodian": True})
        [outage] = platform_outages(store, 3)
        assert (outage.platform, outage.failed_runs, outage.errors) == ("laodian", 3, {"http_500": 3})
        first = store.runs(limit=3)[-1]
        assert outage.since == first.started_at
        [alert_id] = raise_outage_alerts(store, config)
        assert raise_outage_alerts(store, config) == [], "the same outage within the cooldown is not raised again"
        alert = store.get_alert(alert_id)
    assert (alert.category, alert.severity, alert.kind, alert.subject) == ("system", "critical",
                                                                          "platform_unreachable", "laodian")
    with i18n.using("en"):
        assert str(alert.title).startswith("Platform 老店 (laodian) unreachable since ")
    assert str(alert.title).startswith("平台 老店 (laodian) 自 "), "in Chinese by default"
    assert alert.dedup_key == "system:platform_unreachable:laodian"


def run_with_pages(store, kind: str, *states: str) -> None:
    """A finished run that read shangcheng pages of one kind in these states, in this order."""
    run_id = store.begin_run("search")
    trailing = 0
    while trailing < len(states) and states[-1 - trailing] == states[-1]:
        trailing += 1
    streak = {"state": states[-1], "pages": trailing}
    store.finish_run(run_id, "ok", stats={"platforms": {"shangcheng": {
        "pages": len(states), "errors": {}, "failed": False,
        "states": {kind: {state: states.count(state) for state in set(states)}}, "streaks": {kind: streak}}}})


def test_pages_blocked_n_in_a_row_across_runs_raise_one_system_alert(config):
    with open_store(config.store.path) as store:
        run_with_pages(store, "product", "blocked", "ok")               # before the streak: a page read
        run_with_pages(store, "product", "ok", "blocked")               # the streak begins inside this run
        run_with_pages(store, "search", "layout_changed")              # another kind: no break, no count
        assert page_troubles(store, 3) == []
        run_with_pages(store, "product", "blocked", "blocked")
        [trouble] = page_troubles(store, 3)
        assert (trouble.platform, trouble.state, trouble.kinds) == ("shangcheng", "blocked", {"product": 3})
        assert trouble.first_run.id == store.runs(limit=3)[-1].id
        [alert_id] = raise_page_state_alerts(store, config)
        run_with_pages(store, "product", "blocked")
        assert raise_page_state_alerts(store, config) == [], "not again every cycle"
        alert = store.get_alert(alert_id)
        run_with_pages(store, "product", "blocked", "ok")              # the pages read again: the streak ended
        assert page_troubles(store, 3) == []
    assert (alert.category, alert.kind, alert.subject) == ("system", "page_blocked", "shangcheng")
    assert alert.dedup_key == "system:page_blocked:shangcheng" and "更新 Cookie" in str(alert.body)


# --- plans ------------------------------------------------------------------------------------------------------

def test_review_jobs_crawl_competitors_from_the_latest_listings_and_own_products(tmp_path):
    config = load_config(daemon_config(tmp_path, keywords='[[keywords]]\nterm = "露营椅"\nplatforms = ["shangcheng"]\n'
                                                          'top = 2'))
    with open_store(config.store.path) as store:
        assert plan_for("reviews", config, store) is None, "no listing known before the first prices run"
        ids = [store.upsert_product(ProductRecord(platform="shangcheng", url=f"http://x/item/C{i}.html",
                                                  item_id=f"C{i}")) for i in range(3)]
        store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=i + 1, product_id=pid)
                                                          for i, pid in enumerate(ids)])
        reviews = plan_for("reviews", config, store)
        own = plan_for("own_reviews", config, store)
    assert reviews.review_products == [("shangcheng", "http://x/item/C0.html", "C0"),
                                       ("shangcheng", "http://x/item/C1.html", "C1")]
    assert len(own.review_products) == len(config.own_products)
    prices = plan_for("prices", config, None)
    assert prices.keywords == [("露营椅", ["shangcheng"], 2)] and len(prices.products) == len(config.own_products)
    assert not prices.reviews and plan_for("hot_terms", config, None).hot_terms


# --- status and logs --------------------------------------------------------------------------------------------

def test_status_json_reports_jobs_outbox_database_and_lock(tmp_path):
    config_path = daemon_config(tmp_path)
    config = load_config(config_path)
    with open_store(config.store.path) as store:
        run_id = store.begin_job("prices")
        store.finish_job(run_id, "ok", {"pages": 12})
        store.begin_job("hot_terms")
    result = CliRunner().invoke(app, ["--config", str(config_path), "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    jobs = {job["job"]: job for job in status["jobs"]}
    assert list(jobs) == [*CRAWL_JOBS, RETRAIN_JOB, DIGEST_JOB]
    assert jobs["prices"]["last_run"]["status"] == "ok" and jobs["prices"]["last_run"]["stats"] == {"pages": 12}
    assert jobs["hot_terms"]["last_run"]["status"] == "running" and jobs["reviews"]["last_run"] is None
    started = datetime.fromisoformat(jobs["prices"]["last_run"]["started_at"])
    assert datetime.fromisoformat(jobs["prices"]["next_run"]["earliest"]) == started + timedelta(minutes=30)
    assert status["daemon"] == {"held": False, "holder": None}
    assert status["pending_deliveries"] == 0 and status["database"]["bytes"] > 0


def test_log_records_never_carry_a_secret():
    scrubber = SecretScrubber(["hunter2-password"])
    record = logging.LogRecord("smtp", logging.ERROR, __file__, 1, "login as %s with %s failed", ("ops", "hunter2-password"),
                               None)
    scrubber.filter(record)
    assert record.getMessage() == "login as ops with [secret] failed"


# --- real daemons against the demo marketplace ------------------------------------------------------------------

SMALL_KEYWORDS = '[[keywords]]\nterm = "充电宝"\nplatforms = ["laodian"]\ntop = 3'


@pytest.mark.integration
def test_once_runs_every_job_and_status_shows_them(tmp_path, marketplace):
    config = daemon_config(tmp_path, marketplace.sites, keywords=SMALL_KEYWORDS, own_platforms=("laodian",),
                           schedule={"jitter": '"0s"'})
    result = agent(config, "daemon", "--once")
    assert result.returncode == 0, result.stderr[-3000:]
    with open_store(load_config(config).store.path) as store:
        runs = store.latest_job_runs()
        kinds = sorted(run.kind for run in store.runs())
        prices = store.latest_prices()
    assert {job: run.status for job, run in runs.items()} == {job: "ok" for job in JOBS}
    assert kinds == ["hot_terms", "reviews", "reviews", "search"]  # prices searches; both review jobs read reviews
    assert prices, "the prices job stored prices"
    assert Path(runs["digest"].stats.get("report", "")).is_file(), runs["digest"].stats
    status = json.loads(agent(config, "status", "--json").stdout)
    assert all(job["last_run"]["status"] == "ok" for job in status["jobs"])
    assert (tmp_path / "var" / "logs" / "daemon.log").read_text(encoding="utf-8").count("job prices: ok") == 1


@pytest.mark.integration
def test_sigterm_during_a_crawl_stops_cleanly_with_the_data_committed(tmp_path, marketplace):
    config_path = daemon_config(tmp_path, marketplace.sites, keywords=SMALL_KEYWORDS, own_platforms=("laodian",),
                                schedule={"jitter": '"0s"'}, download_delay_s=1.0, concurrency_per_domain=1)
    # One page a second: the store pipeline commits a batch a second, so prices are stored while the crawl still
    # has pages to go, for seconds rather than for the moment a faster crawl would leave to catch it running.
    config = load_config(config_path)
    daemon = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "--config", str(config_path), "daemon"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if config.store.path.exists():
                with open_store(config.store.path) as store:
                    crawling = [run for run in store.runs(status="running") if run.kind == "search"]
                    if crawling and store.latest_prices():
                        break
            time.sleep(0.1)
        else:
            pytest.fail("the prices crawl never started")
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=120)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, stderr[-3000:]
    with open_store(config.store.path) as store:
        assert store.runs(status="running") == [], "the interrupted crawl closed its run"
        assert store.latest_prices(), "what the crawl read before the stop is committed"
        jobs = store.latest_job_runs()
    assert jobs["hot_terms"].status == "ok"
    assert jobs["prices"].status == "interrupted"
    assert "reviews" not in jobs, "no job started after the stop"
    assert not lock_state(lock_path_for(config.store.path)).held
    assert "SIGTERM received" in stderr and "daemon stopped" in stderr


@pytest.mark.integration
def test_a_platform_failing_every_run_raises_an_alert_that_is_delivered(tmp_path, fresh_marketplace):
    fresh_marketplace.add_fault(kind="status", status=500, platform="laodian")
    config_path = daemon_config(tmp_path, fresh_marketplace.sites, keywords=SMALL_KEYWORDS, own_platforms=("laodian",),
                                schedule={"jitter": '"0s"', "platform_failure_alert": "2"}, retries=0)
    result = agent(config_path, "daemon", "--once")
    assert result.returncode == 0, result.stderr[-3000:]
    config = load_config(config_path)
    with open_store(config.store.path) as store:
        [alert] = store.alerts(kind="platform_unreachable")
        jobs = store.latest_job_runs()
        deliveries = store.deliveries(alert_id=alert.id)
    assert alert.subject == "laodian" and "无法访问" in str(alert.title)
    assert alert.evidence["failed_runs"] == 2, "raised on the second failed run (hot terms, then prices)"
    assert jobs["prices"].stats["outage_alerts"] == [alert.id]
    assert {(d.destination, d.kind, d.state) for d in deliveries} >= {("ops-oncall@example.com", "immediate", "sent")}
    subjects = [BytesParser(policy=policy.default).parsebytes(path.read_bytes())["Subject"]
                for path in (tmp_path / "var" / "outbox").glob("*.eml")]
    assert any("无法访问" in subject for subject in subjects), subjects
