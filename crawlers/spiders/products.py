"""Product pages given by URL: own products, watched competitors, or URLs from the command line."""

from __future__ import annotations

from typing import Any

from crawlers.spiders.base import ShopSpider


class ProductsSpider(ShopSpider):
    name = "products"

    def __init__(self, *args: Any, urls: list[tuple[str, str]], **kwargs: Any) -> None:
        """`urls`: (platform, absolute URL) pairs."""
        super().__init__(*args, **kwargs)
        self.urls = urls

    async def start(self):
        for key, url in self.urls:
            if key in self.platforms:
                yield self.product_request(key, url)
