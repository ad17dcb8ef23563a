"""What every ShopSentinel spider shares: building requests for a platform's pages (plain HTTP or through
Chromium, as its profile says), and reading hot-term, search, product and review pages into items.

Spiders only extract. Which pages to visit comes from the crawl plan; how a page is read comes from the generic
extractor and the platform's site profile; persisting is the item pipeline's job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, NamedTuple

import scrapy
from parsel import Selector as Page
from playwright.async_api import TimeoutError as PlaywrightTimeout
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config import Config, PageProfile, Platform
from crawlers import progress
from crawlers.browser import JsonCapture, StopCheck, run_steps
from crawlers.encoding import decode_html
from crawlers.items import HotTerm, HotTermsItem, ProductItem, ReviewsPageItem, SearchPageItem
from crawlers.middlewares import PlatformStopped
from crawlers.page_state import STATE_STATUSES, History, PageLog, PageState, Verdict, classify, wall
from crawlers.profiles import read_items, read_page
from crawlers.reading import documents_of, read_product, reviews_from, search_hits
from crawlers.url_policy import Refused, UrlGuard, UrlPolicy, host_of

logger = logging.getLogger(__name__)

GENERIC = "web"  # the pseudo-platform of a URL no configured platform claims: generic extraction only
PAGES_CLOSED = "playwright/page_count/closed"
MAX_REVIEW_PAGES = 200  # a product's reviews are finite; a pager that never ends is a site bug, not more reviews


class Rendered(NamedTuple):
    html: str                 # the markup as received (or as the browser has it after the steps)
    url: str
    documents: list[Any]      # JSON the profile's json selectors read: captured responses, a JSON(P) body, script_var

    def selector(self) -> Page:
        return Page(text=self.html, base_url=self.url)


class ShopSpider(scrapy.Spider):
    """Base spider. Subclasses decide where to start (`start`); the parse methods are shared so a search can
    go on to product pages and reviews in the same crawl."""

    def __init__(self, config: Config, platforms: Iterable[str], *, reviews: bool = False,
                 known_reviews: dict[str, set[str]] | None = None, history: History | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.platforms = list(platforms)
        self.want_reviews = reviews
        self.known_reviews = known_reviews or {}
        self.history = history or History()
        self.page_log = PageLog()  # BackoffRetryMiddleware reads its blocked streaks
        self.listings_read: dict[tuple[str, str], set[str]] = {}   # (platform, keyword) -> listing URLs met

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ShopSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # UrlPolicySpiderMiddleware applies it to every request the spider yields, UrlPolicyMiddleware again in
        # the downloader (redirects included)
        spider.url_guard = UrlGuard(UrlPolicy(spider.config), crawler)
        return spider

    # --- requests ------------------------------------------------------------------------------------------

    def page_request(self, key: str, url: str, kind: str, callback, *, extra_steps: tuple = (),
                     meta: dict[str, Any] | None = None, priority: int = 0) -> scrapy.Request:
        platform = self.config.platforms.get(key)
        meta = {"platform": key, "page_kind": kind, **(meta or {})}
        if platform is None:
            meta["own_host"] = host_of(url)  # a URL no platform claims: its requests stay on its host
        if platform is not None and platform.render == "browser":
            profile = platform.profile.pages()[kind]
            meta.update(playwright=True, playwright_context=key, playwright_include_page=True,
                        steps=tuple(profile.steps) + tuple(extra_steps))
            if profile.xhr:
                capture = JsonCapture(profile.xhr)
                meta.update(capture=capture, playwright_page_event_handlers={"response": capture.on_response})
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, priority=priority)

    def refused(self, key: str, url: str) -> bool:
        """Whether the URL policy refuses `url` for platform `key` (counted, logged, and told as a failed page)."""
        refusal = self.url_guard.check(key, url)
        if refusal is not None:
            self.page_failed(key, url, str(refusal))
        return refusal is not None

    def new_listing(self, key: str, keyword: str, url: str) -> bool:
        """A search listing not met on an earlier page of the keyword's search, and not refused. A site that
        ignores the page number serves its first page again: those listings are neither new ranks nor new
        refusals, and a page of nothing new ends the search."""
        read = self.listings_read.setdefault((key, keyword), set())
        if url in read:
            return False
        read.add(url)
        return not self.refused(key, url)

    def page_failed(self, key: str, url: str, reason: str) -> None:
        """Tell the crawl's parent why a page was not read (`extract --url` shows it)."""
        progress.emit({"event": "failed", "platform": key, "url": url, "reason": reason})

    async def on_error(self, failure: Failure) -> None:
        request = failure.request
        page = request.meta.get("playwright_page")
        if page is not None:
            await self._close(page)
        key = request.meta.get("platform", "?")
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL asked for, before redirects
        if failure.check(Refused):  # counted and logged by the URL guard already
            self.page_failed(key, url, str(failure.value))
            return
        if failure.check(PlatformStopped):  # not requested at all: the platform blocked too many pages in a row
            self.crawler.stats.inc_value(f"shopsentinel/stopped/{key}")
            self.page_failed(key, url, str(failure.value))
            return
        kind = failure.type.__name__
        if failure.check(HttpError):
            response = failure.value.response
            kind = f"http_{response.status}"
            if response.status in STATE_STATUSES:  # a 5xx is the site failing, not a page to classify
                state = self.page_state(response, self._decoded(response).html, found=False)
                if state == PageState.NOT_FOUND:  # a delisted product is news for the operator, not a failure
                    self.page_failed(key, url, failure_reason(failure))
                    return
        self.crawler.stats.inc_value(f"shopsentinel/errors/{key}/{kind}")
        logger.warning("%s page %s failed: %s", key, request.url, kind)
        self.page_failed(key, url, failure_reason(failure))

    async def rendered(self, response: Response) -> Rendered:
        """The page as a shopper sees it, and the JSON documents it fetched. Browser pages first run their steps;
        their page is always closed, so a crawl never leaks tabs."""
        page = response.meta.get("playwright_page")
        if page is None:
            return self._decoded(response)
        capture = response.meta.get("capture")
        try:
            timeout_ms = self.config.crawl.timeout_s * 1000
            try:
                if await run_steps(page, response.meta.get("steps", ()), timeout_ms,
                                   self._shows_known_review(response)):
                    self.crawler.stats.inc_value(f"shopsentinel/reviews_stopped_at_known/{response.meta['platform']}")
            except PlaywrightTimeout:
                # A captcha or login page never draws what the steps wait for: it is read (and classified as
                # such by the caller); any other page that timed out stays an error, as a slow page does.
                if wall(await page.content()) is None:
                    raise
            html = await page.content()
            captured = await capture.settle() if capture else []
        finally:
            await self._close(page)
        return Rendered(html, response.url, documents_of(html, self.platform_of(response)[2], captured))

    async def _close(self, page) -> None:
        """Close a browser page, counted beside scrapy-playwright's own `playwright/page_count` (pages opened),
        which counts only the pages it closes itself, never those handed to a spider."""
        if not page.is_closed():
            await page.close()
            self.crawler.stats.inc_value(PAGES_CLOSED)

    def _shows_known_review(self, response: Response) -> StopCheck | None:
        """For a product page whose reviews load by "load more" (newest first): a check that the page shows a
        review already stored, after which every older one is stored too and loading more would only repeat them.
        None when nothing of the product is stored (a first crawl reads every review)."""
        known = self.known_reviews.get(response.url) if response.meta.get("inline_reviews") else None
        if not known:
            return None
        profile = self.config.platforms[response.meta["platform"]].profile.reviews
        capture = response.meta.get("capture")

        async def shows_known(page) -> bool:
            shown = Page(text=await page.content(), base_url=response.url)
            reviews = reviews_from(profile, shown, response.url, capture.documents if capture else [])
            return any(review.review_id in known for review in reviews)

        return shows_known

    def _decoded(self, response: Response) -> Rendered:
        # Scrapy trusts the HTTP header and <meta>; legacy pages also lie, so decode them as the extractor does.
        platform = self.config.platforms.get(response.meta["platform"])
        declared = response.headers.get(b"Content-Type", b"").decode("latin-1")
        charset = declared.partition("charset=")[2].split(";")[0].strip() or None
        text, _ = decode_html(response.body, declared=charset, hint=platform.encoding if platform else None)
        return Rendered(text, response.url, documents_of(text, self.platform_of(response)[2]))

    def count_page(self, response: Response, kind: str) -> None:
        self.crawler.stats.inc_value(f"shopsentinel/pages/{response.meta['platform']}/{kind}")

    def page_state(self, response: Response, html: str, *, found: bool, partial: bool = False,
                   keyword: str | None = None, later_page: bool = False) -> PageState:
        """Classify the page (crawlers.page_state) against what earlier crawls found, and record its state in the
        run's stats: counts per platform, kind and state, and each kind's latest streak of one state."""
        key, kind = response.meta["platform"], response.meta["page_kind"]
        verdict = classify(status=response.status, url=response.url, html=html, found=found, partial=partial,
                           redirected=bool(response.meta.get("redirect_urls")) or response.url != response.request.url,
                           matched_before=(key, kind) in self.history.matched,
                           results_before=keyword is not None and (key, keyword) in self.history.keywords,
                           later_page=later_page)
        self.record_state(key, kind, verdict)
        if verdict.state != PageState.OK:
            url = (response.meta.get("redirect_urls") or [response.url])[0]  # the URL asked for
            logger.warning("%s %s page %s is %s: %s", key, kind, url, verdict.state, verdict.reason)
            if response.status < 400:  # an HTTP error is told by on_error, with its status
                self.page_failed(key, url, f"{verdict.state}: {verdict.reason}")
        return verdict.state

    def record_state(self, key: str, kind: str, verdict: Verdict) -> None:
        self.page_log.record(key, kind, verdict.state, time.monotonic())
        stats = self.crawler.stats
        stats.inc_value(f"shopsentinel/states/{key}/{kind}/{verdict.state}")
        state, pages = self.page_log.streaks[key, kind]
        stats.set_value(f"shopsentinel/streak/{key}/{kind}", {"state": str(state), "pages": pages})

    def platform_of(self, response: Response) -> tuple[str, Platform | None, PageProfile]:
        key = response.meta["platform"]
        platform = self.config.platforms.get(key)
        if platform is None:
            return key, None, PageProfile()
        return key, platform, platform.profile.pages()[response.meta["page_kind"]]

    def next_page(self, platform: Platform | None, profile: PageProfile, fields: dict[str, Any], kind: str,
                  number: int, numbered: Callable[[int], str | None]) -> str | None:
        """The URL of the page after page `number` of a list, or None at its end: the `next` link when the profile
        reads one; else, when the platform's URL numbers the pages, `numbered(number + 1)` unless the list's
        `pages` says this was its last. (A page without entries ends the list before this is asked.)"""
        if "next" in profile.fields:
            return fields.get("next")
        if platform is None or not platform.numbers_pages(kind):
            return None
        last = fields.get("pages")
        return None if last is not None and number >= last else numbered(number + 1)

    def empty_page(self, response: Response, what: str) -> None:
        key = response.meta["platform"]
        self.crawler.stats.inc_value(f"shopsentinel/errors/{key}/empty_{response.meta['page_kind']}")
        logger.warning("%s: no %s found on %s", key, what, response.url)

    # --- hot terms -----------------------------------------------------------------------------------------

    async def parse_hot(self, response: Response) -> AsyncIterator[HotTermsItem]:
        key, _, profile = self.platform_of(response)
        rendered = await self.rendered(response)
        page, documents = rendered.selector(), rendered.documents
        self.count_page(response, "hot")
        terms, seen = [], set()
        marks_rising = "rising" in profile.fields  # then a term without the mark is not rising
        for position, entry in enumerate(read_items(profile, page, response.url, documents), start=1):
            term = entry.get("term")
            if not term or term in seen:
                continue
            seen.add(term)
            rising = entry.get("rising")
            terms.append(HotTerm(rank=entry.get("rank") or position, term=term, heat=entry.get("heat"),
                                 rising=bool(rising) if marks_rising else rising))
        if self.page_state(response, rendered.html, found=bool(terms)) != PageState.OK:
            return
        if not terms:
            self.empty_page(response, "hot terms")
            return
        yield HotTermsItem(platform=key, url=response.url, terms=tuple(terms))

    # --- search results ------------------------------------------------------------------------------------

    async def parse_search(self, response: Response) -> AsyncIterator[SearchPageItem | scrapy.Request]:
        key, platform, profile = self.platform_of(response)
        keyword, top, offset = response.meta["keyword"], response.meta["top"], response.meta.get("rank_offset", 0)
        number = response.meta.get("search_page", 1)
        rendered = await self.rendered(response)
        page, documents = rendered.selector(), rendered.documents
        self.count_page(response, "search")
        hits = search_hits(platform, profile, page, response.url, documents, first_rank=offset + 1,
                           limit=top - offset, keep=lambda url: self.new_listing(key, keyword, url))
        # Only the first page can be a soft ban: a keyword's last page may be short or empty.
        if self.page_state(response, rendered.html, found=bool(hits), keyword=keyword if offset == 0 else None,
                           later_page=number > 1) != PageState.OK:
            return
        if not hits:
            if offset == 0:
                self.empty_page(response, f"search results for {keyword!r}")
            return
        yield SearchPageItem(platform=key, keyword=keyword, url=response.url, hits=tuple(hits))
        for hit in hits:
            yield self.product_request(key, hit.url, keyword=keyword)
        if offset + len(hits) >= top:
            return
        next_url = self.next_page(platform, profile, read_page(profile, page, response.url, documents), "search",
                                  number, lambda n: platform.search_page_url(keyword, n))
        if next_url:
            yield self.page_request(key, next_url, "search", self.parse_search,
                                    meta={"keyword": keyword, "top": top, "rank_offset": offset + len(hits),
                                          "search_page": number + 1})

    # --- product pages -------------------------------------------------------------------------------------

    def product_request(self, key: str, url: str, keyword: str | None = None) -> scrapy.Request:
        platform = self.config.platforms.get(key)
        inline_reviews = (self.want_reviews and platform is not None and platform.render == "browser"
                          and platform.reviews_url is None)
        steps = platform.profile.reviews.steps if inline_reviews else ()
        return self.page_request(key, url, "product", self.parse_product, extra_steps=steps,
                                 meta={"keyword": keyword, "inline_reviews": inline_reviews}, priority=1)

    async def parse_product(self, response: Response) -> AsyncIterator[ProductItem | ReviewsPageItem | scrapy.Request]:
        key, platform, profile = self.platform_of(response)
        rendered = await self.rendered(response)
        self.count_page(response, "product")
        product = read_product(key, platform, profile, rendered.html, response.url, rendered.documents)
        item, fields, page, documents = product.item, product.fields, product.page, rendered.documents
        read_any = any(value is not None for value in fields.values()) if profile.fields else item.title is not None
        if self.page_state(response, rendered.html, found=item.price is not None, partial=read_any) != PageState.OK:
            return  # a captcha, login wall or delisting is not a product without stock, price or reviews
        if item.incomplete:
            self.crawler.stats.inc_value(f"shopsentinel/incomplete/{key}")
            logger.warning("%s: incomplete product %s: %s", key, response.url, item.incomplete)
        yield item
        if not self.want_reviews or platform is None:
            return
        if response.meta.get("inline_reviews"):
            reviews = reviews_from(platform.profile.reviews, page, response.url, documents)
            yield ReviewsPageItem(platform=key, product_url=response.url, url=response.url, reviews=tuple(reviews))
            return
        reviews_url = fields.get("reviews_link") or (
            platform.reviews_page_url(item.item_id, 1) if platform.reviews_url and item.item_id else None)
        if reviews_url:
            yield self.page_request(key, reviews_url, "reviews", self.parse_reviews,
                                    meta={"product_url": response.url, "review_page": 1, "item_id": item.item_id})

    # --- reviews -------------------------------------------------------------------------------------------

    async def parse_reviews(self, response: Response) -> AsyncIterator[ReviewsPageItem | scrapy.Request]:
        key, platform, profile = self.platform_of(response)
        product_url, number, item_id = response.meta["product_url"], response.meta["review_page"], response.meta.get(
            "item_id")
        rendered = await self.rendered(response)
        page, documents = rendered.selector(), rendered.documents
        self.count_page(response, "reviews")
        reviews = reviews_from(profile, page, response.url, documents)
        if self.page_state(response, rendered.html, found=bool(reviews), later_page=number > 1) != PageState.OK:
            return
        if reviews:
            yield ReviewsPageItem(platform=key, product_url=product_url, url=response.url, reviews=tuple(reviews))
        known = self.known_reviews.get(product_url, set())
        if any(review.review_id in known for review in reviews):
            self.crawler.stats.inc_value(f"shopsentinel/reviews_stopped_at_known/{key}")
            return  # newest first: from here on every review is already stored
        if not reviews or number >= MAX_REVIEW_PAGES:
            return
        next_url = self.next_page(platform, profile, read_page(profile, page, response.url, documents), "reviews",
                                  number, lambda n: platform.reviews_page_url(item_id, n) if item_id else None)
        if next_url:
            yield self.page_request(key, next_url, "reviews", self.parse_reviews,
                                    meta={"product_url": product_url, "review_page": number + 1, "item_id": item_id})


def failure_reason(failure: Failure) -> str:
    """Why a request failed, in words: an HTTP status, robots.txt, a timeout, or the exception's own message."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    message = str(failure.value)
    if failure.check(IgnoreRequest):  # e.g. "Forbidden by robots.txt"
        return message or "ignored"
    if "timeout" in failure.type.__name__.lower():  # Scrapy's, Twisted's and asyncio's timeouts
        return f"timed out ({message})" if message else "timed out"
    return f"{failure.type.__name__}: {message}" if message else failure.type.__name__

