"""Running crawls: a plan of what to crawl, executed by Scrapy in a child process.

Twisted's reactor cannot be restarted in one process, and a browser crawl's memory should be returned to the
system when it ends, so every crawl runs in its own process (`python -m crawlers.run`). The child reports progress
as JSON lines on stdout; the parent (`run_crawl`) turns them into callbacks and returns the runs the store
recorded. Spiders run one after another, each with one browser at most.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess

import store as st
from config import Config, load_config, with_demo_urls
from crawlers import progress
from crawlers.browser import driver_environment
from crawlers.page_state import History
from crawlers.pipelines import StorePipeline
from crawlers.settings import scrapy_settings
from crawlers.spiders import HotTermsSpider, ProductsSpider, ReviewsSpider, SearchSpider
from store.timestamps import Clock, ShiftedClock, offset_of, utc_now

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
HISTORY_RUNS = 200  # latest crawl runs read for which kinds of page matched before (crawlers.page_state.History)


class CrawlError(RuntimeError):
    """The crawl process failed before it could record its runs."""


STORE_ERROR = "store_error"  # the event a crawl process ends with when the store failed it (see `main`)


@dataclass
class CrawlPlan:
    """What one crawl visits. Keywords are (term, platforms, top N); products are (platform, URL) pairs;
    review_products are (platform, product URL, item id) triples for an incremental review crawl."""

    platforms: list[str]
    hot_terms: bool = False
    keywords: list[tuple[str, list[str], int]] = field(default_factory=list)
    products: list[tuple[str, str]] = field(default_factory=list)
    review_products: list[tuple[str, str, str | None]] = field(default_factory=list)
    reviews: bool = False  # also crawl the reviews of products reached by search or by URL
    store: bool = True     # False: print what pages show as events instead of storing it

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlPlan:
        data = json.loads(text)
        data["keywords"] = [(term, list(platforms), top) for term, platforms, top in data["keywords"]]
        data["products"] = [tuple(pair) for pair in data["products"]]
        data["review_products"] = [tuple(triple) for triple in data["review_products"]]
        return cls(**data)


def spider_jobs(plan: CrawlPlan, known_reviews: dict[str, set[str]],
                history: History | None = None) -> list[tuple[type, dict[str, Any]]]:
    common = {"platforms": plan.platforms, "reviews": plan.reviews, "known_reviews": known_reviews,
              "history": history}
    jobs: list[tuple[type, dict[str, Any]]] = []
    if plan.hot_terms:
        jobs.append((HotTermsSpider, {"platforms": plan.platforms, "history": history}))
    if plan.keywords:
        jobs.append((SearchSpider, {**common, "keywords": plan.keywords, "urls": plan.products}))
    elif plan.products:
        jobs.append((ProductsSpider, {**common, "urls": plan.products}))
    if plan.review_products:
        jobs.append((ReviewsSpider, {"platforms": plan.platforms, "known_reviews": known_reviews, "history": history,
                                     "products": plan.review_products}))
    return jobs


def crawl_context(config: Config) -> tuple[dict[str, set[str]], History]:
    """What spiders need to know of earlier crawls: the reviews stored (an incremental crawl stops at them), and
    which kinds of page matched before (crawlers.page_state.History)."""
    with st.open_store(config.store.path) as store:
        return store.stored_review_ids(), History.from_runs([run.stats for run in store.runs(limit=HISTORY_RUNS)],
                                                            store.searched_keywords())


def crawl_here(config: Config, plan: CrawlPlan, *, log_level: str = "WARNING", clock: Clock = utc_now) -> None:
    """Run the plan's spiders one after another in this process (which can happen only once per process), storing
    what they find as of `clock()`."""
    known_reviews, history = crawl_context(config) if plan.store else ({}, History())
    process = AsyncCrawlerProcess(scrapy_settings(config, plan.platforms, log_level=log_level, store=plan.store,
                                                  clock=clock))
    from twisted.internet import reactor  # the asyncio reactor AsyncCrawlerProcess has just installed

    run_ids: list[int] = []

    async def one_after_another() -> None:
        for spider_class, kwargs in spider_jobs(plan, known_reviews, history):
            crawler = process.create_crawler(spider_class)
            crawler.signals.connect(progress.on_response, signal=signals.response_received)
            crawler.signals.connect(progress.on_item, signal=signals.item_scraped)
            await process.crawl(crawler, config=config, **kwargs)
            pipeline = crawler.get_item_pipeline(StorePipeline)
            if pipeline is not None and pipeline.run_id is not None:
                run_ids.append(pipeline.run_id)
                progress.emit({"event": "run", "spider": spider_class.name, "run_id": pipeline.run_id})
            if crawler.stats.get_value("finish_reason") == "shutdown":
                # SIGINT/SIGTERM stopped this spider, and Scrapy stops the reactor once it has: a next spider
                # would open a run that nothing could close.
                break

    def finished(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())
        reactor.stop()

    failures: list[BaseException] = []
    reactor.callWhenRunning(lambda: asyncio.ensure_future(one_after_another()).add_done_callback(finished))
    process.start(stop_after_crawl=False)
    if failures:
        raise failures[0]
    progress.emit({"event": "done", "runs": run_ids})


# --- the parent side ---------------------------------------------------------------------------------------------

@dataclass
class CrawlResult:
    runs: list[st.RunRow]
    events: int


def run_crawl(config_path: str | Path, plan: CrawlPlan, *, demo_urls: dict[str, str] | None = None,
              overrides: dict[str, Any] | None = None,
              on_event: Callable[[dict[str, Any]], None] | None = None, log_level: str = "WARNING",
              timeout: float | None = None, clock: Clock = utc_now) -> CrawlResult:
    """Crawl `plan` in a child process and return the runs it recorded. `on_event` sees every progress event
    (pages, items). SIGINT/SIGTERM to this process stop the child gracefully (what it stored stays stored).
    `overrides` are config tables merged over the file's (see config.load_config). The child stamps what it stores
    with `clock`, passed on as its offset from real time (a clock runs at real speed). A store that failed the child
    (busy, corrupt, read-only) raises its StoreError here; any other failure of the child raises CrawlError."""
    command = [sys.executable, "-m", "crawlers.run", "--config", str(config_path), "--plan", plan.to_json(),
               "--log-level", log_level, "--parent", str(os.getpid())]
    if demo_urls:
        command += ["--demo-urls", json.dumps(demo_urls)]
    if overrides:
        command += ["--overrides", json.dumps(overrides, ensure_ascii=False)]
    if clock is not utc_now:
        command += ["--clock-offset", repr(offset_of(clock).total_seconds())]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           **driver_environment(os.environ)}
    # Its own session: a terminal's Ctrl-C reaches only this process, which forwards one SIGINT (a graceful
    # stop); Scrapy would take a second one, straight from the terminal, as an order to stop at once.
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
    stderr: list[str] = []
    drain = threading.Thread(target=lambda: stderr.extend(child.stderr), daemon=True)
    drain.start()
    run_ids: list[int] = []
    events = 0
    store_error: st.StoreError | None = None
    try:
        for line in child.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a library printing to stdout is not a progress event
            events += 1
            if event.get("event") == "done":
                run_ids = event["runs"]
            elif event.get("event") == STORE_ERROR:
                store_error = (st.StoreBusyError if event["busy"] else st.StoreError)(event["message"])
            if on_event is not None:
                on_event(event)
        child.wait(timeout)
    except BaseException:
        child.send_signal(signal.SIGINT)  # Scrapy closes spiders and pipelines on the first SIGINT
        child.wait(60)
        close_runs_left_open(config_path, plan, overrides)
        raise
    drain.join(5)
    if store_error is not None:
        # Raised as the store's own error, for the caller to report as such. Runs it left open are not closed
        # here: the store failing is why; the next crawl's or daemon's recovery closes them.
        raise store_error
    if child.returncode != 0:
        close_runs_left_open(config_path, plan, overrides)
        raise CrawlError(f"crawl process exited with {child.returncode}: {''.join(stderr)[-3000:]}")
    if not plan.store:
        return CrawlResult(runs=[], events=events)
    config = load_config(config_path, overrides=overrides)
    with st.open_store(config.store.path) as store:
        return CrawlResult(runs=[store.get_run(run_id) for run_id in run_ids], events=events)


def close_runs_left_open(config_path: str | Path, plan: CrawlPlan, overrides: dict[str, Any] | None) -> None:
    """After the crawl process has ended other than by finishing: mark 'interrupted' any run it left open (a stop
    signal that came while Scrapy was starting, before its own handlers were in place, ends the process there
    and then), now rather than at the next crawl or daemon start, which may never come."""
    if plan.store:
        with st.open_store(load_config(config_path, overrides=overrides).store.path) as store:
            store.recover_interrupted_runs()


def stop_with_parent(parent: int | None) -> None:
    """Ask Linux to send SIGTERM (a graceful stop) when the process that started us dies, even by SIGKILL, so a
    killed daemon leaves no crawl running on. Elsewhere the crawl notices its closed output pipe instead."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description="Run one crawl plan (internal).")
    parser.add_argument("--config", required=True)
    parser.add_argument("--plan", required=True, help="the crawl plan as JSON")
    parser.add_argument("--demo-urls", help="JSON object: demo site key -> base URL")
    parser.add_argument("--overrides", help="JSON object: config tables merged over the file's")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--parent", type=int, help="pid of the process to stop with")
    parser.add_argument("--clock-offset", type=float, help="seconds the store's clock is ahead of real time")
    args = parser.parse_args(argv)
    stop_with_parent(args.parent)
    config = load_config(args.config, overrides=json.loads(args.overrides) if args.overrides else None)
    if args.demo_urls:
        config = with_demo_urls(config, json.loads(args.demo_urls))
    # What is imported and loaded by now lives as long as the process, yet every full collection of the cyclic
    # GC would walk it again (about 110,000 objects: one full collection in a 395-page crawl took 75 ms, 7 %
    # of the crawl's CPU). Frozen, collections only walk what the crawl itself allocates.
    gc.freeze()
    try:
        clock = utc_now if args.clock_offset is None else ShiftedClock(timedelta(seconds=args.clock_offset))
        crawl_here(config, CrawlPlan.from_json(args.plan), log_level=args.log_level, clock=clock)
    except st.StoreError as error:  # the parent raises it again (run_crawl): a store fault, not a crawl's bug
        progress.emit({"event": STORE_ERROR, "busy": isinstance(error, st.StoreBusyError), "message": str(error)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
