"""The fleet's coordinator in a process of its own, for tests that kill it mid-cycle.

Usage: python tests/fleet_coordinator.py CONFIG SITES_JSON PLAN_JSON REDIS_URL
"""

from __future__ import annotations

import json
import sys

from config import load_config, with_demo_urls
from coordinator import crawl_on_fleet
from crawlers.run import CrawlPlan

if __name__ == "__main__":
    config_path, sites, plan, url = sys.argv[1:5]
    crawl_on_fleet(with_demo_urls(load_config(config_path), json.loads(sites)), CrawlPlan.from_json(plan), url)
