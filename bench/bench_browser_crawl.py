"""The browser crawl path: pages per second through ShopSentinel's scrapy-playwright path against a bare Playwright
loop, and the memory of a long browser crawl.

Throughput. ShopSentinel's side is `run_crawl` (its own child process) with a ProductsSpider over every kuaigou
product page of the demo marketplace, reviews off, so each page is one load: Chromium through scrapy-playwright,
the profile's steps, XHR capture of the item API, resource blocking, extraction and the store pipeline. The
baseline is a bare async Playwright loop in this process over the same URLs: the same Chromium and launch
options, a context with the same user agent, locale and time zone, as many pages at once as config.toml's
browser_page_cap, a new page per URL, waiting for the profile's selector, then page.content() and close. Each
side's rate is taken between its first and its last finished page (ShopSentinel: item stored; bare: content read
and page closed), so browser launch and process start-up count on neither side. Over the same span each side's
CPU time is read from /proc (its Python process, Playwright's driver and every Chromium process, ended renderers
included): CPU milliseconds per page suffer much less than rates from other load on the machine. Both sides warm
up on a few pages, then run alternately; the best round of each is kept.

Memory. A crawl of --pages product pages (cycling over the kuaigou products with ?r=N, so the dupefilter keeps
them all) while the summed VmRSS (and PSS) of the crawl process and all its descendants (Playwright's driver and
every Chromium process) is sampled every 0.5 s from /proc. RSS counts shared pages once per process, so it
overstates; PSS does not. RSS is "flat" when its median over the 5 % of pages (at least 20) after the first
quarter (pages 500-600 of 2,000) and over the last 5 % differ by at most 10 %. Open Chromium renderer processes are
counted too, and the run's own browser counters (pages opened and closed) show whether any page leaked. Then the
bare Playwright loop goes over the same pages, sampled the same way (its driver and Chromium; its driver gets the
same NODE_OPTIONS as the crawl's): what Chromium and Playwright alone take, with no Scrapy and no crawler.

    .venv/bin/python bench/bench_browser_crawl.py [--pages 2000] [--rounds 2] [--quick]

On 2 cores shared with other work the default run took 21 minutes (the 2,000-page memory crawl 17 of them, at
2 pages/s; an idle machine does about 3), --quick about 3.5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    ROOT,
    TimedCrawl,
    bench_config,
    child_process,
    cpu_seconds,
    crawl_process,
    descendants,
    memory_kb,
    process_table,
    rate,
    report,
    timed_crawl,
)
from playwright.async_api import async_playwright

from config import Config, load_config
from crawlers.browser import driver_environment, launch_options
from crawlers.run import CrawlPlan
from demo_market.launcher import launch

PLATFORM = "kuaigou"
SAMPLE_EVERY_S = 0.5
FLAT_TOLERANCE = 0.10
MB = 1024 * 1024


# --- throughput --------------------------------------------------------------------------------------------------

def tree_cpu(marker: bytes) -> float:
    """CPU seconds used so far by the child of this process whose command line holds `marker`, and by all its
    descendants, living or ended (Chromium's renderers come and go with its pages)."""
    table = process_table()
    total = 0.0
    for pid in descendants(table, child_process(table, marker)):
        try:
            total += cpu_seconds(pid, ended_children=True)
        except OSError:
            continue  # ended meanwhile: its parent counts it once it is waited for
    return total


@dataclass
class CpuSpan:
    """CPU seconds a side uses between its first and its last finished page, read at those two moments only."""

    pages: int
    read: Callable[[], float]
    done: int = 0
    first: float = 0.0
    last: float = 0.0

    def page_done(self) -> None:
        self.done += 1
        if self.done == 1:
            self.first = self.read()
        elif self.done == self.pages:
            self.last = self.read()

    def ms_per_page(self) -> float:
        return 1000 * (self.last - self.first) / (self.pages - 1)


def shopsentinel_round(directory: Path, urls: list[str], sites: dict[str, str],
                       on_event: Callable[[dict], None] | None = None) -> TimedCrawl:
    config = bench_config(directory, download_delay_s=0.0, concurrent_requests=8, concurrency_per_domain=8,
                          max_pages_per_run=100_000)
    plan = CrawlPlan(platforms=[PLATFORM], products=[(PLATFORM, url) for url in urls])
    return timed_crawl(config, plan, sites, on_event)


def measured_round(directory: Path, urls: list[str], sites: dict[str, str]) -> dict[str, float]:
    """ShopSentinel's pages per second and CPU milliseconds per page (crawl process, driver and Chromium)."""
    cpu = CpuSpan(len(urls), lambda: tree_cpu(b"crawlers.run"))
    crawl = shopsentinel_round(directory, urls, sites, lambda e: cpu.page_done() if e.get("event") == "item" else None)
    if len(crawl.item_times) != len(urls):
        raise RuntimeError(f"ShopSentinel stored {len(crawl.item_times)} of {len(urls)} pages: {crawl.stats()}")
    return {"rate": crawl.item_rate(), "cpu_ms": cpu.ms_per_page()}


async def bare_round(urls: list[str], cap: int, selector: str, context_options: dict,
                     on_page: Callable[[], None] | None = None) -> dict[str, float]:
    """Pages per second and CPU milliseconds per page (this process, driver and Chromium) of a bare Playwright
    loop with `cap` pages open at once; `on_page` is called after each page."""
    queue = list(reversed(urls))
    finished: list[float] = []
    cpu = CpuSpan(len(urls), lambda: time.process_time() + tree_cpu(b"run-driver"))

    async def worker(context) -> None:
        while queue:
            url = queue.pop()
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector(selector)
            await page.content()
            await page.close()
            finished.append(time.monotonic())
            cpu.page_done()
            if on_page is not None:
                on_page()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        context = await browser.new_context(**context_options)
        await asyncio.gather(*(worker(context) for _ in range(cap)))
        await browser.close()
    return {"rate": rate(finished[0], finished[-1], len(finished)), "cpu_ms": cpu.ms_per_page()}


def product_selector(config: Config) -> str:
    """What the profile waits for on a product page: the bare loop waits for the same."""
    return config.platforms[PLATFORM].profile.pages()["product"].steps[0].wait_for


def context_options(config: Config) -> dict:
    return {"user_agent": config.crawl.user_agent, "locale": "zh-CN", "timezone_id": config.schedule.timezone}


def throughput(urls: list[str], sites: dict[str, str], work: Path, rounds: int, warm_pages: int) -> dict:
    config = load_config(ROOT / "config.toml")
    cap, selector, options = config.crawl.browser_page_cap, product_selector(config), context_options(config)
    asyncio.run(bare_round(urls[:warm_pages], cap, selector, options))
    measured_round(work / "warm", urls[:warm_pages], sites)
    ours, bare = [], []
    for number in range(rounds):
        ours.append(measured_round(work / f"round{number}", urls, sites))
        bare.append(asyncio.run(bare_round(urls, cap, selector, options)))
    cpu, bare_cpu = min(r["cpu_ms"] for r in ours), min(r["cpu_ms"] for r in bare)
    return {"pages": len(urls), "page_cap": cap, "selector": selector, "rounds": rounds,
            "shopsentinel_pages_per_s": [round(r["rate"], 2) for r in ours],
            "bare_pages_per_s": [round(r["rate"], 2) for r in bare],
            "shopsentinel_cpu_ms_per_page": round(cpu), "bare_cpu_ms_per_page": round(bare_cpu),
            "cpu_ratio": round(bare_cpu / cpu, 2),
            "best": max(r["rate"] for r in ours), "best_bare": max(r["rate"] for r in bare)}


# --- memory ------------------------------------------------------------------------------------------------------

def crawl_tree(table: dict[int, tuple[int, bytes]]) -> list[int]:
    """The crawl process and all its descendants."""
    return descendants(table, crawl_process(table))


def bare_tree(table: dict[int, tuple[int, bytes]]) -> list[int]:
    """The bare loop's Playwright driver (a child of this process) and the Chromium below it."""
    return descendants(table, child_process(table, b"run-driver"))


def kind_of(command: bytes) -> str:
    if b"crawlers.run" in command:
        return "crawler"
    if b"run-driver" in command:
        return "playwright_driver"
    return "chromium_renderers" if b"--type=renderer" in command else "chromium_other"


@dataclass
class Sample:
    pages: int           # pages stored when the sample was taken
    rss: dict[str, int]  # summed VmRSS bytes by process kind
    pss: int
    renderers: int

    @property
    def total(self) -> int:
        return sum(self.rss.values())


def take_sample(pages: int, tree_of: Callable[[dict], list[int]]) -> Sample | None:
    table = process_table()
    tree = tree_of(table)
    if not tree:
        return None
    rss: dict[str, int] = {}
    for pid in tree:
        kind = kind_of(table[pid][1])
        rss[kind] = rss.get(kind, 0) + memory_kb(pid, "status", b"VmRSS:") * 1024
    return Sample(pages=pages, rss=rss, pss=sum(memory_kb(pid, "smaps_rollup", b"Pss:") for pid in tree) * 1024,
                  renderers=sum(kind_of(table[pid][1]) == "chromium_renderers" for pid in tree))


@dataclass
class MemorySampler:
    """Samples a process tree every SAMPLE_EVERY_S in a thread; `pages` is bumped as pages finish."""

    tree_of: Callable[[dict], list[int]]
    pages: int = 0
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def on_event(self, event: dict) -> None:
        if event.get("event") == "item":
            self.page_done()

    def page_done(self) -> None:
        self.pages += 1

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY_S):
            if (sample := take_sample(self.pages, self.tree_of)) is not None:
                self.samples.append(sample)

    def peaks(self) -> dict:
        """The most summed RSS (and what it was made of), the most PSS and the most renderers of the run (MB)."""
        return {"samples": len(self.samples),
                "peak_rss_mb": round(max(s.total for s in self.samples) / MB), "at_peak": at_peak(self.samples),
                "peak_pss_mb": round(max(s.pss for s in self.samples) / MB),
                "max_renderers": max(s.renderers for s in self.samples)}

    def window(self, low: int, high: int) -> dict:
        """Median RSS (total and by kind, MB), median PSS and most renderers over the samples taken at pages
        [low, high)."""
        chosen = [s for s in self.samples if low <= s.pages < high]
        kinds = sorted({kind for s in chosen for kind in s.rss})
        return {"pages": f"{low}-{high}", "rss_mb": round(statistics.median(s.total for s in chosen) / MB),
                "pss_mb": round(statistics.median(s.pss for s in chosen) / MB),
                **{f"{kind}_mb": round(statistics.median(s.rss.get(kind, 0) for s in chosen) / MB) for kind in kinds},
                "renderers": max(s.renderers for s in chosen)}


def at_peak(samples: list[Sample]) -> dict:
    """What the sample with the most summed RSS was made of (MB by process kind), and when it was taken."""
    peak = max(samples, key=lambda s: s.total)
    return {"pages": peak.pages, **{f"{kind}_mb": round(value / MB) for kind, value in sorted(peak.rss.items())},
            "renderers": peak.renderers}


@contextmanager
def sampling(tree_of: Callable[[dict], list[int]]) -> Iterator[MemorySampler]:
    sampler = MemorySampler(tree_of)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    try:
        yield sampler
    finally:
        sampler.stop.set()
        thread.join()


def bare_memory_run(urls: list[str]) -> dict:
    """The same pages through the bare Playwright loop: what Playwright's driver and Chromium alone take."""
    config = load_config(ROOT / "config.toml")
    with sampling(bare_tree) as sampler:
        asyncio.run(bare_round(urls, config.crawl.browser_page_cap, product_selector(config), context_options(config),
                               sampler.page_done))
    return {"pages": sampler.pages, "median_rss_mb": round(statistics.median(s.total for s in sampler.samples) / MB),
            **sampler.peaks()}


def memory_run(products: list[str], sites: dict[str, str], work: Path, pages: int) -> dict:
    urls = [f"{products[n % len(products)]}?r={n}" for n in range(pages)]
    with sampling(crawl_tree) as sampler:
        crawl = shopsentinel_round(work / "memory", urls, sites, sampler.on_event)
    stats = crawl.stats()
    size = max(20, pages // 20)
    early = sampler.window(pages // 4, pages // 4 + size)
    late = sampler.window(pages - size, pages)
    return {"pages": pages, "stored": stats["items"].get("prices", 0), "run_pages": stats["pages"],
            "errors": stats["platforms"][PLATFORM]["errors"], "wall_s": round(crawl.wall_s, 1),
            "pages_per_s": round(crawl.item_rate(), 2), **sampler.peaks(),
            "early": early, "late": late, "rss_growth": round(late["rss_mb"] / early["rss_mb"] - 1, 3),
            "flat": late["rss_mb"] <= early["rss_mb"] * (1 + FLAT_TOLERANCE), "browser": stats.get("browser"),
            "bare": bare_memory_run(urls)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="pages of the memory crawl (default 2000, 300 with --quick)")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds of each side; best kept")
    parser.add_argument("--quick", action="store_true", help="40 pages a throughput round, a 300-page memory crawl")
    args = parser.parse_args()
    pages = args.pages or (300 if args.quick else 2000)
    if pages < 100:
        parser.error("--pages must be at least 100 to compare memory early and late in the crawl")

    os.environ.update(driver_environment(os.environ))  # the bare loop's driver runs as lean as the crawl's
    with launch() as market, tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        products = [p["url"] for p in market.ground_truth()["products"] if p["platform"] == PLATFORM]
        speed = throughput(products[:40] if args.quick else products, market.sites, Path(tmp), args.rounds,
                           warm_pages=8)
        memory = memory_run(products, market.sites, Path(tmp), pages)

    best, best_bare = speed.pop("best"), speed.pop("best_bare")
    report({"chromium": launch_options()["executable_path"], "throughput": speed, "memory": memory},
           "browser_crawl_kuaigou", best, "pages/s", best / best_bare,
           f"a bare Playwright loop over the same {speed['pages']} pages (target >= 0.80); "
           f"{memory['pages']}-page crawl peak RSS {memory['peak_rss_mb']} MB (target < 1024; the bare loop's driver "
           f"and Chromium alone on the same pages: {memory['bare']['peak_rss_mb']} MB), "
           f"{'flat' if memory['flat'] else 'growing'} ({memory['rss_growth']:+.0%} from page "
           f"{memory['pages'] // 4} to the end), peak PSS {memory['peak_pss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
