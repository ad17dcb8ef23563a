"""What the crawler benchmarks share: a timed ShopSentinel crawl, rates, the report (configs: crawlers.testing).

Rates are measured between the first and the last completed page of a side ((pages - 1) / seconds between them),
so neither side is charged for process start-up, browser launch or shutdown; each side's whole wall time is
reported next to it as well. Where a side is one CPU-bound process, its CPU time over the same span is read too
(from /proc for the crawl process): CPU milliseconds per page suffer much less than rates from other load on a
shared machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.run import CrawlPlan, CrawlResult, run_crawl
from crawlers.testing import demo_config as bench_config  # noqa: F401 (the benchmarks import it from here)
from crawlers.testing import descendants, process_table  # noqa: F401 (likewise)

PAGE_KINDS = ("product", "reviews", "search", "hot")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rate(first: float, last: float, pages: int) -> float:
    """Pages per second between the first and the last completed page."""
    return (pages - 1) / (last - first) if pages > 1 and last > first else 0.0


def child_process(table: dict[int, tuple[int, bytes]], marker: bytes) -> int | None:
    """The child of this process whose command line holds `marker`."""
    return next((pid for pid, (ppid, cmd) in table.items() if ppid == os.getpid() and marker in cmd), None)


def crawl_process(table: dict[int, tuple[int, bytes]]) -> int | None:
    """The crawl process `run_crawl` started: a child of this process running crawlers.run."""
    return child_process(table, b"crawlers.run")


def memory_kb(pid: int, path: str, key: bytes) -> int:
    """One kB figure of a process from /proc/<pid>/<path> (e.g. "status", b"VmRSS:"); 0 if it has ended."""
    try:
        with open(f"/proc/{pid}/{path}", "rb") as lines:
            return next((int(line.split()[1]) for line in lines if line.startswith(key)), 0)
    except OSError:
        return 0


def cpu_seconds(pid: int, *, ended_children: bool = False) -> float:
    """User plus system CPU time of a process so far (all its threads), optionally plus that of its children that
    have ended and been waited for."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = [int(value) for value in stat.read().rsplit(b")", 1)[1].split()[11:15]]
    return sum(fields if ended_children else fields[:2]) / CLOCK_TICKS


@dataclass
class TimedCrawl:
    """A ShopSentinel crawl seen from the parent: when each page and item arrived (monotonic seconds), and the
    crawl process's CPU time at the first and the last page."""

    result: CrawlResult | None = None
    wall_s: float = 0.0
    page_times: list[float] = field(default_factory=list)
    item_times: list[float] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    pid: int | None = None
    cpu_first: float = 0.0
    cpu_last: float = 0.0

    def on_event(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        if event.get("event") == "page" and event.get("kind") in PAGE_KINDS:
            self.page_times.append(now)
            self.urls.append(event["url"])
            self._read_cpu()
        elif event.get("event") == "item":
            self.item_times.append(now)

    def _read_cpu(self) -> None:
        if self.pid is None:
            self.pid = crawl_process(process_table())
            self.cpu_first = cpu_seconds(self.pid)
        self.cpu_last = cpu_seconds(self.pid)

    def stats(self) -> dict[str, Any]:
        """The run's stats as the store recorded them."""
        return self.result.runs[0].stats

    def page_rate(self) -> float:
        return rate(self.page_times[0], self.page_times[-1], len(self.page_times))

    def item_rate(self) -> float:
        return rate(self.item_times[0], self.item_times[-1], len(self.item_times))

    def cpu_ms_per_page(self) -> float:
        """CPU milliseconds of the crawl process per page between the first and the last page."""
        return 1000 * (self.cpu_last - self.cpu_first) / (len(self.page_times) - 1)


def timed_crawl(config: Path, plan: CrawlPlan, sites: dict[str, str],
                on_event: Callable[[dict[str, Any]], None] | None = None) -> TimedCrawl:
    """Run ShopSentinel's real crawl (`run_crawl`, its own child process) and time its progress events."""
    timed = TimedCrawl()

    def both(event: dict[str, Any]) -> None:
        timed.on_event(event)
        if on_event is not None:
            on_event(event)

    started = time.monotonic()
    timed.result = run_crawl(config, plan, demo_urls=sites, on_event=both)
    timed.wall_s = time.monotonic() - started
    return timed


def report(details: dict[str, Any], name: str, value: float, unit: str, ratio: float, baseline: str) -> None:
    """The JSON line of details, then the summary line (always the last line a benchmark prints)."""
    print(json.dumps(details, ensure_ascii=False))
    shown = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"  # small ratios keep two significant digits
    print(f"{name}: {value:.1f} {unit}, ratio {shown} against {baseline}")
