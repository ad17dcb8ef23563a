"""The scale-out crawl end to end: a real redis-server on loopback, real worker processes (`agent.py worker`), the
coordinator in this process, and the demo marketplace over HTTP, compared with the embedded crawl's store."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from config import load_config, with_demo_urls
from conftest import ROOT, fast_config
from coordinator import UNFINISHED_CYCLE, PhaseProgress, crawl_on_fleet, ingest
from crawlers.fleet.politeness import SharedRate
from crawlers.fleet.protocol import STREAM_GROUP, FleetError, Phase, cycle_key, item_entry, redacted
from crawlers.fleet.queue import LeasedQueue
from crawlers.items import ProductItem
from crawlers.pipelines import StoreWriter
from crawlers.run import CrawlPlan, run_crawl
from crawlers.spiders import ProductsSpider
from delivery.capture import free_port
from demo_market.launcher import launch
from redis_server import RedisServer, running_redis
from store import Store, open_store

pytestmark = pytest.mark.integration

HTTP_PLATFORMS = ["shangcheng", "laodian"]
SCALE = 0.3  # a few dozen listings per platform: enough pages for two workers to share, quick to crawl


@pytest.fixture(scope="module")
def market():
    with launch(scale=SCALE) as running:
        yield running


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


class Workers:
    """`agent.py worker` processes serving one Redis, stopped (SIGTERM, then SIGKILL) when the test ends."""

    def __init__(self, url: str, log_dir: Path) -> None:
        self.url, self.log_dir = url, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, concurrency: int = 4) -> subprocess.Popen:
        env = {**os.environ, "SHOPSENTINEL_REDIS_URL": self.url,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with open(self.log_dir / f"worker-{len(self.processes)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "worker", "--concurrency",
                                        str(concurrency)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(redis_server, tmp_path) -> Iterator[Workers]:
    fleet = Workers(redis_server.url, tmp_path)
    yield fleet
    fleet.stop()


def plan() -> CrawlPlan:
    return CrawlPlan(platforms=HTTP_PLATFORMS, hot_terms=True, keywords=[("露营椅", HTTP_PLATFORMS, 10)],
                     reviews=True)


def snapshot(store: Store, platforms: list[str] = HTTP_PLATFORMS, keyword: str = "露营椅") -> dict:
    """What a crawl stored, without ids or times: products, their latest prices, reviews, search ranks."""
    products = {p.id: p for p in store.products()}
    prices = {products[pid].url: (row.price, row.stock, row.availability, len(store.price_history(pid)))
              for pid, row in store.latest_prices().items()}  # a page ingested twice would show two observations
    return {
        "products": sorted((p.platform, p.url, p.item_id, p.title, p.shop) for p in products.values()),
        "prices": prices,
        "reviews": {p.url: sorted((r.review_id, r.text, r.rating) for r in store.reviews_for(p.id))
                    for p in products.values()},
        "search": {key: [(hit.rank, products[hit.product_id].url) for hit in store.search_results(key, keyword)]
                   for key in platforms},
    }


@pytest.fixture(scope="module")
def embedded(market, tmp_path_factory) -> dict:
    """The plan crawled the embedded way: what it stored, and its runs by kind."""
    config = fast_config(tmp_path_factory.mktemp("embedded"))
    run_crawl(config, plan(), demo_urls=market.sites)
    with open_store(load_config(config).store.path) as store:
        return {"stored": snapshot(store), "runs": {run.kind: run for run in store.runs()}}


def fleet_config(market, directory: Path, overrides: dict | None = None):
    return with_demo_urls(load_config(fast_config(directory), overrides=overrides), market.sites)


def test_two_workers_store_what_the_embedded_crawl_stores(market, embedded, workers, redis_server, tmp_path):
    workers.start()
    workers.start()
    config = fleet_config(market, tmp_path / "fleet")
    result = crawl_on_fleet(config, plan(), redis_server.url)

    assert [run.kind for run in result.runs] == ["hot_terms", "search"]
    assert all(run.status == "ok" for run in result.runs)
    expected = embedded["stored"]
    with open_store(config.store.path) as fleet:
        got = snapshot(fleet)
    assert len(expected["products"]) > 10 and sum(map(len, expected["reviews"].values())) > 100
    assert got == expected
    for run in result.runs:  # the workers' stats summed: the same pages as one crawler read (each worker reads
        # robots.txt for itself, so the raw response counts differ by those)
        alone = embedded["runs"][run.kind].stats
        assert {key: entry["pages"] for key, entry in run.stats["platforms"].items()} == \
            {key: entry["pages"] for key, entry in alone["platforms"].items()}
        assert run.stats["items"] == alone["items"]
    joined = redis_server.client().smembers(Phase(cycle_of(redis_server), 1).key("joined"))
    assert len(joined) == 2, "both workers crawled the search phase"


def cycle_of(server: RedisServer) -> str:
    client = server.client()
    key = next(client.scan_iter(match="shopsentinel:fleet:*:phases")).decode()
    return key.split(":")[2]


def test_a_worker_killed_mid_page_loses_no_page(market, embedded, workers, redis_server, tmp_path):
    client = redis_server.client()
    market.add_fault(kind="slow", platform="shangcheng", delay=0.3)  # pages in flight when the worker dies
    try:
        victim, survivor = workers.start(), workers.start()
        config = fleet_config(market, tmp_path / "fleet")
        results = []
        coordinator = threading.Thread(target=lambda: results.append(crawl_on_fleet(config, plan(), redis_server.url)))
        coordinator.start()
        wait_for(lambda: client.get(UNFINISHED_CYCLE) is not None)
        search = Phase(json.loads(client.get(UNFINISHED_CYCLE))["cycle"], 1)
        victim_leases = []

        def victim_holds_leases() -> bool:
            holders = [raw.decode() for raw in client.smembers(search.key("holders"))]
            victim_leases[:] = [search.leases(w) for w in holders if w.split("-")[-2] == str(victim.pid)]
            return bool(victim_leases) and client.hlen(victim_leases[0]) > 0

        wait_for(victim_holds_leases)
        victim.kill()
        victim.wait()
        coordinator.join(120)
        assert not coordinator.is_alive()
    finally:
        market.clear_faults()
    assert survivor.poll() is None
    assert not client.exists(victim_leases[0]), "the dead worker's leases went back to the queue"
    with open_store(config.store.path) as fleet:
        assert snapshot(fleet) == embedded["stored"]
    assert [run.status for run in results[0].runs] == ["ok", "ok"]


def test_a_restarted_coordinator_resumes_the_cycle(market, embedded, workers, redis_server, tmp_path):
    client = redis_server.client()
    workers.start()
    workers.start()
    path = fast_config(tmp_path / "fleet")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    market.add_fault(kind="slow", platform="shangcheng", delay=0.2)
    try:
        first = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fleet_coordinator.py"), str(path),
                                  json.dumps(market.sites), plan().to_json(), redis_server.url], env=env, cwd=ROOT)
        wait_for(lambda: client.get(UNFINISHED_CYCLE) is not None)
        cycle = json.loads(client.get(UNFINISHED_CYCLE))["cycle"]
        wait_for(lambda: client.exists(Phase(cycle, 0).key("run")))
        hot_terms_entries = client.scard(cycle_key(cycle, "ingested"))
        wait_for(lambda: client.scard(cycle_key(cycle, "ingested")) > hot_terms_entries + 5)
        first.kill()  # mid-phase: part of the search stored, the rest crawled on while no coordinator runs
        first.wait()
        config = fleet_config(market, tmp_path / "fleet")
        result = crawl_on_fleet(config, plan(), redis_server.url)
    finally:
        market.clear_faults()
    assert [(run.kind, run.status) for run in result.runs] == [("hot_terms", "ok"), ("search", "ok")]
    with open_store(config.store.path) as fleet:
        assert snapshot(fleet) == embedded["stored"]
        assert [run.status for run in fleet.runs(kind="search")] == ["ok", "interrupted"]
        assert len(fleet.runs(kind="hot_terms")) == 1, "a finished phase is not crawled again"
    assert client.get(UNFINISHED_CYCLE) is None


def test_browser_pages_are_crawled_by_workers_as_by_the_embedded_crawl(market, workers, redis_server, tmp_path):
    browser_plan = CrawlPlan(platforms=["kuaigou"], keywords=[("猫咪饮水机", ["kuaigou"], 3)], reviews=True)
    alone = fast_config(tmp_path / "embedded")
    run_crawl(alone, browser_plan, demo_urls=market.sites)
    workers.start()
    workers.start()
    config = fleet_config(market, tmp_path / "fleet")
    result = crawl_on_fleet(config, browser_plan, redis_server.url)
    browser = result.runs[0].stats["browser"]
    assert browser["pages_opened"] == browser["pages_closed"] > 0
    with open_store(load_config(alone).store.path) as one, open_store(config.store.path) as fleet:
        expected, got = snapshot(one, ["kuaigou"], "猫咪饮水机"), snapshot(fleet, ["kuaigou"], "猫咪饮水机")
    assert sum(map(len, expected["reviews"].values())) > 50  # reviews loaded by clicking "more" in Chromium
    assert got == expected


def test_redis_lost_mid_cycle_fails_the_cycle_loudly(market, tmp_path):
    port = free_port()
    with ExitStack() as stack:
        server = stack.enter_context(running_redis(port=port))
        workers = Workers(server.url, tmp_path)
        stack.callback(workers.stop)
        workers.start()
        workers.start()
        config = fleet_config(market, tmp_path / "fleet")
        market.add_fault(kind="slow", platform="shangcheng", delay=0.3)
        stack.callback(market.clear_faults)
        failures = []

        def coordinate() -> None:
            try:
                crawl_on_fleet(config, plan(), server.url)
            except Exception as error:  # noqa: BLE001 - the test looks at what it was
                failures.append(error)

        coordinator = threading.Thread(target=coordinate)
        coordinator.start()
        client = server.client()
        wait_for(lambda: client.get(UNFINISHED_CYCLE) is not None)
        cycle = json.loads(client.get(UNFINISHED_CYCLE))["cycle"]
        wait_for(lambda: client.exists(Phase(cycle, 1).key("seeded")))
        server.process.terminate()  # and a new, empty one in its place, as a restart without persistence
        server.process.wait()
        stack.enter_context(running_redis(port=port))
        coordinator.join(60)
        assert not coordinator.is_alive()
    assert len(failures) == 1 and isinstance(failures[0], FleetError), failures
    with open_store(config.store.path) as store:
        assert store.runs(kind="search")[0].status == "interrupted"


def test_the_fleet_keeps_within_a_platforms_max_rps(market, embedded, workers, redis_server, tmp_path):
    limit = 8.0  # two workers of 4 requests in flight each read the demo at several times this unlimited
    workers.start()
    workers.start()
    limits = {"platforms": {key: {"max_rps": limit} for key in HTTP_PLATFORMS}}
    config = fleet_config(market, tmp_path / "fleet", limits)
    result = crawl_on_fleet(config, plan(), redis_server.url)
    search = result.runs[1].stats
    for key in HTTP_PLATFORMS:
        pages = search["platforms"][key]["pages"]
        assert pages > 3 * limit
        # pages read over the phase's whole duration: the rate at which they were asked can only be higher by
        # the first token (a bucket holds one), so allow that one
        assert (pages - 1) / search["duration_s"] <= limit * 1.05
    with open_store(config.store.path) as fleet:
        assert snapshot(fleet) == embedded["stored"]


def test_a_retry_after_one_worker_gets_pauses_every_worker(market, embedded, workers, redis_server, tmp_path):
    workers.start()
    workers.start()
    market.add_fault(kind="status", status=429, retry_after=2, platform="shangcheng", path="/item/*", times=1)
    try:
        config = fleet_config(market, tmp_path / "fleet")
        crawl_on_fleet(config, plan(), redis_server.url)
    finally:
        market.clear_faults()
    client = redis_server.client()
    cycle = cycle_of(redis_server)
    reports = [pickle.loads(fields[b"data"]) for _, fields in client.xrange(cycle_key(cycle, "items"))
               if fields[b"kind"] == b"stats" and fields[b"phase"] == Phase(cycle, 1).id.encode()]
    assert len(reports) == 2
    told = [r for r in reports if r.get("downloader/response_status_count/429")]
    others = [r for r in reports if not r.get("downloader/response_status_count/429")]
    assert len(told) == 1 and len(others) == 1
    # the worker that was not told waited too: no max_rps here, so only the shared pause could make it wait
    assert others[0].get("fleet/rate_wait_s/shangcheng", 0) > 0.5
    with open_store(config.store.path) as fleet:
        assert snapshot(fleet) == embedded["stored"]


def test_shared_rate_is_one_rate_for_all_workers_and_a_retry_after_pauses_them_all(redis_server):
    config = load_config(ROOT / "config.toml", overrides={"platforms": {"shangcheng": {"max_rps": 20}}})

    async def draw() -> tuple[float, float]:
        clients = [aioredis.Redis.from_url(redis_server.url) for _ in range(2)]
        workers = [SharedRate(client, config) for client in clients]
        try:
            started = time.monotonic()
            await asyncio.gather(*(worker.wait_turn("shangcheng") for worker in workers for _ in range(15)))
            shared = time.monotonic() - started
            await workers[0].pause("laodian", 0.6)  # laodian has no max_rps: only the pause applies to it
            started = time.monotonic()
            await workers[1].wait_turn("laodian")
            return shared, time.monotonic() - started
        finally:
            for client in clients:
                await client.aclose()

    shared, paused = asyncio.run(draw())
    assert shared >= 29 / 20  # 30 tokens at 20 a second, one in the bucket at the start
    assert 0.5 <= paused <= 1.0


def test_a_retried_browser_request_travels_without_its_tab_and_keeps_its_wait(redis_server):
    config = load_config(ROOT / "config.toml")
    spider = ProductsSpider(config=config, platforms=["kuaigou"], urls=[])
    spider.settings = {"FLEET_WORKER": "w1", "FLEET_PHASE": "c1:0"}
    queue = LeasedQueue(redis_server.client(), spider, Phase("c1", 0).key("requests"))
    request = spider.product_request("kuaigou", "http://127.0.0.1:8703/p/7100000001")
    assert request.meta["playwright"] and request.meta["capture"] is not None
    request.meta.update(playwright_page=threading.Lock(), retry_not_before=time.monotonic() + 30)  # unpicklable tab
    queue.push(request)
    taken = queue.pop()
    assert "playwright_page" not in taken.meta
    assert taken.callback == spider.parse_product and taken.meta["steps"] == request.meta["steps"]
    assert taken.meta["playwright_page_event_handlers"]["response"].__self__ is taken.meta["capture"]
    assert 29 < taken.meta["retry_not_before"] - time.monotonic() <= 30
    assert list(redis_server.client().hvals(Phase("c1", 0).leases("w1"))) != []  # leased until released
    queue.release([taken])
    assert redis_server.client().hlen(Phase("c1", 0).leases("w1")) == 0


def test_an_item_sent_twice_is_stored_once(redis_server, tmp_path):
    client = redis_server.client()
    phase = Phase("c1", 0)
    stream = cycle_key(phase.cycle, "items")
    client.xgroup_create(stream, STREAM_GROUP, id="0", mkstream=True)
    item = ProductItem(platform="shangcheng", url="http://127.0.0.1:8701/item/T1.html", item_id="T1",
                       title="椅子", price=__import__("decimal").Decimal("89"))
    for worker in ("a", "b"):  # a page crawled again after its first worker was thought dead
        client.xadd(stream, item_entry(phase, worker, item))
    config = load_config(fast_config(tmp_path))
    with open_store(config.store.path) as store:
        writer = StoreWriter(store, config, store.begin_run("products"))
        progress = PhaseProgress()
        ingest(client, store, writer, phase, progress, None)
        client.xadd(stream, item_entry(phase, "c", item))  # and once more, in a later batch
        ingest(client, store, writer, phase, progress, None)
        assert (progress.stored, progress.duplicates) == (1, 2)
        assert len(store.price_history(store.products()[0].id)) == 1
    assert client.xpending(stream, STREAM_GROUP)["pending"] == 0


def test_the_redis_password_is_never_logged(market, tmp_path, caplog):
    password = "s3cret-fleet-word"
    with running_redis(password=password) as server:
        workers = Workers(server.url, tmp_path)
        try:
            workers.start()
            with caplog.at_level(logging.DEBUG):
                result = crawl_on_fleet(fleet_config(market, tmp_path / "fleet"),
                                        CrawlPlan(platforms=["shangcheng"], hot_terms=True), server.url)
        finally:
            workers.stop()
    assert [run.status for run in result.runs] == ["ok"]
    worker_log = (tmp_path / "worker-0.log").read_text()
    assert "serving redis://:***@127.0.0.1" in worker_log
    assert password not in worker_log and password not in caplog.text


def test_scan_with_redis_crawls_through_the_workers_then_runs_the_whole_cycle(market, workers, redis_server,
                                                                             tmp_path):
    workers.start()
    config = fast_config(tmp_path, market.sites)
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "scan", "-k", "充电宝",
                             "-p", "laodian", "--no-reviews", "--no-send", "--json", "--redis", redis_server.url],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(run["kind"], run["status"]) for run in report["runs"]] == [("hot_terms", "ok"), ("search", "ok")]
    [table] = report["tables"]
    truth = {p["url"]: p for p in market.ground_truth()["products"]}
    assert len(table["listings"]) >= 5
    for listing in table["listings"]:
        assert listing["price"] == pytest.approx(truth[listing["url"]]["price"])
    assert report["analysis"] is not None  # the later stages ran on what the coordinator stored


def test_an_unreachable_redis_is_one_error_line_without_the_password(tmp_path):
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    for command in (["worker", "--redis", url], ["scan", "-k", "充电宝", "--redis", url]):
        result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(fast_config(tmp_path)),
                                 *command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 69, result.stderr
        assert "redis://:***@127.0.0.1" in result.stderr and "s3cret" not in result.stderr


def test_the_redis_password_is_never_shown():
    assert redacted("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert redacted("redis://crawler:s3cret@redis/1") == "redis://crawler:***@redis/1"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
