"""Transport concerns, kept out of the spiders: which URLs may be requested, per-platform identity and politeness,
and retries with backoff.

- `UrlPolicySpiderMiddleware` drops every request a spider yields that the URL policy (crawlers/url_policy.py)
  refuses, before it is scheduled; `UrlPolicyMiddleware` refuses it again in the downloader, the targets of
  redirects included, before anything else sees it (robots.txt included).
- `PlatformMiddleware` gives each platform its own download slot (so concurrency, delay and AutoThrottle apply
  per site even when several sites share a host), its configured headers, proxy and cookies, and its robots.txt
  choice.
- `BackoffRetryMiddleware` replaces Scrapy's RetryMiddleware: the same retry decisions and stats, but a retried
  request waits first, as long as the server's Retry-After asks (429/503) or an exponential backoff, and a
  Retry-After pauses every request to that site, not only the one that got it. A page the spider classified as
  blocked (crawlers.page_state: a captcha, a soft ban) counts like a 429 without Retry-After: the site waits the
  backoff, doubled for each blocked page in a row, and after `crawl.stop_after_blocked` in a row the platform is
  not requested again in this run (its requests end as `PlatformStopped`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from email.utils import parsedate_to_datetime
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

from config import Config, Platform
from crawlers import progress
from crawlers.url_policy import Refused

logger = logging.getLogger(__name__)

CONFIG_KEY = "SHOPSENTINEL_CONFIG"
CLOCK_KEY = "SHOPSENTINEL_CLOCK"  # the store.timestamps.Clock the crawl stamps what it stores with
MAX_RETRY_AFTER_S = 300.0  # a server asking for longer than this is treated as down for this run


class PlatformStopped(IgnoreRequest):
    """A request not made: its platform served too many blocked pages in a row in this run."""


def load_cookies(path: Path) -> dict[str, str]:
    """Cookies from a Netscape cookies.txt or a JSON export (a list of {name, value} or Playwright storage
    state). Values are never logged."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith(("[", "{")):
        data = json.loads(text)
        entries = data.get("cookies", []) if isinstance(data, dict) else data
        return {entry["name"]: entry["value"] for entry in entries}
    jar = MozillaCookieJar()
    jar.load(str(path), ignore_discard=True, ignore_expires=True)
    return {cookie.name: cookie.value or "" for cookie in jar}


class PlatformMiddleware:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._cookies: dict[str, dict[str, str]] = {}
        for key in config.platforms:
            if not config.obeys_robots(key):
                logger.warning("platform %s is configured to ignore robots.txt: crawl it only with the site's "
                               "permission", key)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PlatformMiddleware:
        return cls(crawler.settings[CONFIG_KEY])

    def process_request(self, request: Request) -> None:
        platform = self.config.platforms.get(request.meta.get("platform"))
        if platform is None:
            return None
        key = request.meta["platform"]
        request.meta.setdefault("download_slot", key)
        for name, value in platform.headers.items():
            request.headers.setdefault(name, value)
        if not self.config.obeys_robots(key):
            request.meta["dont_obey_robotstxt"] = True
        proxy = platform.proxy_url()
        if proxy and not request.meta.get("playwright"):
            request.meta.setdefault("proxy", proxy)
        if platform.cookies_file is not None:
            for name, value in self._platform_cookies(key, platform).items():
                request.cookies.setdefault(name, value)  # type: ignore[union-attr]
        return None

    def _platform_cookies(self, key: str, platform: Platform) -> dict[str, str]:
        if key not in self._cookies:
            self._cookies[key] = load_cookies(platform.cookies_file)
        return self._cookies[key]


class UrlPolicySpiderMiddleware(BaseSpiderMiddleware):
    """Scrapy's spider-side offsite check, per platform: a request the spider yields (a listing's link, a next
    page, a start URL) that the policy refuses is counted, logged and dropped here, so it never becomes a page
    to fetch."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        return None if self.crawler.spider.refused(request.meta.get("platform"), request.url) else request


class UrlPolicyMiddleware:
    """Scrapy's OffsiteMiddleware keeps a spider on one list of domains; this keeps each request on its platform's
    and applies the rest of the URL policy too. The spider declares the policy (its `url_guard`, as Scrapy's
    spiders declare `allowed_domains`); this enforces it on every request, including those Scrapy makes itself:
    a redirect comes back through here as a new request, and a robots.txt request carries no platform."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlPolicyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        self._check(request, request.url)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        # A browser follows redirects itself: the page it ended on is refused here, before a spider reads it.
        if response.url != request.url:
            self._check(request, response.url)
        # A redirect RedirectMiddleware followed came back through process_request; one it did not follow (to
        # another scheme) reaches here, and is a refusal rather than a failed page.
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            self._check(request, urljoin(response.url, location.decode("latin-1")))
        return response

    def _check(self, request: Request, url: str) -> None:
        refusal = self.crawler.spider.url_guard.check(request.meta.get("platform"), url,
                                                      own_host=request.meta.get("own_host"))
        if refusal is not None:
            raise Refused(refusal)


def retry_after_seconds(response: Response) -> float | None:
    """The delay a Retry-After header asks for: delta-seconds or an HTTP date; None when absent or unreadable."""
    header = response.headers.get(b"Retry-After")
    if not header:
        return None
    value = header.decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries like Scrapy's RetryMiddleware, but never immediately: see the module docstring."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_s = settings.getfloat("RETRY_BACKOFF_S", 2.0)
        self.stop_after_blocked = settings[CONFIG_KEY].crawl.stop_after_blocked
        self._site_paused_until: dict[str, float] = {}

    async def process_request(self, request: Request) -> None:
        slot = request.meta.get("download_slot") or request.url
        wait_until = max(request.meta.get("retry_not_before", 0.0), self._site_paused_until.get(slot, 0.0),
                         self._blocked_until(request.meta.get("platform")))
        delay = wait_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return None

    def _blocked_until(self, platform: str | None) -> float:
        """When a platform that served blocked pages may be asked again: the backoff after its latest blocked
        page, doubled for each one in a row (the spider's page log counts them); PlatformStopped at the limit."""
        page_log = getattr(self.crawler.spider, "page_log", None)
        if platform is None or page_log is None:
            return 0.0
        streak, last = page_log.blocked_in_a_row(platform)
        if not streak:
            return 0.0
        if streak >= self.stop_after_blocked:
            raise PlatformStopped(f"{platform} served {streak} blocked pages in a row: not requested again in "
                                  "this run")
        return last + min(MAX_RETRY_AFTER_S, self.backoff_s * 2 ** (streak - 1))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response) if response.status in (429, 503) else None
        if asked is not None and asked > MAX_RETRY_AFTER_S:
            logger.warning("%s asks to retry after %.0f s, more than %.0f s: giving up on it for this run",
                           request.url, asked, MAX_RETRY_AFTER_S)
            return response
        retry = self._retry_later(request, response_status_message(response.status), asked)
        if retry is not None and asked is not None:
            slot = request.meta.get("download_slot") or request.url
            self._site_paused_until[slot] = max(self._site_paused_until.get(slot, 0.0), time.monotonic() + asked)
            self.crawler.stats.inc_value("retry/retry_after_honoured")
        return retry or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False):
            return self._retry_later(request, exception, None)
        return None

    def _retry_later(self, request: Request, reason, asked: float | None) -> Request | None:
        assert self.crawler.spider is not None
        retry = get_retry_request(request, spider=self.crawler.spider, reason=reason,
                                  max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
                                  priority_adjust=request.meta.get("priority_adjust", self.priority_adjust))
        if retry is None:
            return None
        attempt = retry.meta["retry_times"]
        # Jitter keeps many requests that failed together from coming back together.
        wait = asked if asked is not None else self.backoff_s * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
        retry.meta["retry_not_before"] = time.monotonic() + wait
        return retry


class PlatformErrorsMiddleware:
    """A spider middleware that counts exceptions raised while reading a page against the page's platform, so a
    platform whose pages all fail to parse is reported as failed rather than as merely empty."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PlatformErrorsMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        key = response.meta.get("platform", "?")
        self.stats.inc_value(f"shopsentinel/errors/{key}/{type(exception).__name__}")
        logger.error("%s: reading %s failed: %r", key, response.url, exception)
        progress.emit({"event": "failed", "platform": key, "url": response.url,
                       "reason": f"reading the page failed: {exception!r}"})
        return None
