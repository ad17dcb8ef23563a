"""The static crawl path: pages per second through ShopSentinel's real crawl against a bare Scrapy spider.

ShopSentinel's side is `run_crawl` (its own child process) with a ProductsSpider over every shangcheng product of
the demo marketplace, reviews on, so it also pages through every review page: parsing, generic extraction, site
profile, store pipeline into a fresh SQLite file, progress events. The baseline is a bare Scrapy spider in its own
child process that only downloads the same URLs (the ones ShopSentinel's warm-up crawl fetched): no parsing, no
pipeline. Both obey robots.txt, use the same user agent, no download delay, AutoThrottle off and the same
concurrency (CONCURRENT_REQUESTS and per-domain). Each side's rate is taken between its first and its last page
response, so neither pays for process start-up; whole-process wall times are in the JSON line too, and so is each
side's CPU time per page over the same span (both sides are single CPU-bound processes, and CPU time is much
less disturbed than rates by other load on the machine). The sides run alternately after a warm-up of each, and
the best round of each is kept.

    .venv/bin/python bench/bench_static_crawl.py [--concurrency 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, TimedCrawl, bench_config, rate, report, timed_crawl

from config import load_config
from crawlers.run import CrawlPlan
from demo_market.launcher import launch

PLATFORM = "shangcheng"
BARE_SPIDER = """
import json, sys, time
import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess

urls, settings = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
times, cpu = [], []

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        pass

def received(response, request, spider):
    if not response.url.endswith("/robots.txt"):
        times.append(time.monotonic())
        cpu.append(time.process_time())

process = AsyncCrawlerProcess(settings)
crawler = process.create_crawler(Bare)
crawler.signals.connect(received, signal=signals.response_received)
process.crawl(crawler)
process.start()
print(json.dumps({"pages": len(times), "first": times[0], "last": times[-1],
                  "cpu_ms_per_page": 1000 * (cpu[-1] - cpu[0]) / (len(cpu) - 1)}))
"""


def bare_settings(concurrency: int) -> dict:
    return {"USER_AGENT": load_config(ROOT / "config.toml").crawl.user_agent, "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False, "LOG_LEVEL": "WARNING"}


def shopsentinel_round(directory: Path, urls: list[str], sites: dict[str, str], concurrency: int) -> TimedCrawl:
    """One crawl into a fresh store (a stored review would stop the review paging early)."""
    config = bench_config(directory, download_delay_s=0.0, concurrent_requests=concurrency,
                          concurrency_per_domain=concurrency, max_pages_per_run=100_000)
    plan = CrawlPlan(platforms=[PLATFORM], products=[(PLATFORM, url) for url in urls], reviews=True)
    return timed_crawl(config, plan, sites)


def bare_round(urls_file: Path, concurrency: int) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", BARE_SPIDER, str(urls_file), json.dumps(bare_settings(concurrency))],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall_s": time.monotonic() - started, "rate": rate(result["first"], result["last"],
                                                                          result["pages"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight, overall and per site")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each side after the warm-up; best kept")
    args = parser.parse_args()

    with launch() as market, tempfile.TemporaryDirectory(prefix="bench-static-") as tmp:
        work = Path(tmp)
        products = [p["url"] for p in market.ground_truth()["products"] if p["platform"] == PLATFORM]
        warm = shopsentinel_round(work / "warm", products, market.sites, args.concurrency)
        urls_file = work / "urls.json"
        urls_file.write_text(json.dumps(warm.urls))
        bare_round(urls_file, args.concurrency)  # warm-up of the baseline
        ours, bare = [], []
        for number in range(args.rounds):
            ours.append(shopsentinel_round(work / f"round{number}", products, market.sites, args.concurrency))
            bare.append(bare_round(urls_file, args.concurrency))

    pages = len(warm.urls)
    if any(len(r.urls) != pages for r in ours) or any(r["pages"] != pages for r in bare):
        raise RuntimeError(f"a round fetched other than the warm-up's {pages} pages")
    best = max(ours, key=TimedCrawl.page_rate)
    best_bare = max(bare, key=lambda r: r["rate"])
    cpu, bare_cpu = min(r.cpu_ms_per_page() for r in ours), min(r["cpu_ms_per_page"] for r in bare)
    stats = best.stats()
    report({"platform": PLATFORM, "products": len(products), "pages": pages, "run_stats_pages": stats["pages"],
            "items": stats["items"], "concurrency": args.concurrency, "rounds": args.rounds,
            "shopsentinel_pages_per_s": [round(r.page_rate(), 1) for r in ours],
            "bare_pages_per_s": [round(r["rate"], 1) for r in bare],
            "shopsentinel_cpu_ms_per_page": round(cpu, 2), "bare_cpu_ms_per_page": round(bare_cpu, 2),
            "cpu_ratio": round(bare_cpu / cpu, 2),
            "shopsentinel_wall_s": round(best.wall_s, 2), "bare_wall_s": round(best_bare["wall_s"], 2),
            "wall_ratio": round(best_bare["wall_s"] / best.wall_s, 2)},
           "static_crawl_shangcheng", best.page_rate(), "pages/s", best.page_rate() / best_bare["rate"],
           f"a bare Scrapy spider downloading the same {pages} pages (target >= 0.60)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
