"""The item pipeline: validated items into the store in short batched transactions, and the run's stats at the end.

Spiders hand over what pages showed; this is where a product becomes "own" (its URL is one of config.toml's own
products, with cost and band), where a price observation is written only for a page that showed a price, and where
the run is recorded with pages, items, incomplete items and errors by kind, per platform, so a platform that
failed wholesale is reported instead of looking empty.

Items are committed in batches (BATCH_ITEMS, or whatever arrived within BATCH_SECONDS): a commit per item was a
fifth of the crawl's CPU per page. Each item still is its own savepoint, so a refused item is rolled back alone,
and a process killed mid-batch loses at most that batch; the run is then marked interrupted on the next start.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

import store as st
from config import Config
from crawlers.items import HotTermsItem, ProductItem, ReviewsPageItem, SearchPageItem
from crawlers.middlewares import CLOCK_KEY, CONFIG_KEY
from crawlers.progress import emit_item
from store.timestamps import utc_now

logger = logging.getLogger(__name__)

STATS_PREFIX = "shopsentinel/"
BATCH_ITEMS = 50      # items per transaction
BATCH_SECONDS = 1.0   # the longest an item waits for its commit (and another writer for the lock)


class StoreWriter:
    """Writes items into one run of the store, each in its own savepoint: the one way items become rows, for the
    embedded crawl's pipeline and for the scale-out coordinator (which ingests items workers sent through Redis).
    Counts what it wrote in `items` for the run's stats."""

    def __init__(self, store: st.Store, config: Config, run_id: int, observed_at: datetime | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.observed_at = observed_at or store.clock()
        self.items: Counter[str] = Counter()
        self.product_ids: dict[str, int] = {}
        self.own = {config.own_product_url(p): p for p in config.own_products}

    def write(self, item: Any) -> None:
        """Store one item; a refused item (invalid, conflicting) is rolled back alone and raises DropItem."""
        known_products = set(self.product_ids)
        try:
            with self.store.transaction():  # inside the caller's batch: a savepoint, rolled back alone when refused
                self._write(item)
        except (st.InvalidRecordError, st.ProductConflictError) as exc:
            for url in set(self.product_ids) - known_products:  # their rows went with the savepoint
                del self.product_ids[url]
            self.items["dropped"] += 1
            raise DropItem(f"item from {getattr(item, 'url', '?')} not stored: {exc}") from exc

    def _write(self, item: Any) -> None:
        if isinstance(item, ProductItem):
            self._write_product(item)
        elif isinstance(item, ReviewsPageItem):
            product_id = self._product_id(item.platform, item.product_url)
            new = self.store.add_reviews(product_id, [
                st.ReviewRecord(text=r.text, review_id=r.review_id, rating=r.rating, sku=r.sku, posted_at=r.posted_at,
                                append=r.append)
                for r in item.reviews], run_id=self.run_id)
            self.items["reviews"] += len(item.reviews)
            self.items["new_reviews"] += new
        elif isinstance(item, SearchPageItem):
            hits = [st.SearchHit(rank=hit.rank, product_id=self._product_id(item.platform, hit.url, hit.item_id,
                                                                           hit.title)) for hit in item.hits]
            self.store.add_search_results(item.platform, item.keyword, hits, run_id=self.run_id,
                                          observed_at=self.observed_at)
            self.items["search_hits"] += len(hits)
        elif isinstance(item, HotTermsItem):
            self.store.add_hot_terms(item.platform, [
                st.HotTermRecord(rank=t.rank, term=t.term, heat=t.heat, rising=t.rising) for t in item.terms],
                run_id=self.run_id, observed_at=self.store.clock())
            self.items["hot_terms"] += len(item.terms)
        else:
            raise DropItem(f"unknown item type {type(item).__name__}")

    def _write_product(self, item: ProductItem) -> None:
        own = self.own.get(item.url)
        record = st.ProductRecord(
            platform=item.platform, url=item.url, item_id=item.item_id, title=item.title,
            description=item.description, shop=item.shop, category=item.category, own=own is not None,
            cost=own.cost if own else None, band_min=own.band[0] if own else None,
            band_max=own.band[1] if own else None, safety_stock=own.safety_stock if own else None)
        product_id = self.store.upsert_product(record)
        self.product_ids[item.url] = product_id
        self.items["products"] += 1
        if item.price is None:  # never a fabricated price: the page is counted as incomplete instead
            self.items["incomplete"] += 1
            return
        self.store.add_price_observation(product_id, st.PriceObservation(
            price=item.price, price_max=item.price_max, list_price=item.list_price, promo_price=item.promo_price,
            currency=item.currency or "CNY", stock=item.stock, availability=item.availability,
            monthly_sales=item.monthly_sales, rating=item.rating, review_count=item.review_count, rule=item.rule),
            run_id=self.run_id)
        self.items["prices"] += 1

    def _product_id(self, platform: str, url: str, item_id: str | None = None, title: str | None = None) -> int:
        if url not in self.product_ids:
            own = self.own.get(url)
            self.product_ids[url] = self.store.upsert_product(st.ProductRecord(
                platform=platform, url=url, item_id=item_id, title=title, own=own is not None if own else None))
        return self.product_ids[url]




class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config: Config = crawler.settings[CONFIG_KEY]
        self.store: st.Store | None = None
        self.writer: StoreWriter | None = None
        self.started = 0.0
        self.clock = crawler.settings.get(CLOCK_KEY, utc_now)
        self.batch = ExitStack()
        self.batched = 0
        self.commit_call: Any = None

    @property
    def run_id(self) -> int | None:
        return None if self.writer is None else self.writer.run_id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.store = st.open_store(self.config.store.path, clock=self.clock)
        self.store.recover_interrupted_runs()
        self.writer = StoreWriter(self.store, self.config, self.store.begin_run(self.crawler.spider.name))
        self.started = time.monotonic()

    def close_spider(self) -> None:
        self.commit_batch()

    def spider_closed(self, reason: str) -> None:
        """Close the run once Scrapy says why the spider ended (pipelines close before it does)."""
        if self.store is None or self.writer is None:
            return  # the spider never opened
        finish_run(self.store, self.writer, {**self.crawler.stats.get_stats(), "finish_reason": reason},
                   time.monotonic() - self.started, self.crawler.spider.platforms)
        self.store.close()

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if self.batched == 0:
            self.batch.enter_context(self.writer.store.transaction())
            self.commit_call = self.schedule_commit()
        self.batched += 1
        try:
            self.writer.write(item)
        finally:
            if self.batched >= BATCH_ITEMS:
                self.commit_batch()
        return item

    def schedule_commit(self) -> Any:
        """Commit the batch BATCH_SECONDS from now even if no further item comes (a stalled crawl must not hold the
        store's write lock)."""
        from twisted.internet import reactor  # the reactor Scrapy installed; importing it earlier would install one

        return reactor.callLater(BATCH_SECONDS, self.commit_batch)

    def commit_batch(self) -> None:
        """Commit the items written since the last commit (none: nothing to do)."""
        if self.commit_call is not None and self.commit_call.active():
            self.commit_call.cancel()
        self.commit_call = None
        self.batched = 0
        self.batch.close()


def finish_run(store: st.Store, writer: StoreWriter, scrapy_stats: dict[str, Any], seconds: float,
               platforms: list[str]) -> None:
    """Close the writer's run with its stats. A spider stopped by SIGINT/SIGTERM (finish reason "shutdown") read
    only part of its pages, so its run is 'interrupted', not 'ok'; one whose every platform failed is 'failed'."""
    stats, errors = run_stats(scrapy_stats, writer.items, seconds, platforms)
    if scrapy_stats.get("finish_reason") == "shutdown":
        status = "interrupted"
    elif all(platform["failed"] for platform in stats["platforms"].values()) and stats["platforms"]:
        status = "failed"
    else:
        status = "ok"
    store.finish_run(writer.run_id, status, stats=stats, errors=errors)


def run_stats(scrapy_stats: dict[str, Any], items: Counter[str], seconds: float,
              platforms: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run summary the store keeps: totals, errors by kind, URLs refused by the URL policy by reason, and per
    platform pages, errors, refusals and page states (per kind: counts by state, and the latest streak), with
    `failed` set for a platform that had errors or refusals and not one
    page read. Refusals are not errors: a page that links somewhere it should not is still a page read."""
    per_platform: dict[str, dict[str, Any]] = {key: {"pages": 0, "errors": {}, "incomplete": 0} for key in platforms}
    refused: Counter[str] = Counter()
    for name, value in scrapy_stats.items():
        if not isinstance(name, str) or not name.startswith(STATS_PREFIX):
            continue
        kind, key, *rest = name[len(STATS_PREFIX):].split("/") + [""]
        if kind == "refused":
            refused[rest[0]] += value
            if key in per_platform:  # not a request of no platform (robots.txt)
                per_platform[key].setdefault("refused", {})[rest[0]] = value
            continue
        entry = per_platform.setdefault(key, {"pages": 0, "errors": {}, "incomplete": 0})
        if kind == "pages":
            entry["pages"] += value
        elif kind == "errors":
            entry["errors"][rest[0]] = value
        elif kind == "incomplete":
            entry["incomplete"] = value
        elif kind == "states":  # pages per kind and state (crawlers.page_state)
            entry.setdefault("states", {}).setdefault(rest[0], {})[rest[1]] = value
        elif kind == "streak":  # each kind's latest run of one state, for streaks across runs (monitors.health)
            entry.setdefault("streaks", {})[rest[0]] = value
        elif kind == "stopped":  # requests not made after too many blocked pages in a row
            entry["stopped"] = value
    for entry in per_platform.values():
        entry["failed"] = entry["pages"] == 0 and bool(entry["errors"] or entry.get("refused"))
    stats = {
        "duration_s": round(seconds, 2),
        "pages": scrapy_stats.get("response_received_count", 0),
        "requests": scrapy_stats.get("downloader/request_count", 0),
        "items": dict(items),
        "retries": scrapy_stats.get("retry/count", 0),
        "retry_after_honoured": scrapy_stats.get("retry/retry_after_honoured", 0),
        "robots_forbidden": scrapy_stats.get("robotstxt/forbidden", 0),
        "refused": dict(refused),
        "platforms": per_platform,
        "finish_reason": scrapy_stats.get("finish_reason"),
    }
    if "playwright/page_count" in scrapy_stats:
        stats["browser"] = browser_stats(scrapy_stats)
    errors = [{"platform": key, "kind": kind, "count": count}
              for key, entry in per_platform.items() for kind, count in entry["errors"].items()]
    errors += [{"platform": None, "kind": name.split("/", 2)[-1], "count": value}
               for name, value in scrapy_stats.items()
               if isinstance(name, str) and name.startswith("downloader/exception_type_count/")]
    return stats, errors


def browser_stats(scrapy_stats: dict[str, Any]) -> dict[str, int]:
    """scrapy-playwright's page and context counters: pages opened and closed (a difference is a leaked tab),
    the most open at once, and browser contexts created."""
    return {"pages_opened": scrapy_stats.get("playwright/page_count", 0),
            "pages_closed": scrapy_stats.get("playwright/page_count/closed", 0),
            "max_open_pages": scrapy_stats.get("playwright/page_count/max_concurrent", 0),
            "contexts": scrapy_stats.get("playwright/context_count", 0)}


class EmitPipeline:
    """Prints items as JSON-line events instead of storing them: `agent.py extract --url` and profile writing."""

    def process_item(self, item: Any) -> Any:
        emit_item(item)
        return item
