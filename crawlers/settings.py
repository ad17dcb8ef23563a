"""Scrapy settings built from config.toml: the one place that turns ShopSentinel's crawl settings into Scrapy's."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from config import Config
from crawlers.browser import AbortResources, launch_options
from crawlers.middlewares import CLOCK_KEY, CONFIG_KEY
from crawlers.url_policy import UrlPolicy
from store.timestamps import Clock, utc_now

RETRY_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def uses_browser(config: Config, platforms: list[str]) -> bool:
    return any(key in config.platforms and config.platforms[key].render == "browser" for key in platforms)


def scrapy_settings(config: Config, platforms: list[str], *, log_level: str = "WARNING",
                    store: bool = True, clock: Clock = utc_now) -> dict[str, Any]:
    """`store=False` prints items as JSON lines instead of storing them (`agent.py extract --url`); `clock` dates
    what is stored."""
    crawl = config.crawl
    settings: dict[str, Any] = {
        CONFIG_KEY: config,
        CLOCK_KEY: clock,
        "BOT_NAME": "shopsentinel",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": True,  # per platform, PlatformMiddleware marks requests of sites configured not to
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        # The store pipeline is synchronous, so items gain nothing from running in parallel; Scrapy's default of
        # 100 starts 100 worker tasks for every response's output, a third of the CPU a small page costs.
        "CONCURRENT_ITEMS": 1,
        "DOWNLOAD_DELAY": crawl.download_delay_s,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # each delay drawn from 0.5x to 1.5x, so requests do not tick like a clock
        "DOWNLOAD_SLOTS": {key: {"concurrency": crawl.concurrency_per_domain, "delay": crawl.download_delay_s}
                           for key in platforms},
        "DOWNLOAD_TIMEOUT": crawl.timeout_s,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle.enabled,
        "AUTOTHROTTLE_START_DELAY": crawl.download_delay_s,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle.target_concurrency,
        "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle.max_delay_s,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": RETRY_CODES,
        "RETRY_BACKOFF_S": crawl.retry_backoff_s,
        "CLOSESPIDER_PAGECOUNT": crawl.max_pages_per_run,
        "DOWNLOADER_MIDDLEWARES": {
            # Per-platform domains and the rest of the URL policy, where Scrapy's offsite check would be (before
            # robots.txt, so a refused URL does not even have its robots.txt fetched).
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "crawlers.middlewares.UrlPolicyMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.BackoffRetryMiddleware": 550,
            "crawlers.middlewares.PlatformMiddleware": 90,  # before robots.txt (100) and cookies (700)
        },
        "SPIDER_MIDDLEWARES": {"crawlers.middlewares.PlatformErrorsMiddleware": 10,
                               "crawlers.middlewares.UrlPolicySpiderMiddleware": 500},
        "ITEM_PIPELINES": {f"crawlers.pipelines.{'StorePipeline' if store else 'EmitPipeline'}": 300},
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_DEBUG": False,  # cookies may be session secrets: never in logs
        "LOG_LEVEL": log_level,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    if uses_browser(config, platforms):
        settings.update(browser_settings(config, platforms))
    return settings


def playwright_proxy(url: str) -> dict[str, str]:
    """Playwright wants a proxy's credentials apart from its server address."""
    parts = urlsplit(url)
    proxy = {"server": f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")}
    if parts.username:
        proxy.update(username=unquote(parts.username), password=unquote(parts.password or ""))
    return proxy


def browser_settings(config: Config, platforms: list[str]) -> dict[str, Any]:
    """One Chromium per crawl, one reused context per platform (with its storage state and proxy), a cap on open
    pages, and images, fonts and media never loaded."""
    contexts = {}
    for key in platforms:
        platform = config.platforms.get(key)
        if platform is None or platform.render != "browser":
            continue
        context: dict[str, Any] = {"user_agent": config.crawl.user_agent, "locale": "zh-CN",
                                   "timezone_id": config.schedule.timezone}
        if platform.storage_state is not None:
            context["storage_state"] = str(platform.storage_state)
        if proxy := platform.proxy_url():
            context["proxy"] = playwright_proxy(proxy)
        if platform.headers:
            context["extra_http_headers"] = dict(platform.headers)
        contexts[key] = context
    # Each scheme's handler starts its own Chromium, so only the schemes browser platforms use get one.
    schemes = {urlsplit(config.platforms[key].base_url or "https://").scheme for key in contexts}
    return {
        "DOWNLOAD_HANDLERS": {scheme: HANDLER for scheme in sorted(schemes)},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(config.crawl.chromium_path),
        "PLAYWRIGHT_CONTEXTS": contexts,
        "PLAYWRIGHT_MAX_CONTEXTS": max(1, len(contexts)),
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": config.crawl.browser_page_cap,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": config.crawl.timeout_s * 1000,
        "PLAYWRIGHT_ABORT_REQUEST": AbortResources(config.crawl.block_resources, UrlPolicy(config)),
    }
