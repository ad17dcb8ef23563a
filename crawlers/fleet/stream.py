"""The workers' item pipeline: every item goes to the cycle's Redis stream, for the coordinator to store. A worker
never opens the store."""

from __future__ import annotations

from typing import Any

import redis
from scrapy.crawler import Crawler

from crawlers.fleet.protocol import Phase, cycle_key, item_entry


class StreamPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.worker: str = settings["FLEET_WORKER"]
        self.phase = Phase.parse(settings["FLEET_PHASE"])
        self.stream = cycle_key(self.phase.cycle, "items")
        self.client = redis.Redis.from_url(settings["REDIS_URL"])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StreamPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        # Blocking, but one small XADD on a Redis nearby takes well under a millisecond, against the milliseconds a
        # page's parsing takes; and the item must be in the stream before its request's lease is released.
        self.client.xadd(self.stream, item_entry(self.phase, self.worker, item))
        return item

    def close_spider(self) -> None:
        self.client.close()
