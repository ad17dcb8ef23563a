"""Extraction accuracy on the demo marketplace's ground truth, and the generic extractor's speed against bare parsing.

Accuracy: ShopSentinel's real crawl (`run_crawl`, a ProductsSpider over every product page of the three demo
platforms, reviews off, kuaigou through Chromium) into a fresh SQLite store; then each product's stored title,
description, latest price, availability and review count are compared with the marketplace's ground truth (a
product not stored counts as wrong on every field). Prints accuracy per platform and per field and the first mismatches.

Speed: `crawlers.extract.extract_product` alone over the shangcheng and laodian product pages (fetched once,
decoded with crawlers.encoding.decode_html as the spiders do), against bare `parsel.Selector(text=html)` parsing
of the same pages as the baseline: the ratio is the share of the extractor's time that bare parsing would take,
the rest is the extraction itself. After a warm-up pass of each, the two take turns for --rounds rounds of at
least half a second each, and each keeps its fastest.

Main price on fixture pages: the share of tests/fixtures/pages/mainprice pages (Chinese marketplaces' and western
layouts with recommendation carousels, coupons, instalments, struck list prices) whose price and range are right,
for the dev and the held-out split apart (bench/fixture_prices.py).

    .venv/bin/python bench/bench_extraction.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from common import ROOT, bench_config, report, timed_crawl
from fixture_prices import SPLITS, fixture_accuracy
from parsel import Selector

from config import load_config
from crawlers.encoding import decode_html
from crawlers.extract import extract_product
from crawlers.run import CrawlPlan
from demo_market.launcher import launch
from store import open_store

PLATFORMS = ["shangcheng", "laodian", "kuaigou"]
STATIC = ["shangcheng", "laodian"]
FIELDS = ("title", "description", "price", "availability", "review_count")
MIN_ROUND_S = 0.5


# --- accuracy ----------------------------------------------------------------------------------------------------

def crawl_all(truth: dict, sites: dict[str, str], directory: Path) -> tuple[dict[tuple[str, str], dict], float]:
    """Crawl every product page; return what the store holds per (platform, item id), and the crawl's seconds."""
    config = bench_config(directory, download_delay_s=0.0, concurrent_requests=8, concurrency_per_domain=4,
                          max_pages_per_run=100_000)
    plan = CrawlPlan(platforms=PLATFORMS, products=[(p["platform"], p["url"]) for p in truth["products"]])
    crawl = timed_crawl(config, plan, sites)
    stored = {}
    with open_store(directory / "var" / "shopsentinel.db") as store:
        products = store.products()
        latest = store.latest_prices([p.id for p in products])
        for product in products:
            seen = latest.get(product.id)
            observed = {} if seen is None else {"price": round(float(seen.price), 2),
                                                "availability": seen.availability, "review_count": seen.review_count}
            stored[(product.platform, product.item_id)] = {"title": product.title, "description": product.description,
                                                       **observed}
    return stored, crawl.wall_s


def compare(truth: dict, stored: dict[tuple[str, str], dict]) -> tuple[Counter, Counter, list[dict]]:
    """Right answers per (platform, field), totals per (platform, field), and every mismatch."""
    right, total, mismatches = Counter(), Counter(), []
    for product in truth["products"]:
        key = (product["platform"], product["item_id"])
        got = stored.get(key, {})
        for name in FIELDS:
            expected = round(product[name], 2) if name == "price" else product[name]
            total[key[0], name] += 1
            if got.get(name) == expected:
                right[key[0], name] += 1
            else:
                mismatches.append({"platform": key[0], "item_id": key[1], "field": name, "expected": expected,
                                   "stored": got.get(name, "(not stored)")})
    return right, total, mismatches


def share(right: Counter, total: Counter, keep: Callable[[tuple[str, str]], bool]) -> float:
    """Percentage of right answers among the (platform, field) pairs `keep` accepts."""
    ok, counted = sum(v for k, v in right.items() if keep(k)), sum(v for k, v in total.items() if keep(k))
    return round(100 * ok / counted, 2) if counted else 0.0


# --- speed -------------------------------------------------------------------------------------------------------

def fetch_pages(truth: dict) -> dict[str, list[tuple[str, str]]]:
    """(decoded html, url) of every shangcheng and laodian product page by platform, decoded as the spiders do."""
    config = load_config(ROOT / "config.toml")
    pages: dict[str, list[tuple[str, str]]] = {key: [] for key in STATIC}
    for product in truth["products"]:
        if product["platform"] not in STATIC:
            continue
        with urllib.request.urlopen(product["url"], timeout=30) as response:
            body, declared = response.read(), response.headers.get_content_charset()
        text, _ = decode_html(body, declared=declared, hint=config.platforms[product["platform"]].encoding)
        pages[product["platform"]].append((text, product["url"]))
    return pages


def one_pass(pages: list[tuple[str, str]], work: Callable[[str, str], object], repeat: int) -> float:
    """Seconds per pass of `work` over `pages`, averaged over `repeat` passes."""
    started = time.perf_counter()
    for _ in range(repeat):
        for html, url in pages:
            work(html, url)
    return (time.perf_counter() - started) / repeat


def speed(pages: dict[str, list[tuple[str, str]]], rounds: int) -> dict[str, dict[str, float]]:
    """Pages per second of the extractor and of bare parsing, per platform and over all pages. A warm-up pass of
    each sets how many passes make a timed round last MIN_ROUND_S (bare parsing of 105 small pages takes only
    milliseconds); the sides then take turns, round after round, and each keeps its fastest round."""
    sides = {"extract_product": extract_product,
             "parsel_selector": lambda html, url: Selector(text=html, base_url=url)}
    runs = [(side, key) for side in sides for key in pages]
    repeat = {(side, key): max(1, math.ceil(MIN_ROUND_S / one_pass(pages[key], sides[side], 1))) for side, key in runs}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for side, key in runs:
            best[side, key] = min(best[side, key], one_pass(pages[key], sides[side], repeat[side, key]))
    rates: dict[str, dict[str, float]] = {}
    for side in sides:
        rates[side] = {key: round(len(pages[key]) / best[side, key], 1) for key in pages}
        rates[side]["all"] = sum(len(p) for p in pages.values()) / sum(best[side, key] for key in pages)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each side; best kept")
    args = parser.parse_args()

    with launch() as market, tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        truth = market.ground_truth()
        stored, crawl_s = crawl_all(truth, market.sites, Path(tmp))
        pages = fetch_pages(truth)

    right, total, mismatches = compare(truth, stored)
    rates = speed(pages, args.rounds)
    extractor, parsing = rates["extract_product"].pop("all"), rates["parsel_selector"].pop("all")
    timed = sum(len(platform_pages) for platform_pages in pages.values())
    accuracy = share(right, total, lambda key: True)
    fixtures = {split: fixture_accuracy(split) for split in SPLITS}
    report({"products": len(truth["products"]), "stored": len(stored), "crawl_s": round(crawl_s, 1),
            "accuracy_pct": accuracy,
            "by_platform_pct": {p: share(right, total, lambda key, p=p: key[0] == p) for p in PLATFORMS},
            "by_field_pct": {f: share(right, total, lambda key, f=f: key[1] == f) for f in FIELDS},
            "mismatches": len(mismatches), "first_mismatches": mismatches[:10],
            "timed_pages": timed, "extract_product_pages_per_s": round(extractor, 1),
            "parsel_selector_pages_per_s": round(parsing, 1), "by_platform_pages_per_s": rates,
            "extract_product_ms_per_page": round(1000 / extractor, 2),
            "parsel_selector_ms_per_page": round(1000 / parsing, 3),
            "fixture_main_price_pct": {split: f["price_pct"] for split, f in fixtures.items()},
            "fixture_list_price_pct": {split: f["list_price_pct"] for split, f in fixtures.items()},
            "fixture_wrong": [w for f in fixtures.values() for w in f["wrong"]]},
           "extract_product", extractor, "pages/s", extractor / parsing,
           f"bare parsel.Selector parsing of the same {timed} shangcheng and laodian pages; crawl accuracy "
           f"{accuracy:.1f} % over {sum(total.values())} fields of {len(truth['products'])} products "
           f"(target 100 %); fixture main price " +
           ", ".join(f"{split} {f['price_pct']:.1f} % of {f['pages']}" for split, f in fixtures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
