"""A full pipeline cycle over the whole demo marketplace, and how it grows with the marketplace's size.

One cycle = `pipeline.run_cycle` on a fresh store: hot terms, every configured keyword's whole ranking, every
product page of every platform with all its reviews (the browser platform through Chromium), then the analysis
pass, the monitors and the outbox (local capture). For each scale (1x, then larger marketplaces generated with
`--scale`) it reports the wall time of each stage and the peak resident memory of the whole process tree (this
process, the crawl process and Chromium), sampled every 0.2 s.

The baseline is the 1x cycle of the same run: the ratio is cost(Nx) / (N * cost(1x)), so 1.0 is linear growth and
more means worse than linear. The summary ratio uses CPU seconds (this process and the crawl process with its
Chromium, which it waits for), because wall time on a shared 2-core machine moves with whatever else runs; wall
time growth is printed beside it. Targets (issue 6): linear growth, a 1x cycle under 2 minutes on 2 cores.

    .venv/bin/python bench/bench_cycle.py [--scales 1 2 4]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, bench_config, descendants, memory_kb, process_table, report

from config import load_config
from crawlers.run import CrawlPlan
from demo_market.launcher import launch
from pipeline import run_cycle


def tree_rss_mb() -> float:
    """Summed VmRSS of this process and all its descendants, in MB."""
    return sum(memory_kb(pid, "status", b"VmRSS:") for pid in descendants(process_table(), os.getpid())) / 1024


class PeakMemory:
    """Samples the process tree's RSS in a thread while the block runs."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, tree_rss_mb())

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that ended and were waited for (the crawl processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def whole_market_plan(config, truth: dict) -> CrawlPlan:
    platforms = list(config.platforms)
    keywords = [(k.term, [p for p in (k.platforms or platforms) if p in platforms], 200) for k in config.keywords]
    products = [(item["platform"], item["url"]) for item in truth["products"]]
    return CrawlPlan(platforms=platforms, hot_terms=True, keywords=keywords, products=products, reviews=True)


def one_cycle(scale: float, work: Path) -> dict:
    with launch(scale=scale) as market:
        truth = market.ground_truth()
        config_path = bench_config(work / f"x{scale:g}", market.sites)
        config = load_config(config_path)
        plan = whole_market_plan(config, truth)
        stages: dict[str, float] = {}
        last = [time.monotonic(), "crawling"]

        def on_stage(name: str) -> None:
            now = time.monotonic()
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
            last[:] = [now, name]

        started, cpu_before = time.monotonic(), cpu_seconds()
        with PeakMemory() as memory:
            cycle = run_cycle(config_path, config, plan, demo_urls=market.sites, on_stage=on_stage)
        wall, cpu = time.monotonic() - started, cpu_seconds() - cpu_before
        on_stage("done")
    pages = sum(stats.get("pages", 0) for run in cycle.crawl.runs
                for stats in (run.stats.get("platforms") or {}).values())
    return {"scale": scale, "products": len(truth["products"]), "pages": pages, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1),
            "stages_s": {k: round(v, 1) for k, v in stages.items() if k != "done"},
            "reviews_scored": cycle.analysis.reviews_scored, "alerts": len(cycle.alerts),
            "peak_rss_mb": round(memory.peak), "failed_platforms": cycle.failed_platforms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    args = parser.parse_args()
    scales = sorted(set(args.scales) | {1.0})
    with tempfile.TemporaryDirectory(prefix="bench-cycle-", dir=ROOT / "var") as work:
        runs = [one_cycle(scale, Path(work)) for scale in scales]
    base = runs[0]
    for run in runs:
        run["cpu_growth_vs_linear"] = round(run["cpu_s"] / (run["scale"] * base["cpu_s"]), 2)
        run["wall_growth_vs_linear"] = round(run["wall_s"] / (run["scale"] * base["wall_s"]), 2)
    largest = runs[-1]
    report({"runs": runs}, "cycle", base["wall_s"],
           f"s for a 1x cycle ({base['cpu_s']:.0f} CPU s, {base['peak_rss_mb']} MB peak RSS); {largest['scale']:g}x "
           f"took {largest['wall_s']:.0f} s ({largest['cpu_s']:.0f} CPU s, wall ratio "
           f"{largest['wall_growth_vs_linear']:.2f})", largest["cpu_growth_vs_linear"],
           f"linear growth of CPU time from 1x to {largest['scale']:g}x (1.0 = linear)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
