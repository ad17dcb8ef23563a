"""A crawl worker (`agent.py worker --redis URL`): waits for the coordinator's next phase, runs that phase's spider
against the shared queue until the coordinator says the phase is done, sends its stats, and waits again.

One Scrapy process serves phase after phase (the reactor cannot be restarted), with the same spiders, settings,
middlewares and browser path as the embedded crawl; only the scheduler (scrapy-redis's, leased), the start
requests (the coordinator seeds them) and the item pipeline (a Redis stream) differ.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import redis
import redis.asyncio as aioredis
from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.exceptions import DontCloseSpider

from crawlers.fleet.protocol import (
    CURRENT_PHASE, HEARTBEAT_S, WORKER_TTL_S, Phase, PhaseSpec, cycle_key, new_worker_id, redacted, stats_entry,
    worker_key,
)
from crawlers.settings import scrapy_settings
from crawlers.spiders import SPIDERS

logger = logging.getLogger(__name__)

PHASE_POLL_S = 0.5
# Scrapy's engine asks its scheduler for work every 5 s when it has nothing to do; a worker's queue is refilled by
# the others, so it asks more often (one Redis call each time), and notices the end of a phase as soon.
ENGINE_POLL_S = 0.25


@cache
def worker_spider(spider_class: type) -> type:
    """`spider_class` as a worker runs it: no start requests of its own (the coordinator seeds the queue), and
    open while idle until the phase is done, since other workers may still add to the queue."""

    class WorkerSpider(spider_class):
        async def start(self):
            return
            yield  # an async generator that yields nothing

        @classmethod
        def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any):
            spider = super().from_crawler(crawler, *args, **kwargs)
            spider.phase = Phase.parse(crawler.settings["FLEET_PHASE"])
            spider.fleet = redis.Redis.from_url(crawler.settings["REDIS_URL"])
            crawler.signals.connect(spider.keep_open_until_done, signal=signals.spider_idle)
            crawler.signals.connect(spider.fleet.close, signal=signals.spider_closed)
            return spider

        def keep_open_until_done(self) -> None:
            """Close once the coordinator says the phase is done, or has moved on (it abandoned the cycle)."""
            current = self.fleet.get(CURRENT_PHASE) == self.phase.id.encode()
            if current and not self.fleet.exists(self.phase.key("done")):
                raise DontCloseSpider

    WorkerSpider.__name__ = WorkerSpider.__qualname__ = f"Worker{spider_class.__name__}"
    return WorkerSpider


def worker_settings(spec: PhaseSpec, phase: Phase, worker: str, url: str, *, concurrency: int | None,
                    log_level: str) -> dict[str, Any]:
    platforms = spec.kwargs["platforms"]
    settings = scrapy_settings(spec.config, platforms, log_level=log_level)
    settings.update({
        "SCHEDULER": "crawlers.fleet.queue.LeasingScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawlers.fleet.queue.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": phase.key("requests"),
        "SCHEDULER_DUPEFILTER_KEY": phase.key("dupefilter"),
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue and the filter belong to the phase, not to one worker
        "REDIS_URL": url,
        "FLEET_WORKER": worker,
        "FLEET_PHASE": phase.id,
        "ITEM_PIPELINES": {"crawlers.fleet.stream.StreamPipeline": 300},
        # after BackoffRetryMiddleware (550): a retried request waits its backoff first, then for the fleet's turn
        "DOWNLOADER_MIDDLEWARES": {**settings["DOWNLOADER_MIDDLEWARES"],
                                   "crawlers.fleet.politeness.SharedRateMiddleware": 560},
    })
    if concurrency:
        settings["CONCURRENT_REQUESTS"] = concurrency
    return settings


def run_worker(url: str, *, concurrency: int | None = None, log_level: str = "INFO") -> None:
    """Serve phases until stopped by SIGINT/SIGTERM (Scrapy's graceful stop, finishing the pages in flight)."""
    worker = new_worker_id()
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = ENGINE_POLL_S
    process = AsyncCrawlerProcess({"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False,
                                   "REMOTE_CONTROL_ENABLED": False,
                                   "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
    from twisted.internet import reactor  # the asyncio reactor AsyncCrawlerProcess has just installed

    failures: list[BaseException] = []

    async def serve() -> None:
        client = aioredis.Redis.from_url(url)
        beating = asyncio.ensure_future(heartbeat(client, worker))
        logger.info("worker %s serving %s", worker, redacted(url))
        try:
            last = None
            while True:
                phase = await next_phase(client, last)
                last = phase
                spec = PhaseSpec.loads(await client.get(phase.key("spec")))
                await client.sadd(phase.key("joined"), worker)
                crawler = Crawler(worker_spider(SPIDERS[spec.spider]),
                                  worker_settings(spec, phase, worker, url, concurrency=concurrency,
                                                  log_level=log_level))
                logger.info("worker %s: phase %s (%s)", worker, phase.id, spec.spider)
                await process.crawl(crawler, config=spec.config, **spec.kwargs)
                await client.xadd(cycle_key(phase.cycle, "items"),
                                  stats_entry(phase, worker, crawler.stats.get_stats()))
                await client.sadd(phase.key("finished"), worker)
                if crawler.stats.get_value("finish_reason") == "shutdown":
                    break
        finally:
            beating.cancel()
            await client.delete(worker_key(worker))
            await client.aclose()

    def finished(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())
        if reactor.running:
            reactor.stop()

    reactor.callWhenRunning(lambda: asyncio.ensure_future(serve()).add_done_callback(finished))
    process.start(stop_after_crawl=False)
    if failures:
        raise failures[0]


async def heartbeat(client: aioredis.Redis, worker: str) -> None:
    """Tell the coordinator this worker lives; when the beats stop, its leases go back to the queue."""
    while True:
        await client.set(worker_key(worker), "alive", px=int(WORKER_TTL_S * 1000))
        await asyncio.sleep(HEARTBEAT_S)


async def next_phase(client: aioredis.Redis, last: Phase | None) -> Phase:
    """The first phase other than `last` that is announced and not yet done."""
    while True:
        current = await client.get(CURRENT_PHASE)
        if current is not None:
            phase = Phase.parse(current)
            if phase != last and not await client.exists(phase.key("done")):
                return phase
        await asyncio.sleep(PHASE_POLL_S)
