"""Keyword search: the top-N listings for each keyword on each platform (following pagination), then their
product pages, and their reviews when asked."""

from __future__ import annotations

from typing import Any

from crawlers.spiders.base import ShopSpider


class SearchSpider(ShopSpider):
    name = "search"

    def __init__(self, *args: Any, keywords: list[tuple[str, list[str], int]],
                 urls: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        """`keywords`: (term, platforms, top N) triples; `urls`: (platform, URL) of products to visit as well
        (our own), in the same crawl so a product both searched and listed is fetched once."""
        super().__init__(*args, **kwargs)
        self.keywords = keywords
        self.urls = urls

    async def start(self):
        for term, platforms, top in self.keywords:
            for key in platforms:
                if key in self.platforms and self.config.platforms[key].search_url:
                    yield self.page_request(key, self.config.platforms[key].search_page_url(term, 1), "search",
                                            self.parse_search, meta={"keyword": term, "top": top})
        for key, url in self.urls:
            if key in self.platforms:
                yield self.product_request(key, url)
